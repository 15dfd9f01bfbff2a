"""A real Celery worker (subprocess) on the test database, and the local OpenAI-compatible server."""

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings

from tests.processes import database_url_for_processes
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parents[2]


class Worker:
    def __init__(
        self,
        env: dict,
        *,
        pool: str = "threads",
        concurrency: int = 4,
        queues: str | None = "celery,automation",
    ):
        self.env, self.queues = env, queues
        self.pool, self.concurrency = pool, concurrency
        self.process = None
        self.log = None

    def start(self) -> "Worker":
        log_path = Path(os.environ["IGNY8_TEST_DIR"]) / f"worker-{time.monotonic_ns()}.log"
        self.log = open(log_path, "w+")  # noqa: SIM115 - open while the worker writes to it
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "igny8",
                "worker",
                *(["-Q", self.queues] if self.queues else []),
                f"--pool={self.pool}",
                "-c",
                str(self.concurrency),
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "-n",
                f"test-{time.monotonic_ns()}@%h",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: a kill reaches prefork children too
        )
        wait_for(self.ready_or_exited, timeout=30, what="the Celery worker to start")
        if self.process.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start:\n{self.output()[-3000:]}")
        return self

    def output(self) -> str:
        """Everything the worker has written so far."""
        self.log.seek(0)
        return self.log.read()

    def ready_or_exited(self) -> bool:
        return self.process.poll() is not None or "ready." in self.output()

    def kill(self) -> None:
        """SIGKILL the worker and every process it forked, as a lost machine would lose them."""
        if self.process and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def children(self) -> list[int]:
        """The pids of its pool processes (prefork)."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.log:
            self.log.close()


def worker_env(openai_server) -> dict:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        DATABASE_URL=database_url_for_processes(),
        AI_PROVIDER="openai",
        OPENAI_API_KEY="test-key",
        OPENAI_BASE_URL=openai_server.base_url,
        OPENAI_MAX_RETRIES="2",
        OPENAI_TIMEOUT="5",
        AUTOMATION_HEARTBEAT_SECONDS="0.5",
        AUTOMATION_STALE_SECONDS="3",
        # Several calls in flight across a stage's batches, as in production.
        AI_CONCURRENCY="4",
    )
    return env


@pytest.fixture
def start_worker(transactional_db, openai_server):
    """Start a worker on demand (call it, optionally with its queues and settings); every worker
    started is stopped at the end of the test."""
    workers = []

    def start(
        *, pool: str = "threads", concurrency: int = 4, queues: str | None = "celery,automation", **env
    ) -> Worker:
        environment = {**worker_env(openai_server), **env}
        worker = Worker(environment, pool=pool, concurrency=concurrency, queues=queues).start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


@pytest.fixture
def worker(start_worker):
    return start_worker()


@pytest.fixture(scope="session", autouse=True)
def empty_broker():
    """No message left by an earlier session may reach this session's workers."""
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()
