"""A run as fast as the provider allows, on any worker, without giving up its guarantees."""

import pytest

from automation.models import AutomationLogEntry
from billing.models import CreditTransaction
from tests.integration.pipeline import assert_exactly_once, setup_site, start_run, wait_until_ended

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
LATENCY = 0.3


def most_in_flight(server, schema_name: str) -> int:
    """The most calls of one function that were at the server at the same moment."""
    times = sorted(e["time"] for e in server.requests if e["schema_name"] == schema_name)
    return max((sum(1 for t in times if start <= t < start + LATENCY * 0.9) for start in times), default=0)


def test_a_stage_keeps_several_calls_in_flight_across_batches_of_one(fake_openai, start_worker):
    start_worker()  # AI_CONCURRENCY=4
    fake_openai.configure(latency_ms=int(LATENCY * 1000))
    account, site, client = setup_site(stage_4_batch_size=1)
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    assert 2 <= most_in_flight(fake_openai, "generate_content") <= 4
    assert_exactly_once(site, run)


def test_the_run_never_spends_more_than_its_credit_cap(fake_openai, start_worker):
    start_worker()
    account, site, client = setup_site(max_credits_per_run=20)
    run = wait_until_ended(start_run(client, site))
    charged = -sum(
        CreditTransaction.objects.filter(automation_run_id=run.run_id).values_list("amount", flat=True)
    )
    assert run.status == "completed", run.error_message
    assert charged == run.total_credits_used and 0 < charged <= 20
    assert any(
        result and result.get("partial_reason") == "max_credits_per_run reached"
        for result in (run.stage_result(number) for number in range(1, 8))
    )


def test_a_plain_worker_started_without_queues_runs_automation(fake_openai, start_worker):
    start_worker(queues=None)
    account, site, client = setup_site()
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message


def test_a_run_hands_its_worker_back_after_its_slice_and_still_finishes_exactly_once(
    fake_openai, start_worker
):
    start_worker(AUTOMATION_SLICE_SECONDS="1")
    fake_openai.configure(latency_ms=200)
    account, site, client = setup_site()
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    assert AutomationLogEntry.objects.filter(
        run=run, message__startswith="Executor yields its worker"
    ).exists()
    assert_exactly_once(site, run)
