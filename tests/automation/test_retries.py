"""Failed items: recorded with their reason, listed, and retried once as a narrowed run (in-process)."""

import pytest

from ai.models import AITaskLog
from automation.engine.claim import execute_run
from automation.errors import NothingToRetry
from automation.failures import failures_for_account
from automation.models import AutomationRun, ItemFailure
from automation.retries import RetryFilter, retry_failed, run_from_stage
from automation.services.config import config_get_or_create, config_update
from billing.models import CreditTransaction
from tests.factories import make_cluster, make_content, make_idea
from writer.models import Image, Task
from writer.services import ideas_queue_to_writer

pytestmark = pytest.mark.django_db


def queued_tasks(site, count: int) -> list[Task]:
    cluster = make_cluster(site=site, name="Coffee")
    ideas = [make_idea(cluster=cluster, title=f"Coffee article {n}") for n in range(count)]
    return ideas_queue_to_writer(site=site, idea_ids=[idea.pk for idea in ideas])


def quick_config(site):
    config = config_get_or_create(site=site)
    config_update(config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0})


def run_to_end(site, *, from_stage: int) -> AutomationRun:
    """A run from `from_stage` (the factories' clusters would otherwise wait in stage 2)."""
    run = run_from_stage(site=site, from_stage=from_stage)
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    return run


def test_a_failed_article_is_listed_with_its_reason_and_a_retry_processes_it_once(fake_openai, tenant):
    site = tenant.site
    quick_config(site)
    tasks = queued_tasks(site, 3)
    fake_openai.configure(fail_next=[400])
    first = run_to_end(site, from_stage=4)
    assert first.status == "completed"
    (failure,) = failures_for_account(account=tenant.account, run_id=first.run_id)
    assert (failure.stage, failure.function, failure.code) == (4, "generate_content", "provider_refused")
    assert "400" in failure.error
    failed_task = Task.objects.get(pk=failure.item_id)
    assert failed_task.status == "queued" and failed_task in tasks

    result = retry_failed(
        account=tenant.account,
        site_ids=[site.pk],
        selection=RetryFilter(run_id=first.run_id),
        raise_refusal=True,
    )
    (started,) = result["runs"]
    assert started["items"] == 1 and result["refused"] == []
    retry = AutomationRun.objects.get(run_id=started["run_id"])
    assert retry.item_filter == {"4": [failed_task.pk]} and retry.current_stage == 4
    assert retry.retry_of == first.run_id
    execute_run(run_pk=retry.pk)
    retry.refresh_from_db()
    assert retry.status == "completed"
    assert retry.stage_4_result["tasks_processed"] == 1
    assert retry.stage_5_result["reason"] == "not part of this retry"
    failed_task.refresh_from_db()
    assert failed_task.status == "completed"
    successes = AITaskLog.objects.filter(function="generate_content", status="success")
    assert sorted(item for log in successes for item in log.items) == sorted(t.pk for t in tasks)
    charges = CreditTransaction.objects.filter(automation_run_id=retry.run_id)
    assert charges.count() == 1 and charges.get().stage == 4
    failure.refresh_from_db()
    assert failure.resolved_at is not None
    with pytest.raises(NothingToRetry):
        retry_failed(
            account=tenant.account,
            site_ids=[site.pk],
            selection=RetryFilter(run_id=first.run_id),
            raise_refusal=True,
        )


def test_a_failed_image_is_retried_by_setting_it_pending_with_the_retry(fake_openai, tenant):
    site = tenant.site
    quick_config(site)
    make_content(site=site, title="Espresso at home")
    fake_openai.configure(image_fail_next=1)
    first = run_to_end(site, from_stage=5)
    assert first.stage_6_result["images_failed"] == 1
    failed = Image.objects.get(site=site, status="failed")
    (failure,) = ItemFailure.objects.filter(run_id=first.run_id)
    assert (failure.stage, failure.item_id) == (6, failed.pk)

    result = retry_failed(
        account=tenant.account, site_ids=[site.pk], selection=RetryFilter(stage=6), raise_refusal=False
    )
    retry = AutomationRun.objects.get(run_id=result["runs"][0]["run_id"])
    assert Image.objects.get(pk=failed.pk).status == "pending"  # committed with the retry's creation
    execute_run(run_pk=retry.pk)
    failed.refresh_from_db()
    assert failed.status == "generated"
    assert CreditTransaction.objects.filter(automation_run_id=retry.run_id).count() == 1


def test_a_filtered_retry_takes_only_the_matching_failures_of_the_callers_sites(
    fake_openai, tenant, other_tenant
):
    for each in (tenant, other_tenant):
        quick_config(each.site)
        queued_tasks(each.site, 1)
        fake_openai.configure(fail_next=[400])
        run_to_end(each.site, from_stage=4)
    with pytest.raises(NothingToRetry):
        retry_failed(
            account=tenant.account,
            site_ids=[tenant.site.pk],
            selection=RetryFilter(code="provider_timeout"),
            raise_refusal=False,
        )
    result = retry_failed(
        account=tenant.account,
        site_ids=[tenant.site.pk],
        selection=RetryFilter(code="provider_refused", function="generate_content"),
        raise_refusal=False,
    )
    assert [run["site_id"] for run in result["runs"]] == [tenant.site.pk]
    assert ItemFailure.objects.filter(site=other_tenant.site, resolved_at__isnull=True).count() == 1


def test_run_now_from_a_stage_skips_the_stages_before_it(offline, tenant):
    site = tenant.site
    quick_config(site)
    queued_tasks(site, 1)
    make_cluster(site=site, name="Left for later", keywords=["tea"])
    run = run_from_stage(site=site, from_stage=4)
    assert run.current_stage == 4 and run.initial_snapshot["stage_2_initial"] == 0
    execute_run(run_pk=run.pk)
    run.refresh_from_db()
    assert run.status == "completed" and run.stage_2_result is None
    assert run.stage_4_result["tasks_processed"] == 1
