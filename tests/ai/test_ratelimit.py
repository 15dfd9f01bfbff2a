"""Calls take turns of one pace per provider key, shared through Redis, against a rate-limited server."""

import threading
import time
import uuid

import pytest
from django.conf import settings

from ai import specs
from ai.errors import AIError, RateLimitWaitExceeded
from ai.providers import OpenAIProvider
from ai.ratelimit import ProviderRateLimit, duration_seconds, provider_key, retry_after_seconds

# A function the server answers at once (clustering would load its sentence model on a cold server).
PROMPTS_INPUT = {
    "title": "Heat pumps",
    "primary_keyword": "heat pump",
    "summary": "How.",
    "in_article_count": 1,
}


def worker_provider(
    server,
    *,
    api_key: str,
    retries: int = 0,
    max_wait: float = 60,
    rpm: int = 0,
    window: int = 60,
    storage=None,
) -> OpenAIProvider:
    """A provider as one worker process builds it: its own client, the shared Redis pace."""
    limit = ProviderRateLimit(
        key=provider_key(base_url=server.base_url, api_key=api_key),
        rpm=rpm,
        window_seconds=window,
        storage_uri=storage or settings.REDIS_URL,
        max_wait=max_wait,
    )
    return OpenAIProvider(
        api_key=api_key, base_url=server.base_url, timeout=5, max_retries=retries, rate_limit=limit
    )


def call(provider: OpenAIProvider) -> None:
    provider.complete_json(spec=specs.GENERATE_IMAGE_PROMPTS, data=PROMPTS_INPUT, model="gpt-4o-mini")


def call_from_threads(workers: list, *, threads_each: int, calls_each: int) -> None:
    """Each worker's threads make their calls at once, as a worker's runs do."""
    threads = [
        threading.Thread(target=lambda p=p: [call(p) for _ in range(calls_each)])
        for p in workers
        for _ in range(threads_each)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


def statuses(server) -> list:
    return [entry["status"] for entry in server.requests]


@pytest.fixture
def server(openai_server):
    openai_server.reset()
    yield openai_server
    openai_server.reset()


@pytest.fixture
def api_key():
    return f"key-{uuid.uuid4().hex[:8]}"  # a key of its own: nothing learned by another test


def test_two_workers_sharing_a_key_pace_together_to_the_limit_its_headers_reveal(server, api_key):
    server.configure(limit_requests=6, limit_window=2)
    call_from_threads(
        [worker_provider(server, api_key=api_key) for _ in range(2)], threads_each=2, calls_each=5
    )
    assert statuses(server).count(200) == 20
    # Each worker alone would pace to the whole limit, and together they would be refused.
    assert statuses(server).count(429) == 0


def test_a_429_is_not_one_of_the_calls_retries_the_call_waits_for_its_next_turn(server, api_key):
    server.configure(fail_next=[429, 429, 429])
    call(worker_provider(server, api_key=api_key, retries=0))
    assert statuses(server) == [429, 429, 429, 200]


def test_other_errors_keep_the_sdks_retries(server, api_key):
    server.configure(fail_next=[500])
    with pytest.raises(AIError, match="500"):
        call(worker_provider(server, api_key=api_key, retries=0))
    server.configure(fail_next=[500])
    call(worker_provider(server, api_key=api_key, retries=1))
    assert statuses(server) == [500, 500, 200]


@pytest.mark.parametrize("headers", [True, False], ids=["headers", "retry-after only"])
def test_past_the_longest_wait_the_call_ends_rate_limited_not_failed(server, api_key, headers):
    server.configure(limit_requests=1, limit_window=30, limit_headers=headers)
    provider = worker_provider(server, api_key=api_key, max_wait=1)
    call(provider)
    started = time.monotonic()
    with pytest.raises(RateLimitWaitExceeded):
        call(provider)
    assert time.monotonic() - started < 5  # it knew the next turn was too far: it did not sit out 30 s
    assert statuses(server) == ([200] if headers else [200, 429])


def test_with_redis_unreachable_this_worker_keeps_its_own_pace_and_calls_go_on(server, api_key):
    # The shared pace is advice: a Redis restart mid-run must not fail the run's AI calls.
    server.configure(limit_requests=3, limit_window=2)
    provider = worker_provider(server, api_key=api_key, storage="redis://127.0.0.1:1/0")
    for _ in range(5):
        call(provider)
    assert statuses(server).count(200) == 5 and statuses(server).count(429) == 0


def test_with_only_retry_after_the_first_refusal_measures_every_answer_of_the_burst(server, api_key):
    """The burst's refusals come back at once, its answers after their latency, and until the first
    refusal answers are counted without the shared state's lock: all of them set the rate."""
    server.configure(latency_ms=200, limit_requests=20, limit_window=2, limit_headers=False)
    workers = [worker_provider(server, api_key=api_key) for _ in range(2)]
    call_from_threads(workers, threads_each=6, calls_each=4)
    assert statuses(server).count(200) == 48
    # 20 accepted over the 2 s until the window frees: about 10 a second, not the 2 a second of a
    # burst measured by the one answer in before its refusal.
    assert workers[0].rate_limit.shared.refreshed(every=0).rate > 5


def test_an_explicit_ceiling_paces_calls_with_no_refusal_at_all(server, api_key):
    server.configure(limit_requests=4, limit_window=2, limit_headers=False, limit_retry_after=False)
    call_from_threads(
        [worker_provider(server, api_key=api_key, rpm=4, window=2)], threads_each=3, calls_each=3
    )
    assert statuses(server) == [200] * 9


def test_waits_are_read_as_openai_writes_them():
    assert retry_after_seconds({"retry-after": "2"}) == 2.0
    assert retry_after_seconds({"retry-after-ms": "1500", "retry-after": "9"}) == 1.5
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert retry_after_seconds({}) is None
    assert duration_seconds("6m0s") == 360 and duration_seconds("1.5s") == 1.5
    assert duration_seconds("250ms") == 0.25 and duration_seconds("1h2m") == 3720
    assert duration_seconds("2") == 2 and duration_seconds("soon") is None
