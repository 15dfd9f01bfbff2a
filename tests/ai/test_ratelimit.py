"""The provider rate limit is shared through Redis: separate workers together stay under it."""

import threading
import time

import pytest
from django.conf import settings

from ai import specs
from ai.providers import OpenAIProvider
from ai.ratelimit import ProviderRateLimit, provider_key
from tests.waiting import wait_for

CLUSTER_INPUT = {"keywords": ["solar panel cost", "solar panel size", "heat pump noise"]}


def worker_provider(server, *, rpm: int = 0, window: int = 60, retries: int = 0) -> OpenAIProvider:
    """A provider as one worker process builds it: its own client, the shared Redis counters."""
    key = provider_key(base_url=server.base_url, api_key="test-key")
    limit = ProviderRateLimit(key=key, rpm=rpm, tpm=0, window_seconds=window, storage_uri=settings.REDIS_URL)
    return OpenAIProvider(
        api_key="test-key", base_url=server.base_url, timeout=5, max_retries=retries, rate_limit=limit
    )


def call(provider: OpenAIProvider) -> None:
    provider.complete_json(spec=specs.AUTO_CLUSTER, data=CLUSTER_INPUT, model="gpt-4o-mini")


def arrivals(server) -> list[float]:
    return sorted(entry["time"] for entry in server.requests if entry["path"] == "/v1/chat/completions")


@pytest.fixture
def server(openai_server):
    openai_server.reset()
    yield openai_server
    openai_server.reset()


def test_two_workers_together_stay_under_the_requests_per_window(server):
    rpm, window = 3, 2
    workers = [worker_provider(server, rpm=rpm, window=window) for _ in range(2)]
    threads = [threading.Thread(target=lambda p=p: [call(p) for _ in range(4)]) for p in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    times = arrivals(server)
    assert len(times) == 8
    # Any window (less a little for the trip to the server) holds at most `rpm` requests.
    busiest = max(sum(1 for t in times if start <= t < start + window - 0.1) for start in times)
    assert busiest == rpm
    assert times[-1] - times[0] >= 2 * window - 0.2  # 8 requests at 3 per window need 3 windows


def test_a_429_slows_every_worker_of_the_key_for_its_retry_after(server):
    server.configure(fail_next=[429], retry_after=1)
    first, second = worker_provider(server, retries=1), worker_provider(server)
    retried = threading.Thread(target=call, args=(first,))
    retried.start()
    wait_for(lambda: [e for e in server.requests if e["status"] == 429], timeout=5, what="the 429")
    call(second)
    retried.join(timeout=60)
    refused_at = next(e["time"] for e in server.requests if e["status"] == 429)
    later = wait_for(
        lambda: [e["time"] for e in server.requests if e["status"] == 200][1:] and server.requests,
        timeout=30,
        what="both calls to succeed",
    )
    answered = [e["time"] for e in later if e["status"] == 200]
    assert min(answered) - refused_at >= 0.9


def test_retry_after_is_read_in_seconds_milliseconds_or_as_a_date():
    from ai.ratelimit import retry_after_seconds

    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None


def test_the_shared_cooldown_costs_a_cache_read_per_quarter_second_not_per_request(server):
    import redis
    from django.core.cache import cache

    limit = worker_provider(server).rate_limit
    gets = redis.Redis.from_url(settings.REDIS_URL)

    def reads() -> int:
        return gets.info("commandstats").get("cmdstat_get", {}).get("calls", 0)

    before = reads()
    for _ in range(50):
        limit.wait_for_cooldown()
    assert reads() - before <= 2  # one read (the count is the whole server's: allow another client one)
    # Another worker's 429 reaches this one within the read interval.
    cache.set(limit.cooldown_key, 1e12, timeout=5)
    wait_for(lambda: limit.cooldown_until() == 1e12, timeout=2, what="the other worker's cooldown")
    cache.delete(limit.cooldown_key)


def test_with_redis_unreachable_a_429_still_slows_this_worker_and_calls_go_on(server, settings):
    # The shared cooldown is advice: a Redis restart mid-run must not fail the run's AI calls.
    settings.CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2},
        }
    }
    limit = worker_provider(server).rate_limit
    assert limit.cooldown_until() == 0
    limit.slow_down(30)
    assert limit.cooldown_until() >= time.time() + 29
    call(worker_provider(server))  # another worker of this key: not slowed, and not failed
