"""/metrics: off by default, token-protected when a token is set, numbers from the database and broker."""

import pytest
import redis
from celery.signals import heartbeat_sent
from django.db.models import Count
from prometheus_client.parser import text_string_to_metric_families

from ai.models import AITaskLog
from automation.engine.claim import execute_run, executor_claim
from automation.services.config import config_get_or_create, config_update
from automation.services.runs import start_automation
from tests.factories import SMALL_RUN_KEYWORDS, make_keywords

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def test_metrics_are_not_served_unless_enabled(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_want_the_bearer_token_when_one_is_set(client, settings):
    settings.METRICS_ENABLED = True
    settings.METRICS_TOKEN = "scrape-token"
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    scrape(client, HTTP_AUTHORIZATION="Bearer scrape-token")


@pytest.fixture
def empty_broker(settings):
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()


def test_metrics_count_a_finished_run_its_stages_ai_calls_credits_and_the_queue(
    client, settings, tenant, offline, empty_broker
):
    settings.METRICS_ENABLED = True
    site = tenant.site
    make_keywords(site=site, texts=SMALL_RUN_KEYWORDS)
    config = config_get_or_create(site=site)
    config_update(config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0})
    run = start_automation(site=site)  # publishes one message; no worker consumes it here
    assert execute_run(run_pk=run.pk) == "completed"
    run.refresh_from_db()
    heartbeat_sent.send(sender=None)

    samples = scrape(client)

    assert samples[("igny8_automation_runs", (("status", "completed"),))] == 1
    assert samples[("igny8_automation_runs", (("status", "running"),))] == 0
    for stage in range(1, 8):
        labels = (("stage", str(stage)),)
        assert samples[("igny8_automation_stage_duration_seconds_count", labels)] == 1
        expected = run.stage_result(stage)["seconds"]
        assert samples[("igny8_automation_stage_duration_seconds_sum", labels)] == pytest.approx(expected)
    calls = AITaskLog.objects.values_list("function", "status").annotate(n=Count("id"))
    assert calls
    for function, status, n in calls:
        assert samples[("igny8_ai_calls_total", (("function", function), ("outcome", status)))] == n
    charged = sum(value for (name, _), value in samples.items() if name == "igny8_credits_charged_total")
    assert charged == run.total_credits_used > 0
    assert samples[("igny8_celery_queue_length", (("queue", "automation"),))] == 1
    assert samples[("igny8_celery_queue_length", (("queue", "celery"),))] == 0
    assert samples[("igny8_celery_broker_up", ())] == 1
    assert samples[("igny8_celery_worker_last_seen_age_seconds", ())] < 5


def test_metrics_show_the_heartbeat_age_of_a_claimed_run(client, settings, tenant, offline, empty_broker):
    settings.METRICS_ENABLED = True
    site = tenant.site
    make_keywords(site=site, texts=SMALL_RUN_KEYWORDS)
    run = start_automation(site=site)
    assert executor_claim(run_pk=run.pk) is not None  # what a worker does first: heartbeat_at is set
    samples = scrape(client)
    assert samples[("igny8_automation_runs", (("status", "running"),))] == 1
    assert samples[("igny8_automation_run_heartbeat_age_seconds", (("run_id", run.run_id),))] < 5


def test_metrics_report_an_unreachable_broker_instead_of_failing(client, settings):
    settings.METRICS_ENABLED = True
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    samples = scrape(client)
    assert samples[("igny8_celery_broker_up", ())] == 0
    assert not [name for name, _ in samples if name == "igny8_celery_queue_length"]
