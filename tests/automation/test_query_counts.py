"""The automation endpoints and the scheduler make as many queries at a larger size as at a small one.

Each test measures the same call at two sizes and compares the query counts: a per-row query
anywhere (one per projected article, one per due config) makes the larger count differ.
"""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from automation.logger import AutomationLogger
from automation.models import AutomationConfig, AutomationRun
from automation.selectors import active_run
from automation.services.config import config_get_or_create, config_update
from automation.services.control import run_cancel, run_pause
from automation.services.runs import start_automation
from automation.services.scheduler import check_scheduled_automations
from tenancy.services import site_create
from tests.factories import make_cluster, make_idea, make_keywords
from tests.waiting import wait_for
from writer.services import ideas_queue_to_writer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
BASE = "/api/v1/automation"


def queries_of(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = call()
    assert getattr(response, "status_code", 200) in (200, 201), response.content
    return len(queries)


class Pipeline:
    """A site whose keywords, ideas and queued tasks grow between two measurements."""

    def __init__(self, site):
        self.site, self.keywords, self.ideas = site, 0, 0

    def grow_to(self, *, keywords: int, ideas: int) -> None:
        make_keywords(site=self.site, texts=[f"keyword {n}" for n in range(self.keywords, keywords)])
        cluster = make_cluster(site=self.site, name=f"cluster {ideas}")
        made = [make_idea(cluster=cluster, title=f"idea {n}").pk for n in range(self.ideas, ideas)]
        # Half of them become queued tasks, so the estimate prices tasks, ideas and projections.
        ideas_queue_to_writer(site=self.site, idea_ids=made[: len(made) // 2])
        self.keywords, self.ideas = keywords, ideas


@pytest.fixture
def pipeline(tenant):
    config_update(
        config=config_get_or_create(site=tenant.site),
        fields={"within_stage_delay": 0, "between_stage_delay": 0},
    )
    pipeline = Pipeline(tenant.site)
    pipeline.grow_to(keywords=10, ideas=4)
    return pipeline


def counts_at_two_sizes(pipeline, call) -> tuple[int, int]:
    call()  # the first call creates the config and warms nothing else up
    small = queries_of(call)
    pipeline.grow_to(keywords=200, ideas=40)
    return small, queries_of(call)


@pytest.mark.parametrize("endpoint", ["estimate", "pipeline_overview"])
def test_site_endpoint_makes_as_many_queries_at_200_keywords_as_at_10(endpoint, pipeline, owner_client):
    small, large = counts_at_two_sizes(
        pipeline, lambda: owner_client.get(f"{BASE}/{endpoint}/?site_id={pipeline.site.pk}")
    )
    assert small == large


def test_current_processing_makes_as_many_queries_at_200_keywords_as_at_10(pipeline, owner_client):
    start_automation(site=pipeline.site)
    small, large = counts_at_two_sizes(
        pipeline, lambda: owner_client.get(f"{BASE}/current_processing/?site_id={pipeline.site.pk}")
    )
    assert small == large


def test_run_now_credit_check_makes_as_many_queries_at_200_keywords_as_at_10(pipeline, owner_client):
    def run_now():
        started = timezone.now().replace(microsecond=0)
        response = owner_client.post(f"{BASE}/run_now/?site_id={pipeline.site.pk}")
        run_cancel(run=active_run(site=pipeline.site))
        # Run ids carry the second they start in: a second start in the same second adds a lookup.
        wait_for(lambda: timezone.now().replace(microsecond=0) > started, timeout=3, what="the next second")
        return response

    small, large = counts_at_two_sizes(pipeline, run_now)
    assert small == large


@pytest.fixture
def runs_with_logs(pipeline):
    """Adds finished runs of 20 log lines each to the pipeline's site; returns the newest run id."""

    def add(count: int) -> str:
        for _ in range(count):
            run = start_automation(site=pipeline.site)
            for line in range(20):
                AutomationLogger(run).info(f"line {line}", stage=1)
            run_cancel(run=run)
        return AutomationRun.objects.filter(site=pipeline.site).first().run_id

    return add


def test_history_makes_as_many_queries_for_20_runs_as_for_2(pipeline, runs_with_logs, owner_client):
    def history():
        return owner_client.get(f"{BASE}/history/?site_id={pipeline.site.pk}&limit=200")

    runs_with_logs(2)
    small = queries_of(history)
    runs_with_logs(18)
    assert queries_of(history) == small


def test_logs_make_as_many_queries_for_400_lines_as_for_20(pipeline, runs_with_logs, owner_client):
    run_id = runs_with_logs(1)
    small = queries_of(lambda: owner_client.get(f"{BASE}/logs/?run_id={run_id}&lines=500"))
    run = AutomationRun.objects.get(run_id=run_id)
    for line in range(380):
        AutomationLogger(run).info(f"more {line}", stage=2)
    assert queries_of(lambda: owner_client.get(f"{BASE}/logs/?run_id={run_id}&lines=500")) == small


def make_configs(account, count: int, *, first: int) -> None:
    """`count` enabled daily configs at 14:00: half ran an hour ago, half are due at another hour."""
    for number in range(first, first + count):
        site = site_create(account=account, name=f"Scheduled site {number}")
        config = config_get_or_create(site=site)
        fields = {"is_enabled": True, "frequency": "daily", "scheduled_time": datetime.time(14, 0)}
        if number % 2:
            fields["scheduled_time"] = datetime.time(9, 0)
        config_update(config=config, fields=fields)
        if not number % 2:
            AutomationConfig.objects.filter(pk=config.pk).update(
                last_run_at=NOW - datetime.timedelta(hours=1)
            )


NOW = timezone.make_aware(datetime.datetime(2026, 12, 2, 14, 5), datetime.timezone.utc)


def test_the_scheduler_makes_as_many_queries_for_200_configs_as_for_20(tenant, pipeline):
    # One site is due and starts in each check; one has a paused run; the rest are skipped or not due.
    due = config_get_or_create(site=pipeline.site)
    config_update(config=due, fields={"is_enabled": True, "scheduled_time": datetime.time(14, 0)})
    paused_site = site_create(account=tenant.account, name="Paused site")
    config_update(
        config=config_get_or_create(site=paused_site),
        fields={"is_enabled": True, "scheduled_time": datetime.time(14, 0)},
    )
    run_pause(run=start_automation(site=paused_site))

    def check():
        AutomationConfig.objects.filter(site=pipeline.site).update(last_run_at=None)
        with CaptureQueriesContext(connection) as queries:
            outcome = check_scheduled_automations(now=NOW)
        run = active_run(site=pipeline.site)
        assert len(outcome["started"]) == 1 and outcome["started"][0] == run.run_id
        run_cancel(run=run)
        return len(queries), outcome, run.started_at.replace(microsecond=0)

    make_configs(tenant.account, 20, first=0)
    small, outcome, started = check()
    assert len(outcome["skipped"]) == 11
    make_configs(tenant.account, 180, first=20)
    # Run ids carry the second they start in: a second start in the same second adds a lookup.
    wait_for(lambda: timezone.now().replace(microsecond=0) > started, timeout=3, what="the next second")
    large, outcome, _ = check()
    assert len(outcome["skipped"]) == 101
    assert small == large


@pytest.mark.django_db(transaction=True)
def test_a_second_beat_passes_over_configs_a_first_beat_has_locked(tenant):
    """Two beats at once: the rows one beat is working on are skipped by the other, not started twice."""
    config = config_update(
        config=config_get_or_create(site=tenant.site),
        fields={"is_enabled": True, "frequency": "daily", "scheduled_time": datetime.time(14, 0)},
    )
    locked, release = threading.Event(), threading.Event()

    def first_beat():
        try:
            with transaction.atomic():
                AutomationConfig.objects.select_for_update().get(pk=config.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=first_beat)
    holder.start()
    try:
        assert locked.wait(timeout=30)
        assert check_scheduled_automations(now=NOW) == {"started": [], "skipped": []}
    finally:
        release.set()
        holder.join(timeout=30)
    assert not AutomationRun.objects.exists()
    assert len(check_scheduled_automations(now=NOW)["started"]) == 1
