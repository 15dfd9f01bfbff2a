"""The local server behaves like a rate-limited provider: a limit per window, its headers, Retry-After."""

import httpx
import pytest

from devtools.provider_limits import WindowLimit, openai_duration


@pytest.fixture
def server(openai_server):
    openai_server.reset()
    yield openai_server
    openai_server.reset()


def chat(server, max_tokens: int = 0) -> httpx.Response:
    body = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hello"}]}
    if max_tokens:
        body["max_tokens"] = max_tokens
    return httpx.post(f"{server.base_url}/chat/completions", json=body, timeout=5)


def test_past_the_requests_per_window_the_server_answers_429_with_retry_after_and_headers(server):
    server.configure(limit_requests=3, limit_window=30)
    answers = [chat(server) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    first, refused = answers[0].headers, answers[3].headers
    assert first["x-ratelimit-limit-requests"] == "3"
    assert first["x-ratelimit-remaining-requests"] == "2"
    assert first["x-ratelimit-reset-requests"].endswith("s")
    assert refused["x-ratelimit-remaining-requests"] == "0"
    assert 28 <= int(refused["retry-after"]) <= 30
    assert [entry["status"] for entry in server.requests] == [200, 200, 200, 429]


def test_headers_and_retry_after_can_each_be_switched_off(server):
    server.configure(limit_requests=1, limit_window=30, limit_headers=False, limit_retry_after=False)
    accepted, refused = chat(server), chat(server)
    assert (accepted.status_code, refused.status_code) == (200, 429)
    assert not [name for name in accepted.headers if name.startswith("x-ratelimit")]
    assert "retry-after" not in refused.headers


def test_a_token_limit_counts_the_prompt_and_max_tokens(server):
    server.configure(limit_tokens=1000, limit_window=30)
    accepted = chat(server, max_tokens=600)
    assert accepted.status_code == 200
    assert accepted.headers["x-ratelimit-limit-tokens"] == "1000"
    remaining = int(accepted.headers["x-ratelimit-remaining-tokens"])
    assert 390 <= remaining < 400  # the prompt's few tokens and the 600 asked for
    assert chat(server, max_tokens=600).status_code == 429
    assert chat(server, max_tokens=300).status_code == 200


def test_the_window_moves_a_request_leaves_it_window_seconds_after_it_was_counted():
    limit = WindowLimit(requests=2, window=10)
    assert limit.admit(0, now=100).accepted and limit.admit(0, now=105).accepted
    refused = limit.admit(0, now=109)
    assert not refused.accepted and refused.headers["retry-after"] == "1"
    assert limit.admit(0, now=110.5).accepted  # the first left at 110
    assert not limit.admit(0, now=114).accepted  # the second leaves at 115


def test_resets_are_written_as_openai_writes_them():
    assert openai_duration(0.25) == "250ms"
    assert openai_duration(1.5) == "1.5s"
    assert openai_duration(360) == "6m0s"
    assert openai_duration(61.2) == "1m1.2s"
