"""/health/ and /ready/: real PostgreSQL and Redis; the worker's trace is left by sending the Celery
signals a worker sends."""

import json
import time

import pytest
from celery.signals import heartbeat_sent, task_postrun
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError

from automation.tasks import check_scheduled_automations, recover_stale_runs
from operations.keys import worker_seen_key
from publishing.tasks import publish_due_task

pytestmark = pytest.mark.django_db

UNREACHABLE = "redis://127.0.0.1:1/0"


def test_health_answers_200_without_authentication(client):
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_ready_is_503_naming_the_worker_when_no_worker_was_ever_seen(client):
    response = client.get("/ready/")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["failed"] == ["worker"]
    assert (
        body["checks"]["database"]["ok"] and body["checks"]["cache"]["ok"] and body["checks"]["broker"]["ok"]
    )


def test_ready_is_200_after_a_worker_heartbeat(client):
    heartbeat_sent.send(sender=None)
    response = client.get("/ready/")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["worker"]["last_seen_seconds_ago"] < 5


def test_ready_is_503_when_the_last_worker_heartbeat_is_older_than_the_limit(client, settings):
    settings.HEALTH_WORKER_MAX_AGE = 60
    cache.set(worker_seen_key(), time.time() - 61)
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["worker"]
    assert "60 seconds" in response.json()["checks"]["worker"]["error"]


def test_ready_names_an_unreachable_broker_without_its_address(client, settings):
    heartbeat_sent.send(sender=None)
    settings.CELERY_BROKER_URL = UNREACHABLE
    settings.HEALTH_BROKER_TIMEOUT = 0.5
    response = client.get("/ready/")
    assert response.status_code == 503
    assert response.json()["failed"] == ["broker"]
    assert "127.0.0.1" not in response.content.decode() and ":1" not in response.content.decode()


def test_ready_names_an_unreachable_cache_without_its_address(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": UNREACHABLE,
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    response = client.get("/ready/")
    assert response.status_code == 503
    assert {"cache", "worker"} <= set(response.json()["failed"])
    assert "127.0.0.1" not in response.content.decode()


def test_ready_shows_when_beats_periodic_tasks_last_completed(client):
    response = client.get("/ready/")
    assert set(response.json()["scheduler"]["last_pass"].values()) == {None}
    task_postrun.send(sender=check_scheduled_automations, state="SUCCESS")
    task_postrun.send(sender=recover_stale_runs, state="FAILURE")
    last_pass = client.get("/ready/").json()["scheduler"]["last_pass"]
    assert last_pass["automation.check_scheduled_automations"].endswith("+00:00")
    assert last_pass["automation.recover_stale_runs"] is None
    assert last_pass["publishing.publish_due_task"] is None
    task_postrun.send(sender=publish_due_task, state="SUCCESS")
    assert client.get("/ready/").json()["scheduler"]["last_pass"]["publishing.publish_due_task"]


def test_readiness_command_exits_1_and_prints_the_failed_checks(capsys):
    with pytest.raises(CommandError) as failure:
        call_command("readiness")
    assert failure.value.returncode == 1
    assert json.loads(capsys.readouterr().out)["failed"] == ["worker"]
    heartbeat_sent.send(sender=None)
    call_command("readiness")
    assert json.loads(capsys.readouterr().out)["failed"] == []


def test_readiness_command_fails_when_beats_watchdog_has_not_run_lately(capsys):
    with pytest.raises(CommandError):
        call_command("readiness", "--only", "cache", "--scheduler-max-age", "300")
    task_postrun.send(sender=recover_stale_runs, state="SUCCESS")
    call_command("readiness", "--only", "cache", "--scheduler-max-age", "300")
    assert json.loads(capsys.readouterr().out.splitlines()[-1])["failed"] == []
