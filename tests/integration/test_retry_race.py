"""Retries through the API, executed by a real worker: concurrent retries and a racing scheduled run
process each failed item once, and charge it once."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from ai.models import AITaskLog
from automation.models import AutomationConfig, AutomationRun
from automation.services.scheduler import check_scheduled_automations
from billing.models import CreditTransaction
from tests.conftest import client_for
from tests.factories import make_account, make_cluster, make_idea
from tests.integration.pipeline import BASE, wait_until_ended
from writer.models import Content, Task
from writer.services import ideas_queue_to_writer

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def failed_article_site(fake_openai, prepare=None):
    """A site whose run left one of three articles failed (the provider refused it once);
    `prepare(tenant)` runs before the run starts."""
    tenant = make_account(credits=100_000)
    if prepare:
        prepare(tenant)
    site, client = tenant.site, client_for(tenant.owner)
    fields = {"within_stage_delay": 0, "between_stage_delay": 0}
    assert client.patch(f"{BASE}/update_config/?site_id={site.pk}", fields, format="json").status_code == 200
    cluster = make_cluster(site=site, name="Coffee")
    ideas = [make_idea(cluster=cluster, title=f"Coffee article {n}") for n in range(3)]
    ideas_queue_to_writer(site=site, idea_ids=[idea.pk for idea in ideas])
    fake_openai.configure(fail_next=[400])
    response = client.post(f"{BASE}/run_now/?site_id={site.pk}&from_stage=4")
    assert response.status_code == 201, response.json()
    first = wait_until_ended(response.json()["data"]["run_id"])
    assert first.status == "completed", first.error_message
    assert Task.objects.filter(site=site, status="queued").count() == 1
    return tenant, client, first


def at_once(*calls) -> list:
    """Each call on its own thread, released together; their results in order."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(index, call):
        barrier.wait()
        try:
            results[index] = call()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def assert_each_article_made_and_charged_once(site):
    for task in Task.objects.filter(site=site):
        assert Content.objects.filter(task=task).count() == 1, task.pk
        made = [
            log for log in AITaskLog.objects.filter(site=site, function="generate_content", status="success")
        ]
        assert sum(task.pk in log.items for log in made) == 1, task.pk
    charges = CreditTransaction.objects.filter(site=site, operation_type="content_generation")
    # The scheduled run may add articles of its own (its stage 2 writes new ideas): one charge each.
    assert charges.count() == Content.objects.filter(site=site).count() >= 3


def test_concurrent_retries_of_a_run_start_one_run_and_process_the_item_once(fake_openai, worker):
    tenant, client, first = failed_article_site(fake_openai)
    clients = [client_for(tenant.owner) for _ in range(4)]
    body = {"run_id": first.run_id}
    responses = at_once(*[lambda c=c: c.post(f"{BASE}/retry/", body, format="json") for c in clients])
    codes = sorted(response.status_code for response in responses)
    assert codes == [201, 400, 400, 400], [r.json() for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 400} == {"run_active"}
    (winner,) = [r.json()["data"]["runs"][0]["run_id"] for r in responses if r.status_code == 201]
    assert wait_until_ended(winner).status == "completed"
    assert_each_article_made_and_charged_once(tenant.site)
    again = client.post(f"{BASE}/retry/", body, format="json")
    assert again.status_code == 400 and again.json()["code"] == "nothing_to_retry"


def test_a_retry_racing_the_scheduled_run_never_processes_the_item_twice(fake_openai, worker):
    tenant, client, first = failed_article_site(fake_openai)
    now = timezone.now()
    AutomationConfig.objects.filter(site=tenant.site).update(
        is_enabled=True, frequency="daily", scheduled_time=timezone.localtime(now).time(), last_run_at=None
    )
    body = {"run_id": first.run_id}
    retry, scheduled = at_once(
        lambda: client.post(f"{BASE}/retry/", body, format="json"),
        lambda: check_scheduled_automations(now=now),
    )
    started = scheduled["started"] + (
        [retry.json()["data"]["runs"][0]["run_id"]] if retry.status_code == 201 else []
    )
    assert len(started) == 1, (retry.json(), scheduled)  # the site lock lets one of them start
    assert wait_until_ended(started[0]).status == "completed"
    # Whichever lost starts again now: the item is no longer pending, so it is not processed again.
    late = client.post(f"{BASE}/retry/", body, format="json")
    if late.status_code == 201:
        assert wait_until_ended(late.json()["data"]["runs"][0]["run_id"]).status == "completed"
    else:
        assert late.json()["code"] == "nothing_to_retry"
    assert_each_article_made_and_charged_once(tenant.site)
    assert AutomationRun.objects.filter(site=tenant.site).count() >= 2
