"""A real HTTP server (gunicorn) on the test database, and two accounts whose data must never mix.

Django's development server mishandles chunked request bodies, so these tests talk to the WSGI
server production runs, over a socket, the way generated clients and fuzzers do.
"""

import os
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
import redis
from django.conf import settings
from rest_framework_simplejwt.tokens import RefreshToken

from automation.services.runs import start_automation
from planner.services import keywords_create_many
from tests.factories import PASSWORD, make_account
from tests.processes import database_url_for_processes

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_env() -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url_for_processes(),
        # No idle connection may hold the tables that each test truncates.
        DB_CONN_MAX_AGE="0",
        AI_PROVIDER="offline",
        # Generated clients read the schema anonymously: the documented switch for a public one.
        API_DOCS_PUBLIC="1",
        # Thousands of generated requests from one address: throttling has its own tests.
        **{
            f"THROTTLE_RATE_{scope}": "1000000/minute"
            for scope in ("USER", "AUTH_IP", "LOGIN", "REGISTER", "PASSWORD")
        },
    )
    return env


@pytest.fixture(scope="session")
def api_server(django_db_setup, django_db_blocker):
    """The project under gunicorn (2 workers), answering on a loopback port; yields its base URL."""
    port = _free_port()
    log_path = Path(os.environ["IGNY8_TEST_DIR"]) / f"gunicorn-{port}.log"
    with open(log_path, "w+") as log:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "igny8.wsgi:application",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "--timeout",
                "60",
                "--access-logfile",
                "-",
            ],
            cwd=ROOT,
            env=_server_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base_url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{base_url}/api/v1/auth/me/", timeout=5).status_code == 401:
                        break
                except httpx.TransportError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"gunicorn did not start:\n{log.read()[-3000:]}")
                time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
            # Tasks queued by these tests (run_now, AI actions) must not reach a later test's worker.
            redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def pytest_terminal_summary(terminalreporter):
    """The fuzzing's figures (operations, examples, requests), for the record of each run."""
    fuzzing = sys.modules.get("tests.openapi.test_schema_fuzzing")
    figures = fuzzing.FIGURES if fuzzing else {}
    if figures.get("examples"):
        operations = len(figures) - 2
        terminalreporter.write_line(
            f"schemathesis: {operations} operations, {figures['examples']} examples, "
            f"{figures['requests']} requests, seed {fuzzing.SEED}"
        )


@dataclass
class Tenant:
    """An account as a client sees it: its ids, a token, and strings no other account may read."""

    account_id: int
    site_id: int
    email: str
    token: str
    run_id: str
    markers: list[str] = field(default_factory=list)
    object_ids: dict[str, int] = field(default_factory=dict)

    @property
    def headers(self) -> dict:
        return {"Authorization": f"Bearer {self.token}"}


def make_tenant(label: str) -> Tenant:
    marker = f"{label}-{uuid.uuid4().hex[:10]}"
    created = make_account(credits=1_000_000, name=f"Account {marker}")
    account, owner, site = created.account, created.owner, created.site
    texts = [f"{marker} keyword {number}" for number in range(6)]
    keywords = keywords_create_many(
        site=site, raws=[{"keyword": text, "volume": 10} for text in texts]
    ).created
    run = start_automation(site=site)
    return Tenant(
        account_id=account.pk,
        site_id=site.pk,
        email=owner.email,
        token=str(RefreshToken.for_user(owner).access_token),
        run_id=run.run_id,
        markers=[marker, owner.email, site.name, site.domain],
        object_ids={"sites": site.pk, "keywords": keywords[0].pk},
    )


@pytest.fixture
def alice(transactional_db):
    return make_tenant("alice")


@pytest.fixture
def bob(transactional_db):
    return make_tenant("bob")


__all__ = ["PASSWORD", "Tenant"]
