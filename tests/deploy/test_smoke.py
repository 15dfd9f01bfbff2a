"""Deployment smoke test: the production processes, started as the image starts them, without Docker.

collectstatic as the Dockerfile runs it (production settings, no database), then gunicorn with
gunicorn.conf.py, a Celery worker and beat, all on production settings (`igny8.settings`, DEBUG
off, a strong SECRET_KEY, LOG_FORMAT=json, METRICS_ENABLED=1) against the test database and Redis,
and the local OpenAI-compatible server. Select it alone with `pytest -m deploy`.
"""

import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from django.conf import settings
from prometheus_client.parser import text_string_to_metric_families

from automation.task_names import CHECK_SCHEDULED_TASK
from igny8.celery import app
from tests.factories import SMALL_RUN_KEYWORDS
from tests.processes import database_url_for_processes

pytestmark = [pytest.mark.deploy, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
ONE_YEAR = 365 * 24 * 3600


def wait_for(condition, *, timeout: float, message: str, interval: float = 0.25):
    """Poll `condition` until it returns something truthy; fail with `message` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"timed out after {timeout:g} s: {message}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A subprocess this test started, its output in a file; stopped by its own pid only."""

    def __init__(self, name: str, args: list[str], env: dict, directory: Path):
        self.name = name
        self.log_path = directory / f"{name}.log"
        self.log = open(self.log_path, "w+")  # noqa: SIM115 - open while the process writes to it
        self.process = subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def output(self) -> str:
        return self.log_path.read_text()

    def alive(self) -> bool:
        return self.process.poll() is None

    def terminate(self) -> None:
        if self.alive():
            self.process.terminate()

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                # Its own session (start_new_session): the group holds only it and its children.
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


class Http:
    def __init__(self, base_url: str):
        self.base_url = base_url
        self.token = None

    def call(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base_url + path, data=data, method=method)
        if data is not None:
            request.add_header("Content-Type", "application/json")
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()
        except OSError:
            return 0, {}, b""

    def json(self, method: str, path: str, body=None, expect: int = 200) -> dict:
        status, _, content = self.call(method, path, body)
        assert status == expect, f"{method} {path}: {status} {content[:500]!r}"
        return json.loads(content)


def production_env(openai_server, directory: Path) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PYTEST", "IGNY8_TEST"))}
    env.update(
        DJANGO_SETTINGS_MODULE="igny8.settings",
        DATABASE_URL=database_url_for_processes(),
        REDIS_URL=os.environ["REDIS_URL"],
        CELERY_BROKER_URL=settings.CELERY_BROKER_URL,
        CACHE_KEY_PREFIX=settings.CACHES["default"]["KEY_PREFIX"],
        SECRET_KEY=secrets.token_urlsafe(50),
        DEBUG="0",
        STATIC_ROOT=str(directory / "static"),
        MEDIA_ROOT=str(directory / "media"),
        AUTOMATION_LOG_DIR=str(directory / "logs"),
        LOG_FORMAT="json",
        METRICS_ENABLED="1",
        # The documented switch for a public Swagger UI (docs need a login by default in production).
        API_DOCS_PUBLIC="1",
        SERVE_MEDIA="1",
        METRICS_TOKEN=secrets.token_urlsafe(16),
        AI_PROVIDER="openai",
        OPENAI_API_KEY="smoke-test-key",
        OPENAI_BASE_URL=openai_server.base_url,
        OPENAI_TIMEOUT="10",
        GUNICORN_WORKERS="2",
        GUNICORN_THREADS="4",
        GUNICORN_BIND=f"127.0.0.1:{free_port()}",
        # Only this machine runs the worker as root; the image runs it as an unprivileged user.
        PYTHONWARNINGS="ignore:You're running the worker with superuser privileges",
    )
    return env


def collectstatic_as_the_image_does(env: dict) -> None:
    build_env = {
        **env,
        "DATABASE_URL": "postgres://build@localhost/build",  # as in the Dockerfile: nothing connects
        "SECRET_KEY": secrets.token_urlsafe(50),
    }
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=build_env,
        check=True,
        timeout=300,
    )
    assert (Path(env["STATIC_ROOT"]) / "staticfiles.json").exists()


@pytest.fixture
def stack(transactional_db, openai_server, tmp_path):
    """gunicorn, a worker and beat on production settings; every process started here is stopped here."""
    openai_server.reset()
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # no message of earlier tests
    env = production_env(openai_server, tmp_path)
    env["WORKER_NODE"] = f"smoke-{time.monotonic_ns()}@{socket.gethostname()}"
    collectstatic_as_the_image_does(env)
    celery = [sys.executable, "-m", "celery", "-A", "igny8", "--quiet"]
    processes = []
    try:
        processes.append(Process("web", [sys.executable, "-m", "gunicorn", "igny8.wsgi"], env, tmp_path))
        processes.append(
            Process(
                "worker",
                [*celery, "worker", "-Q", "celery,automation", "-n", env["WORKER_NODE"]]
                + ["--concurrency", "2", "-l", "info"],
                env,
                tmp_path,
            )
        )
        processes.append(
            Process(
                "beat", [*celery, "beat", "-s", str(tmp_path / "beat-schedule"), "-l", "info"], env, tmp_path
            )
        )
        http = Http(f"http://{env['GUNICORN_BIND']}")

        def started():
            for process in processes:
                assert process.alive(), f"{process.name} exited:\n{process.output()[-3000:]}"
            return http.call("GET", "/health/")[0] == 200

        wait_for(started, timeout=60, message="gunicorn did not answer /health/")
        # /ready/ may count another worker's heartbeat: wait for this one's own start (slow on a busy CI).
        worker = processes[1]
        wait_for(
            lambda: f"{env['WORKER_NODE']} ready." in worker.output() or not worker.alive(),
            timeout=180,
            message="the worker did not log that it was ready",
        )
        yield http, env, {process.name: process for process in processes}
    finally:
        for process in processes:  # all at once: each shuts down gracefully in parallel
            process.terminate()
        for process in processes:
            process.stop()


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def metric_samples(text: str) -> dict:
    samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def assert_long_cached_static(http: Http, page: str, pattern: str) -> None:
    status, _, html = http.call("GET", page)
    assert status == 200, page
    url = re.search(pattern, html.decode()).group(0)
    assert re.search(r"\.[0-9a-f]{12}\.(css|js)$", url), f"{url} has no content hash"
    status, headers, body = http.call("GET", url, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and body, url
    cache_control = headers["Cache-Control"]
    assert int(re.search(r"max-age=(\d+)", cache_control).group(1)) >= ONE_YEAR, cache_control
    assert "immutable" in cache_control
    assert headers.get("Content-Encoding") == "gzip", url


def test_the_production_processes_serve_ready_static_files_a_run_and_its_metrics(stack):
    http, env, processes = stack

    # Ready: database, cache, broker and a worker seen.
    ready = wait_for(
        lambda: (lambda answer: answer[0] == 200 and json.loads(answer[2]))(http.call("GET", "/ready/")),
        timeout=60,
        message="/ready/ did not answer 200",
    )
    assert ready["status"] == "ready" and ready["failed"] == []
    assert settings.CELERY_BROKER_URL.split("@")[-1].split("/")[0] not in json.dumps(ready)

    # The worker answers the ping compose's healthcheck sends it.
    ping = subprocess.run(
        [sys.executable, "-m", "celery", "-A", "igny8", "inspect", "ping", "-d", env["WORKER_NODE"]]
        + ["--timeout", "10"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ping.returncode == 0 and "pong" in ping.stdout, ping.stdout + ping.stderr

    # Admin and Swagger UI files: hashed names, compressed, cached for a year, served by gunicorn.
    assert_long_cached_static(http, "/admin/login/", r"/static/admin/css/base\.[0-9a-f]+\.css")
    assert_long_cached_static(
        http,
        "/api/docs/",
        r"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle\.[0-9a-f]+\.js",
    )

    # A run through the API, from registration to the review gate.
    registered = http.json(
        "POST",
        "/api/v1/auth/register/",
        {"email": "ops@example.com", "password": "smoke-test-pass-91", "account_name": "Smoke"},
        expect=201,
    )["data"]
    http.token = registered["access"]
    subprocess.run(
        [sys.executable, "manage.py", "grant_credits", "--account", str(registered["account"]["id"])]
        + ["--amount", "100000"],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=120,
        capture_output=True,
    )
    site_id = http.json("POST", "/api/v1/auth/sites/", {"name": "Smoke", "domain": "smoke.example"}, 201)[
        "data"
    ]["id"]
    http.json(
        "POST",
        f"/api/v1/planner/keywords/?site_id={site_id}",
        [{"keyword": k} for k in SMALL_RUN_KEYWORDS],
        201,
    )
    http.json(
        "PATCH",
        f"/api/v1/automation/update_config/?site_id={site_id}",
        {"within_stage_delay": 0, "between_stage_delay": 0},
    )
    run_id = http.json("POST", f"/api/v1/automation/run_now/?site_id={site_id}", expect=201)["data"]["run_id"]

    def finished():
        run = http.json("GET", f"/api/v1/automation/run_detail/?site_id={site_id}&run_id={run_id}")["data"]
        return run if run["status"] not in ("running", "paused") else None

    run = wait_for(finished, timeout=180, message=f"run {run_id} did not finish", interval=0.5)
    assert run["status"] == "completed", run
    assert run["total_credits_used"] > 0

    # A generated image is served from MEDIA_ROOT (SERVE_MEDIA=1, as .env.example sets for compose).
    images = http.json("GET", f"/api/v1/writer/images/?site_id={site_id}")["results"]
    image_url = next(image["image_url"] for image in images if image["status"] == "generated")
    status, headers, png = http.call("GET", image_url)
    assert status == 200 and headers["Content-Type"] == "image/png" and png.startswith(b"\x89PNG")

    # The metrics show it (and need the token).
    http.token = None
    assert http.call("GET", "/metrics")[0] == 401
    status, _, text = http.call(
        "GET", "/metrics", headers={"Authorization": f"Bearer {env['METRICS_TOKEN']}"}
    )
    assert status == 200
    samples = metric_samples(text.decode())
    assert samples[("igny8_automation_runs", (("status", "completed"),))] == 1
    assert samples[("igny8_automation_stage_duration_seconds_count", (("stage", "4"),))] == 1
    content_calls = (("function", "generate_content"), ("outcome", "success"))
    assert samples[("igny8_ai_calls_total", content_calls)] >= 1
    assert samples[("igny8_ai_tokens_total", (("direction", "out"), *content_calls))] > 0
    charged = sum(value for (name, _), value in samples.items() if name == "igny8_credits_charged_total")
    assert charged == run["total_credits_used"]
    assert samples[("igny8_celery_queue_length", (("queue", "automation"),))] == 0
    assert samples[("igny8_celery_worker_last_seen_age_seconds", ())] < 60

    # A periodic task run by the worker leaves the scheduler trace /ready/ shows.
    app.send_task(CHECK_SCHEDULED_TASK)
    wait_for(
        lambda: json.loads(http.call("GET", "/ready/")[2])["scheduler"]["last_pass"][CHECK_SCHEDULED_TASK],
        timeout=60,
        message="the worker's pass of check_scheduled_automations did not show in /ready/",
    )

    # Every process logged one JSON object a line; the worker's lines carry the run id and stage.
    web, worker, beat = (json_lines(processes[name].output()) for name in ("web", "worker", "beat"))
    assert any(line.get("path") == "/api/v1/automation/run_now/" and line.get("request_id") for line in web)
    assert {line.get("stage") for line in worker if line.get("run_id") == run_id} >= {1, 4, 7}
    assert any(line["logger"] == "celery.beat" for line in beat)
    assert all(process.alive() for process in processes.values())


def test_the_web_process_refuses_to_start_without_collected_static_files(tmp_path):
    env = production_env(SimpleNamespace(base_url="http://127.0.0.1:9/v1"), tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "igny8.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_WORKERS": "1"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "staticfiles.json" in output and "manage.py collectstatic" in output, output[-3000:]
