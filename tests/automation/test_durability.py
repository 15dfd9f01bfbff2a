"""Defects found by trying the design's guarantees as a customer and an attacker would (issue 9).

Races run real threads on real PostgreSQL and Redis; each test fails without the fix it names.
"""

import datetime
import re
import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from ai.models import AITaskLog
from automation.engine.claim import execute_run
from automation.engine.heartbeat import hold_site_lock
from automation.errors import RunActive
from automation.locks import lock_acquire, lock_extend, lock_holder, lock_release
from automation.logger import run_log_dir
from automation.models import AutomationLogEntry, AutomationRun, RunStatus
from automation.run_ids import new_run_id
from automation.services.control import SITE_DELETED, run_cancel, run_pause, run_resume, runs_cancel_for_site
from automation.services.runs import start_automation
from automation.watchdog import recover_stale_runs
from igny8.errors import ApplicationError
from planner.models import Keyword
from tenancy.models import Site
from tenancy.services import site_delete
from tests.automation.conftest import TOPIC_KEYWORDS
from tests.conftest import client_for
from tests.factories import make_account, make_content, make_keywords
from tests.threads import at_once
from tests.waiting import wait_for
from writer.models import Task

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("offline")]
SAME_SECOND = timezone.make_aware(datetime.datetime(2026, 12, 3, 14, 5, 23), datetime.timezone.utc)


def ready_site(**account):
    created = make_account(credits=10_000, **account)
    account, owner, site = created.account, created.owner, created.site
    make_keywords(site=site, texts=TOPIC_KEYWORDS)
    return site, owner


def empty_automation_queue() -> redis.Redis:
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("automation")
    return broker


@pytest.fixture
def frozen_clock(monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: SAME_SECOND)


# Run ids ------------------------------------------------------------------------------------------


def test_run_ids_made_in_the_same_second_are_unique_and_keep_the_reference_prefix():
    ids = {new_run_id("manual", SAME_SECOND) for _ in range(50)}
    assert len(ids) == 50
    assert all(re.fullmatch(r"run_20261203_140523_manual_[0-9a-f]{6}", run_id) for run_id in ids)


def test_two_accounts_starting_in_the_same_second_both_get_their_run(frozen_clock):
    sites = [ready_site()[0], ready_site()[0]]
    outcomes = at_once(2, lambda index: start_automation(site=sites[index]))
    assert all(isinstance(outcome, AutomationRun) for outcome in outcomes), outcomes
    assert outcomes[0].run_id != outcomes[1].run_id
    for site, run in zip(sites, outcomes, strict=True):
        assert lock_holder(site.pk) == run.run_id


# The site lock -------------------------------------------------------------------------------------


def test_twenty_concurrent_starts_leave_one_run_holding_the_lock(frozen_clock):
    site, owner = ready_site()
    outcomes = at_once(20, lambda index: start_automation(site=site))
    runs = [outcome for outcome in outcomes if isinstance(outcome, AutomationRun)]
    assert len(runs) == 1, outcomes
    assert all(isinstance(outcome, (AutomationRun, RunActive)) for outcome in outcomes), outcomes
    assert lock_holder(site.pk) == runs[0].run_id


def test_ten_concurrent_resumes_leave_the_run_running_with_its_lock():
    site, owner = ready_site()
    run = run_pause(run=start_automation(site=site))
    outcomes = at_once(10, lambda index: run_resume(run=AutomationRun.objects.get(pk=run.pk)))
    assert sum(isinstance(outcome, AutomationRun) for outcome in outcomes) == 1, outcomes
    assert all(isinstance(outcome, (AutomationRun, ApplicationError)) for outcome in outcomes), outcomes
    assert AutomationRun.objects.get(pk=run.pk).status == "running"
    assert lock_holder(site.pk) == run.run_id


def test_a_lock_is_released_or_renewed_only_by_the_run_that_holds_it():
    site, owner = ready_site()
    assert lock_acquire(site_id=site.pk, run_id="run_a")
    assert not lock_acquire(site_id=site.pk, run_id="run_b")
    assert lock_release(site_id=site.pk, run_id="run_b") is False
    assert lock_extend(site_id=site.pk, run_id="run_b") is False
    assert lock_holder(site.pk) == "run_a"
    assert lock_release(site_id=site.pk, run_id="run_a") is True
    assert lock_holder(site.pk) is None


def test_renewing_the_lock_of_a_run_cancelled_meanwhile_leaves_the_site_unlocked():
    site, owner = ready_site()
    run = run_cancel(run=start_automation(site=site))
    hold_site_lock(run)  # what a heartbeat that checked the status just before the cancel does next
    assert lock_holder(site.pk) is None


def test_renewing_the_lock_while_the_run_is_being_ended_leaves_the_site_unlocked():
    """`run_finish` releases the lock before its commit; a renewal in that moment must not keep it."""
    site, owner = ready_site()
    run = start_automation(site=site)
    AutomationRun.objects.filter(pk=run.pk).update(status=RunStatus.RUNNING)
    ending = threading.Event()

    def heartbeat_renews() -> None:
        ending.wait(10)
        try:
            hold_site_lock(run)
        finally:
            connection.close()

    renewal = threading.Thread(target=heartbeat_renews)
    renewal.start()
    with transaction.atomic():  # as run_finish: the run's row first, the lock released before the commit
        AutomationRun.objects.filter(pk=run.pk).update(status=RunStatus.COMPLETED)
        lock_release(site_id=site.pk, run_id=run.run_id)
        ending.set()
        time.sleep(0.5)  # the renewal comes while the end is not yet committed
    renewal.join(timeout=10)
    assert lock_holder(site.pk) is None


# The watchdog -------------------------------------------------------------------------------------


def test_the_watchdog_leaves_a_run_that_waits_in_the_queue_alone(settings):
    settings.AUTOMATION_STALE_SECONDS = 1
    broker = empty_automation_queue()
    site, owner = ready_site()
    run = start_automation(site=site)
    AutomationRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=10))
    assert recover_stale_runs() == []
    assert recover_stale_runs() == []
    settings.AUTOMATION_QUEUE_STALE_SECONDS = 1  # waited long, but its message is still in the queue
    assert recover_stale_runs() == []
    assert broker.llen("automation") == 1
    assert not AutomationLogEntry.objects.filter(run=run, level="warning").exists()


def test_the_watchdog_requeues_a_lost_queued_run_once_per_queue_period(settings):
    settings.AUTOMATION_STALE_SECONDS = 1
    settings.AUTOMATION_QUEUE_STALE_SECONDS = 60
    broker = empty_automation_queue()
    site, owner = ready_site()
    run = start_automation(site=site)
    broker.delete("automation")  # the message is lost (a worker took it and died before claiming)
    AutomationRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(seconds=30))
    assert recover_stale_runs() == []  # waited less than the queue can explain
    AutomationRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - datetime.timedelta(minutes=5))
    assert recover_stale_runs() == [run.run_id]
    assert recover_stale_runs() == []
    broker.delete("automation")
    assert recover_stale_runs() == []  # re-enqueued less than a queue period ago
    warning = AutomationLogEntry.objects.get(run=run, level="warning")
    assert "No worker took the run" in warning.message and "heartbeat" not in warning.message


def test_the_watchdog_hands_over_a_claimed_run_whose_heartbeat_stopped(settings):
    settings.AUTOMATION_STALE_SECONDS = 1
    broker = empty_automation_queue()
    site, owner = ready_site()
    run = start_automation(site=site)
    broker.delete("automation")
    now = timezone.now()
    AutomationRun.objects.filter(pk=run.pk).update(
        started_at=now - datetime.timedelta(seconds=10),
        fencing_token=1,
        heartbeat_at=now - datetime.timedelta(seconds=5),
    )
    assert recover_stale_runs() == [run.run_id]
    assert recover_stale_runs() == []  # its new message waits in the queue: nothing piles up
    assert broker.llen("automation") == 1


def test_a_lock_left_by_a_run_that_ended_does_not_stop_the_next_run():
    site, owner = ready_site()
    run = start_automation(site=site)
    # Its executor died between ending the run and releasing the lock.
    AutomationRun.objects.filter(pk=run.pk).update(status="completed", heartbeat_at=None)
    assert lock_holder(site.pk) == run.run_id
    second = start_automation(site=site)
    assert lock_holder(site.pk) == second.run_id
    empty_automation_queue()


def test_a_run_delivered_again_after_it_ended_releases_the_lock_it_left():
    site, owner = ready_site()
    run = start_automation(site=site)
    AutomationRun.objects.filter(pk=run.pk).update(status="completed", heartbeat_at=None)
    assert execute_run(run_pk=run.pk) == "not_claimed"
    assert lock_holder(site.pk) is None
    empty_automation_queue()


# Deleting a site ----------------------------------------------------------------------------------


def test_deleting_a_site_with_an_active_run_removes_its_log_files_and_lock():
    site, owner = ready_site()
    run = start_automation(site=site)
    assert run_log_dir(run).exists() and lock_holder(site.pk) == run.run_id
    response = client_for(owner).delete(f"/api/v1/auth/sites/{site.pk}/")
    assert response.status_code == 204
    assert not AutomationRun.objects.filter(pk=run.pk).exists()
    assert not run_log_dir(run).exists()
    assert not run_log_dir(run).parent.exists()
    assert lock_holder(site.pk) is None


def test_a_site_deletion_that_meets_a_row_added_meanwhile_is_tried_again():
    # A row added after the deletion collected the site's rows fails the foreign keys at the commit.
    site = make_account().site
    site_id, added = site.pk, []

    def add_a_keyword_once(sender, instance, **kwargs):
        if not added:
            added.extend(at_once(1, lambda _: make_keywords(site=instance, texts=["late keyword"])))

    pre_delete.connect(add_a_keyword_once, sender=Site, weak=False)
    try:
        site_delete(site=site)
    finally:
        pre_delete.disconnect(add_a_keyword_once, sender=Site)
    assert added and not isinstance(added[0], Exception)
    assert not Site.objects.filter(pk=site_id).exists()
    assert not Keyword.objects.filter(site_id=site_id).exists()


def test_a_site_deletion_that_loses_a_deadlock_to_a_commit_in_flight_is_tried_again():
    # A stage's commit holds its task and then writes a log row; the deletion removes the site's log
    # rows first and then reaches the tasks. PostgreSQL aborts the one that waited first: the deletion.
    tenant = make_account()
    task = make_content(site=tenant.site, title="Trail running shoes").task
    log = AITaskLog.objects.create(
        account=tenant.account, site=tenant.site, function="generate_content", status="success"
    )
    commit_started = threading.Event()

    def deletion_waits_on_a_task() -> bool:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND query LIKE 'UPDATE \"writer_task\"%%'"
            )
            return cursor.fetchone()[0] == 1

    def commit_in_flight() -> None:
        try:
            with transaction.atomic():
                Task.objects.select_for_update().get(pk=task.pk)
                commit_started.set()
                wait_for(deletion_waits_on_a_task, what="the deletion to wait on the task")
                AITaskLog.objects.filter(pk=log.pk).update(duration_ms=1)
        finally:
            connection.close()

    committing = threading.Thread(target=commit_in_flight)
    committing.start()
    assert commit_started.wait(timeout=10)
    site_delete(site=tenant.site)
    committing.join(timeout=30)
    assert not Site.objects.filter(pk=tenant.site.pk).exists()
    assert not Task.objects.filter(pk=task.pk).exists() and not AITaskLog.objects.filter(pk=log.pk).exists()


def test_a_site_about_to_be_deleted_has_its_run_cancelled_with_the_reason():
    site, owner = ready_site()
    run = start_automation(site=site)
    assert runs_cancel_for_site(site=site) == [run.run_id]
    run.refresh_from_db()
    assert run.status == "cancelled" and run.error_message == SITE_DELETED
    assert lock_holder(site.pk) is None
