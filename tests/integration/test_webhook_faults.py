"""Webhook delivery by a real worker under faults: the receiver down for a while, the sender killed."""

import socket
from collections import Counter

import pytest
from django.db import transaction

from events.models import Delivery
from events.services import event_emit, webhook_create
from events.tasks import dispatch_events_task
from tests.events.receiver import Receiver
from tests.factories import make_account
from tests.waiting import wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
FAST_RETRIES = {
    "EVENTS_RETRY_BASE_SECONDS": "0.2",
    "EVENTS_RETRY_MAX_SECONDS": "1",
    "EVENTS_DELIVERY_TIMEOUT": "3",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def nudged(condition):
    """The condition, after queueing a dispatch as the per-minute beat would (faster here)."""

    def check():
        dispatch_events_task.delay()
        return condition()

    return check


def test_a_receiver_down_for_a_while_gets_every_event_once_when_it_is_back(start_worker):
    start_worker(**FAST_RETRIES)
    tenant = make_account(credits=10)
    port = free_port()
    webhook_create(account=tenant.account, url=f"http://127.0.0.1:{port}/hook", secret="s" * 20, events=[])
    events = []
    for number in range(6):
        with transaction.atomic():
            events.append(event_emit(account_id=tenant.account.pk, type="run.failed", data={"n": number}))
    # No beat runs here: each retry is sent by the dispatch queued for when it falls due.
    wait_for(
        lambda: Delivery.objects.filter(attempts__gte=2).count() == 6,
        interval=0.5,
        what="every delivery to fail twice while the receiver is down",
    )
    assert not Delivery.objects.filter(status="delivered").exists()
    with Receiver(port=port) as receiver:
        wait_for(
            nudged(lambda: Delivery.objects.filter(status="delivered").count() == 6),
            timeout=60,
            interval=0.5,
            what="every event delivered once the receiver is back",
        )
        keys = Counter(request["headers"]["Idempotency-Key"] for request in receiver.received())
    assert keys == Counter({str(event.id): 1 for event in events})
    assert all(d.attempt_log.first().response_code is None for d in Delivery.objects.all())


def test_a_delivery_whose_sender_is_killed_mid_request_is_sent_again(start_worker):
    first = start_worker(EVENTS_DELIVERY_LOCK_SECONDS="2", **FAST_RETRIES)
    tenant = make_account(credits=10)
    with Receiver() as receiver:
        receiver.release.clear()  # hold the first request: its sender is killed while waiting
        webhook_create(account=tenant.account, url=receiver.url, secret="s" * 20, events=[])
        with transaction.atomic():
            event = event_emit(account_id=tenant.account.pk, type="run.failed", data={})
        wait_for(lambda: receiver.arrived == 1, what="the worker to send the delivery")
        first.kill()
        receiver.release.set()
        assert Delivery.objects.get().status == "pending"
        start_worker(EVENTS_DELIVERY_LOCK_SECONDS="2", **FAST_RETRIES)
        wait_for(
            nudged(lambda: Delivery.objects.get().status == "delivered"),
            timeout=60,
            interval=0.5,
            what="the delivery to be sent again once its claim expired",
        )
        keys = [request["headers"]["Idempotency-Key"] for request in receiver.received()]
    # At least once: the receiver saw the event twice, under one key that lets it drop the copy.
    assert keys == [str(event.id), str(event.id)]
