"""Fault tests: the design's guarantees under killed workers, duplicate messages, failing AI calls,
a restarted Redis, control storms and dropped database connections (docs/RELIABILITY.md).

Real processes only: Celery workers in subprocesses, PostgreSQL, Redis, the local OpenAI-compatible
server. Each trial prints its seed (`-s` shows them; a failure report shows them anyway); each test
waits on observable state with a deadline and asserts the end state. `FAULT_TRIALS` and
`FAULT_SEED` set the number of trials and the first seed; `make test-long` runs the soak.
"""

import datetime
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import psycopg
import pytest
import redis
from django.conf import settings
from django.utils import timezone

from ai.functions import FUNCTIONS
from ai.models import AITaskLog
from automation.locks import lock_holder
from automation.logger import run_log_dir
from automation.models import AutomationRun
from automation.tasks import resume_automation_task, run_automation_task
from automation.watchdog import recover_stale_runs
from billing.models import CreditTransaction
from billing.services import credits_cost
from planner.models import Cluster, ContentIdea, Keyword
from tenancy.models import Account
from tests.automation.conftest import TOPIC_KEYWORDS
from tests.conftest import client_for
from tests.factories import make_account, make_keywords
from tests.integration.conftest import ROOT
from tests.processes import database_url_for_processes
from tests.threads import at_once
from writer.models import Content, Image, Task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
BASE = "/api/v1/automation"
KEYWORDS = [*TOPIC_KEYWORDS, "french press coffee", "running shoes for beginners"]
IMAGES_PER_CONTENT = 2
CREDITS = 100_000
# Short enough that a lost executor is taken over within seconds.
FAST_RECOVERY = {
    "AUTOMATION_HEARTBEAT_SECONDS": "0.3",
    "AUTOMATION_STALE_SECONDS": "2",
    "AI_IMAGE_SIZE": "256x256",
}
ENDED = ("completed", "failed", "cancelled")


def trials(default: int) -> list[int]:
    count = int(os.environ.get("FAULT_TRIALS", default))
    first = int(os.environ.get("FAULT_SEED", 1000))
    return list(range(first, first + count))


@pytest.fixture
def fast_recovery(settings):
    settings.AUTOMATION_STALE_SECONDS = float(FAST_RECOVERY["AUTOMATION_STALE_SECONDS"])
    settings.AUTOMATION_QUEUE_STALE_SECONDS = 6


def wait_for(condition, *, timeout=60, what="condition", tick=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if tick:
            tick()
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def fault_site(**config):
    created = make_account(credits=CREDITS)
    account, owner, site = created.account, created.owner, created.site
    make_keywords(site=site, texts=KEYWORDS)
    client = client_for(owner)
    fields = {
        "within_stage_delay": 0,
        "between_stage_delay": 0,
        "images_per_content": IMAGES_PER_CONTENT,
        # Batches of several items: the engine's concurrent calls keep each trial short.
        "stage_2_batch_size": 4,
        "stage_4_batch_size": 4,
        "stage_5_batch_size": 4,
        "stage_6_batch_size": 8,
        **config,
    }
    assert client.patch(f"{BASE}/update_config/?site_id={site.pk}", fields, format="json").status_code == 200
    return account, site, client


def start_run(client, site) -> AutomationRun:
    response = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    assert response.status_code == 201, response.json()
    return AutomationRun.objects.get(run_id=response.json()["data"]["run_id"])


def status_of(run: AutomationRun) -> AutomationRun:
    run.refresh_from_db()
    return run


def until_ended(run: AutomationRun, *, timeout=90, watchdog=recover_stale_runs) -> AutomationRun:
    """Wait for the run to end while the watchdog passes every tick, as Celery beat would."""
    return wait_for(
        lambda: status_of(run).status in ENDED and run,
        timeout=timeout,
        what=f"{run.run_id} to end",
        tick=watchdog,
    )


def assert_exactly_once(site, *, complete: bool = True) -> dict:
    """Every item has at most one output, every output is charged exactly once at its price, and
    whatever is not done yet is still pending for the next run (nothing lost).

    With `complete`, the whole pipeline is done: every keyword clustered, every idea a task, every
    task one article with all its images, ready for review. Returns the counts for the report.
    """
    keywords = Keyword.objects.filter(site=site)
    clusters = Cluster.objects.filter(site=site)
    ideas = ContentIdea.objects.filter(site=site)
    tasks = Task.objects.filter(site=site)
    contents = Content.objects.filter(site=site)
    images = Image.objects.filter(site=site)
    for idea in ideas:
        assert Task.objects.filter(idea=idea).count() <= 1, f"idea {idea.pk} has more than one task"
    for task in tasks:
        made = Content.objects.filter(task=task).count()
        assert made <= 1, f"task {task.pk} has more than one content"
        assert made == 1 or task.status == "queued", f"task {task.pk} is {task.status} without content"
    for content in contents:
        positions = list(content.images.values_list("image_type", "position"))
        assert len(positions) == len(set(positions)), f"content {content.pk} has doubled images"
        assert len(positions) in (0, IMAGES_PER_CONTENT), f"content {content.pk} has {len(positions)} images"
        assert positions or content.status == "draft", f"content {content.pk} left review without images"
    assert not ideas.filter(status="new", tasks__isnull=False).exists()
    if complete:
        assert keywords.exclude(status="mapped").count() == 0
        assert not clusters.filter(status="new").exists() and clusters.exists()
        assert tasks.count() == ideas.count() > 0
        assert contents.count() == tasks.count()
        assert images.count() == IMAGES_PER_CONTENT * contents.count()
        assert not images.filter(status="pending").exists()
        assert set(contents.values_list("status", flat=True)) == {"review"}

    ledger = CreditTransaction.objects.filter(site=site, transaction_type="deduction")
    charged = {
        stage: -sum(ledger.filter(stage=stage).values_list("amount", flat=True)) for stage in range(1, 8)
    }
    expected = {
        2: credits_cost(operation_type="idea_generation", quantity=1)
        * clusters.exclude(status="new").count(),
        4: sum(
            credits_cost(operation_type="content_generation", quantity=words)
            for words in contents.values_list("word_count", flat=True)
        ),
        5: credits_cost(operation_type="image_prompt_extraction", quantity=1)
        * contents.filter(images__isnull=False).distinct().count(),
        6: credits_cost(operation_type="image_generation", quantity=1)
        * images.filter(status="generated").count(),
    }
    if ledger.filter(stage=1).count() == 1:
        expected[1] = credits_cost(
            operation_type="clustering", quantity=keywords.filter(status="mapped").count()
        )
    for stage, credits in expected.items():
        assert charged[stage] == credits, f"stage {stage}: charged {charged[stage]}, outputs cost {credits}"
    assert ledger.filter(stage=4).count() == contents.count()
    # Every charged call has its ledger row; embeddings (keyword order, the guard, links) are logged, free.
    logs = AITaskLog.objects.filter(site=site, function__in=list(FUNCTIONS))
    assert logs.filter(status="success").count() == ledger.count()
    assert not logs.filter(status="failed", credits_used__gt=0).exists()
    account = Account.objects.get(pk=site.account_id)
    assert account.credits == CREDITS - sum(charged.values())
    return {"contents": contents.count(), "images": images.count(), "credits": sum(charged.values())}


def assert_no_lock_and_no_executor(site, run) -> None:
    assert lock_holder(site.pk) is None, f"lock left behind: {lock_holder(site.pk)}"
    assert status_of(run).heartbeat_at is None


def report(name: str, **figures) -> None:
    line = f"[faults] {name}: " + ", ".join(f"{key}={value}" for key, value in figures.items())
    print(line, flush=True)
    path = os.environ.get("FAULT_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


# 1. Worker killed ---------------------------------------------------------------------------------


def executing_worker(workers, run: AutomationRun):
    """The worker whose executor holds the run's current fencing token (it logs the token on start)."""
    marker = re.compile(
        rf"{run.run_id}: Executor (?:started|continues from stage \d+) \(token {run.fencing_token}\)"
    )
    return next((worker for worker in workers if marker.search(worker.output())), None)


class WorkerPool:
    """Two prefork workers; a killed one is replaced in the background while the other carries on."""

    def __init__(self, start_worker):
        self.start_worker = start_worker
        self.workers = []
        self.starting: list[threading.Thread] = []
        for _ in range(2):
            self.replace()
        self.settle()

    def replace(self) -> None:
        thread = threading.Thread(
            target=lambda: self.workers.append(
                self.start_worker(pool="prefork", concurrency=1, **FAST_RECOVERY)
            )
        )
        thread.start()
        self.starting.append(thread)

    def settle(self) -> None:
        for thread in self.starting:
            thread.join(timeout=60)
        self.starting.clear()
        self.workers = [worker for worker in self.workers if worker.process.poll() is None]


def kill_trial(seed: int, pool: WorkerPool) -> tuple[int | None, dict, int]:
    rng = random.Random(seed)
    mode = rng.choice(["pool process", "whole worker"])
    stage = rng.randint(1, 6)
    jitter = rng.uniform(0.0, 0.5)
    print(
        f"[faults] worker-kill seed={seed}: SIGKILL {mode} in stage >= {stage} + {jitter:.2f} s", flush=True
    )
    pool.settle()
    account, site, client = fault_site()
    run = start_run(client, site)
    wait_for(lambda: status_of(run).current_stage >= stage or run.status in ENDED, what=f"stage {stage}")
    time.sleep(jitter)  # the random kill point within the stage (fault injection, not synchronisation)
    victim = executing_worker(pool.workers, status_of(run))
    killed_in = run.current_stage if run.status == "running" and victim else None
    if victim and mode == "pool process":
        for pid in victim.children():
            os.kill(pid, signal.SIGKILL)
    elif victim:
        victim.kill()
        pool.replace()
    run = until_ended(run)
    assert run.status == "completed", (seed, run.error_message)
    figures = assert_exactly_once(site)
    assert_no_lock_and_no_executor(site, run)
    return killed_in, figures, run.fencing_token


def test_worker_killed_at_random_points_the_run_completes_exactly_once(
    fake_openai, start_worker, fast_recovery
):
    fake_openai.configure(latency_ms=20)
    pool = WorkerPool(start_worker)
    seeds = trials(10)
    killed_mid_run, items, claims = 0, 0, 0
    try:
        for seed in seeds:
            killed_in, figures, token = kill_trial(seed, pool)
            killed_mid_run += killed_in is not None
            items += figures["contents"] + figures["images"]
            claims += token
    finally:
        pool.settle()  # a replacement still starting must be known to the fixture that stops workers
    report(
        "worker killed",
        trials=len(seeds),
        seeds=f"{seeds[0]}..{seeds[-1]}",
        kills_mid_run=killed_mid_run,
        executor_claims=claims,
        items=items,
        lost=0,
        doubled=0,
    )
    assert killed_mid_run >= len(seeds) // 2


@pytest.mark.long
def test_soak_worker_killed_at_random_points(fake_openai, start_worker, fast_recovery, monkeypatch):
    monkeypatch.setenv("FAULT_TRIALS", os.environ.get("FAULT_SOAK_TRIALS", "40"))
    monkeypatch.setenv("FAULT_SEED", os.environ.get("FAULT_SOAK_SEED", "5000"))
    test_worker_killed_at_random_points_the_run_completes_exactly_once(fake_openai, start_worker, None)


# 2. Duplicate delivery ----------------------------------------------------------------------------


def test_a_run_delivered_twice_is_executed_once(fake_openai, start_worker, fast_recovery):
    fake_openai.configure(latency_ms=20)
    worker = start_worker(**FAST_RECOVERY)
    account, site, client = fault_site()
    run = start_run(client, site)
    run_automation_task.apply_async(args=[run.pk])  # the same message twice at once
    wait_for(lambda: status_of(run).current_stage >= 4, what="stage 4")
    resume_automation_task.apply_async(args=[run.pk])  # a redelivery while the first executor works
    run = until_ended(run)
    assert run.status == "completed", run.error_message
    assert run.fencing_token == 1
    figures = assert_exactly_once(site)
    assert_no_lock_and_no_executor(site, run)
    outcomes = wait_for(
        lambda: (
            len(
                found := re.findall(
                    r"automation\.\w+_task\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'", worker.output()
                )
            )
            == 3
            and found
        ),
        what="three executors to end",
    )
    assert sorted(outcomes) == ["completed", "not_claimed", "not_claimed"]
    report("duplicate delivery", deliveries=3, executors_working=1, **figures, doubled=0)


# 3. AI faults --------------------------------------------------------------------------------------


def test_a_run_through_30_percent_ai_faults_completes_or_fails_clearly_and_charges_once(
    fake_openai, start_worker, fast_recovery
):
    worker = start_worker(OPENAI_TIMEOUT="1", OPENAI_MAX_RETRIES="2", **FAST_RECOVERY)
    outcomes = []
    for seed in trials(2):
        print(f"[faults] ai-faults seed={seed}: 10% 429/500, 10% timeouts, 10% malformed JSON", flush=True)
        fake_openai.reset()
        fake_openai.configure(
            error_rate=0.1, timeout_rate=0.1, malformed_rate=0.1, hang_seconds=1.5, seed=seed
        )
        account, site, client = fault_site()
        run = until_ended(start_run(client, site), timeout=150)
        served = fake_openai.requests
        errors = sum(1 for entry in served if entry["status"] in (429, 500))
        timeouts = sum(1 for entry in served if entry["status"] == "hang")
        malformed = sum(1 for entry in served if entry.get("malformed"))
        failed_calls = AITaskLog.objects.filter(automation_run_id=run.run_id, status="failed")
        assert not failed_calls.filter(credits_used__gt=0).exists()
        # A run through faults may leave items that failed every retry: they stay pending, free.
        if run.status == "failed":
            assert re.search(r"Stage \d", run.error_message), run.error_message
        else:
            assert run.status == "completed", run.error_message
        faulty = assert_exactly_once(site, complete=False)
        assert_no_lock_and_no_executor(site, run)
        fake_openai.reset()  # the provider recovers: the next run finishes what is left, charging it once
        again = until_ended(start_run(client, site))
        assert again.status == "completed", again.error_message
        figures = assert_exactly_once(site)
        assert_no_lock_and_no_executor(site, run)
        outcomes.append(run.status)
        report(
            "ai faults",
            seed=seed,
            requests=len(served),
            errors_429_500=errors,
            timeouts=timeouts,
            malformed=malformed,
            failed_calls_free=failed_calls.count(),
            outcome=run.status,
            done_in_faulty_run=faulty["contents"] + faulty["images"],
            **figures,
        )
    assert worker.process.poll() is None


# 4. Redis restarted mid-run -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test alone, on its own port and directory, that the test may restart."""

    def __init__(self):
        self.port = free_port()
        self.directory = tempfile.mkdtemp(prefix="igny8-redis-")
        self.process = None

    def start(self) -> "OwnRedis":
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.directory,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        wait_for(lambda: self._answers(client), timeout=10, what="redis-server to answer")
        return self

    @staticmethod
    def _answers(client) -> bool:
        try:
            return client.ping()
        except redis.ConnectionError:
            return False

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def close(self) -> None:
        self.kill()
        shutil.rmtree(self.directory, ignore_errors=True)


@pytest.fixture
def own_redis():
    server = OwnRedis().start()
    yield server
    server.close()


WATCHDOG_PASS = "from automation.watchdog import recover_stale_runs; recover_stale_runs()"


def manage(env: dict, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


class Supervisor:
    """What production runs around the worker and beat: restart a worker that exited (compose's
    `restart: unless-stopped`; a Celery worker can exit when its broker vanishes mid-reconnect), and
    pass the watchdog, here in a process that sees the restarted Redis as its broker."""

    def __init__(self, start_worker, env: dict):
        self.start_worker, self.env = start_worker, env
        self.worker = start_worker(**env)
        self.restarts = 0

    def tick(self, run: AutomationRun) -> None:
        if self.worker.process.poll() is not None:
            self.worker = self.start_worker(**self.env)
            self.restarts += 1
        stale_before = timezone.now() - datetime.timedelta(seconds=settings.AUTOMATION_STALE_SECONDS)
        if status_of(run).heartbeat_at and run.heartbeat_at < stale_before:
            manage(self.worker.env, "shell", "-c", WATCHDOG_PASS)


def test_redis_restarted_mid_run_leaves_a_consistent_lock_and_a_new_run_can_start(
    fake_openai, start_worker, fast_recovery, own_redis
):
    fake_openai.configure(latency_ms=30)
    redis_env = {
        "REDIS_URL": own_redis.url(0),
        "CELERY_BROKER_URL": own_redis.url(1),
        "CACHE_KEY_PREFIX": "faults",
    }
    supervisor = Supervisor(start_worker, {**FAST_RECOVERY, **redis_env})
    env = supervisor.worker.env
    account, site, client = fault_site()
    started = manage(env, "run_automation", "--site", str(site.pk))
    assert started.returncode == 0, started.stderr
    run = AutomationRun.objects.get(site=site)
    wait_for(lambda: status_of(run).current_stage >= 3, what="stage 3")
    own_redis.kill()  # the cache, the lock and the broker's queues are gone with it
    own_redis.start()
    lock_key = f"faults:1:automation_lock_{site.pk}"
    store = redis.Redis(port=own_redis.port)
    wait_for(
        lambda: store.exists(lock_key) or status_of(run).status in ENDED,
        what="the executor to take the site lock again",
    )
    run = until_ended(run, timeout=120, watchdog=lambda: supervisor.tick(run))
    assert run.status in ("completed", "failed"), run.status
    if run.status == "completed":
        figures = assert_exactly_once(site)
    else:
        assert run.error_message
        figures = assert_exactly_once(site, complete=False)
    # The executor releases the lock just after it commits the run's end.
    wait_for(lambda: not store.exists(lock_key), timeout=10, what="the site lock to be released")
    assert status_of(run).heartbeat_at is None

    again = manage(env, "run_automation", "--site", str(site.pk))
    assert again.returncode == 0, again.stderr
    second = AutomationRun.objects.filter(site=site).exclude(pk=run.pk).get()
    second = until_ended(second, timeout=60, watchdog=lambda: supervisor.tick(second))
    assert second.status == "completed", second.error_message
    assert not store.exists(lock_key)
    report(
        "redis restarted",
        first_run=run.status,
        second_run=second.status,
        worker_restarts=supervisor.restarts,
        **figures,
    )


# 5. Control storms ---------------------------------------------------------------------------------


CONTROLS = ("pause", "resume", "cancel")


def storm(client, run_id: str, seed: int, controls, threads: int = 10, rounds: int = 5) -> dict:
    """`threads` clients each send `rounds` random `controls` through the API; returns the answers."""

    def send(index: int) -> list[int]:
        rng = random.Random(seed * 100 + index)
        return [
            client.post(f"{BASE}/{rng.choice(controls)}/?run_id={run_id}").status_code for _ in range(rounds)
        ]

    answers: dict = {}
    for outcome in at_once(threads, send):
        for code in outcome if isinstance(outcome, list) else [repr(outcome)]:
            answers[code] = answers.get(code, 0) + 1
    return answers


def executors_idle(worker) -> bool:
    output = worker.output()
    received = len(re.findall(r"Task automation\.\w+_automation_task\[[^\]]+\] received", output))
    ended = len(re.findall(r"Task automation\.\w+_automation_task\[[^\]]+\] (?:succeeded|raised)", output))
    return received == ended


def storm_trial(seed: int, worker) -> None:
    account, site, client = fault_site()
    run = start_run(client, site)
    stage = random.Random(seed).randint(1, 5)
    # Odd seeds storm with cancel among the controls; even seeds with pause and resume only, so that
    # both ends (cancelled, and completed after the storm) are reached.
    controls = CONTROLS if seed % 2 else CONTROLS[:2]
    print(f"[faults] control-storm seed={seed}: 10 threads x 5 of {controls} in stage >= {stage}", flush=True)
    wait_for(lambda: status_of(run).current_stage >= stage or run.status in ENDED, what=f"stage {stage}")
    answers = storm(client, run.run_id, seed, controls)
    assert set(answers) <= {200, 400}, answers
    after_storm = status_of(run).status
    if after_storm == "running":
        wait_for(
            lambda: lock_holder(site.pk) == run.run_id or status_of(run).status in ENDED, what="the lock"
        )
    else:
        wait_for(
            lambda: executors_idle(worker) and status_of(run).heartbeat_at is None,
            what="the executor to stop",
        )
        assert lock_holder(site.pk) is None
    if after_storm == "paused":
        assert client.post(f"{BASE}/resume/?run_id={run.run_id}").status_code == 200
    if status_of(run).status == "running":
        run = until_ended(run)
    assert run.status in ("completed", "cancelled"), run.error_message
    wait_for(lambda: executors_idle(worker), what="the last executor to exit")
    figures = assert_exactly_once(site, complete=run.status == "completed")
    assert_no_lock_and_no_executor(site, run)
    assert AutomationRun.objects.filter(site=site).count() == 1
    report(
        "control storm",
        seed=seed,
        controls=sum(answers.values()),
        answers=answers,
        after_storm=after_storm,
        final=run.status,
        **figures,
    )


def test_control_storms_end_in_one_consistent_state_with_the_lock_released(
    fake_openai, start_worker, fast_recovery
):
    fake_openai.configure(latency_ms=30)
    worker = start_worker(**FAST_RECOVERY)
    for seed in trials(2):
        storm_trial(seed, worker)


# 6. PostgreSQL connection dropped -------------------------------------------------------------------


def drop_connections(application_name: str) -> int:
    database = settings.DATABASES["default"]
    with psycopg.connect(
        host=database["HOST"],
        port=database["PORT"],
        user=database["USER"],
        password=database.get("PASSWORD") or None,
        dbname=database["NAME"],
        autocommit=True,
    ) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND application_name = %s AND pid <> pg_backend_pid()",
            [application_name],
        ).fetchall()
    return len(rows)


def test_database_connections_dropped_under_a_worker_lose_and_double_nothing(
    fake_openai, start_worker, fast_recovery
):
    fake_openai.configure(latency_ms=40)
    name = f"igny8-fault-worker-{os.getpid()}"
    start_worker(DATABASE_URL=database_url_for_processes(application_name=name), **FAST_RECOVERY)
    account, site, client = fault_site()
    run = start_run(client, site)
    dropped = 0
    for stage in (2, 4, 6):
        wait_for(
            lambda s=stage: status_of(run).current_stage >= s or run.status in ENDED, what=f"stage {stage}"
        )
        dropped += wait_for(lambda: drop_connections(name), timeout=10, what="the worker's connections")
    run = until_ended(run)
    assert run.status == "completed", run.error_message
    figures = assert_exactly_once(site)
    assert_no_lock_and_no_executor(site, run)
    report(
        "database connections dropped",
        drops=3,
        backends_terminated=dropped,
        claims=run.fencing_token,
        **figures,
    )


# Deleting a site mid-run -------------------------------------------------------------------------------


def test_deleting_a_site_mid_run_ends_its_executor_cleanly_without_files_or_lock(
    fake_openai, start_worker, fast_recovery
):
    fake_openai.configure(latency_ms=50)
    worker = start_worker(**FAST_RECOVERY)
    account, site, client = fault_site()
    run = start_run(client, site)
    wait_for(lambda: status_of(run).current_stage >= 4, what="stage 4")
    directory, site_pk = run_log_dir(run), site.pk
    assert directory.exists() and lock_holder(site_pk) == run.run_id
    deleted = client.delete(f"/api/v1/auth/sites/{site_pk}/")
    assert deleted.status_code == 204, deleted.content
    ended = re.compile(r"automation\.run_automation_task\[[^\]]+\] succeeded in [\d.]+s: '(\w+)'")
    outcome = wait_for(lambda: (found := ended.search(worker.output())) and found.group(1), what="executor")
    # It saw the cancel, or found its run already gone.
    assert outcome in ("stopped", "cancelled"), worker.output()[-4000:]
    assert "executor crashed" not in worker.output() and "Traceback" not in worker.output()
    assert not directory.exists() and not directory.parent.exists()
    assert lock_holder(site_pk) is None
    assert not AutomationRun.objects.filter(pk=run.pk).exists()
