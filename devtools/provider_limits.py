"""A provider's rate limit, as the local OpenAI-compatible server enforces it.

At most `requests` requests and `tokens` tokens in any `window` seconds (a moving-window log, the
strictest reading of "N per window"): past it the answer is 429, with `Retry-After` (the whole
seconds until the oldest counted request leaves the window) when `retry_after` is on. With
`headers` on, every answer carries OpenAI's six rate-limit headers, their resets in OpenAI's
format (`1s`, `6m0s`, `250ms`), meaning as OpenAI's: the time until the limit is whole again.
A refused request counts against nothing.
"""

import math
import threading
import time
from collections import deque
from dataclasses import dataclass, field


def openai_duration(seconds: float) -> str:
    """`6m0s`, `1.5s`, `250ms`: how OpenAI writes the x-ratelimit-reset-* headers."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    rest = f"{rest:.3f}".rstrip("0").rstrip(".")
    return f"{int(minutes)}m{rest}s" if minutes else f"{rest}s"


@dataclass
class Admission:
    accepted: bool
    headers: dict = field(default_factory=dict)


class WindowLimit:
    def __init__(
        self, *, requests: int, tokens: int = 0, window: float, headers: bool = True, retry_after: bool = True
    ):
        self.requests, self.tokens, self.window = requests, tokens, window
        self.send_headers, self.send_retry_after = headers, retry_after
        self.lock = threading.Lock()
        self.accepted: deque[tuple[float, int]] = deque()  # (time, tokens) of each request counted

    def admit(self, tokens: int, now: float | None = None) -> Admission:
        """Count the request if it fits, and say what the answer's headers are."""
        now = time.time() if now is None else now
        with self.lock:
            while self.accepted and self.accepted[0][0] <= now - self.window:
                self.accepted.popleft()
            used_tokens = sum(cost for _, cost in self.accepted)
            fits = (not self.requests or len(self.accepted) < self.requests) and (
                not self.tokens or used_tokens + tokens <= self.tokens
            )
            if fits:
                self.accepted.append((now, tokens))
                used_tokens += tokens
            headers = self._headers(now, used_tokens) if self.send_headers else {}
            if not fits and self.send_retry_after:
                headers["retry-after"] = str(max(1, math.ceil(self._first_room(now, tokens) - now)))
            return Admission(accepted=fits, headers=headers)

    def _first_room(self, now: float, tokens: int) -> float:
        """When enough of the counted requests have left the window for this one to fit."""
        used, needed_requests = sum(cost for _, cost in self.accepted), len(self.accepted) - self.requests + 1
        for count, (at, cost) in enumerate(self.accepted, start=1):
            used -= cost
            if (not self.requests or count >= needed_requests) and (
                not self.tokens or used + tokens <= self.tokens
            ):
                return at + self.window
        return now + self.window

    def _headers(self, now: float, used_tokens: int) -> dict:
        reset = self.accepted[-1][0] + self.window - now if self.accepted else 0.0
        headers = {}
        if self.requests:
            headers["x-ratelimit-limit-requests"] = str(self.requests)
            headers["x-ratelimit-remaining-requests"] = str(max(0, self.requests - len(self.accepted)))
            headers["x-ratelimit-reset-requests"] = openai_duration(reset)
        if self.tokens:
            headers["x-ratelimit-limit-tokens"] = str(self.tokens)
            headers["x-ratelimit-remaining-tokens"] = str(max(0, self.tokens - used_tokens))
            headers["x-ratelimit-reset-tokens"] = openai_duration(reset)
        return headers


def window_limit_from_knobs(knobs: dict) -> WindowLimit | None:
    """The server's limit as its knobs describe it, or None when it enforces none."""
    if not (knobs["limit_requests"] or knobs["limit_tokens"]):
        return None
    return WindowLimit(
        requests=knobs["limit_requests"],
        tokens=knobs["limit_tokens"],
        window=knobs["limit_window"],
        headers=knobs["limit_headers"],
        retry_after=knobs["limit_retry_after"],
    )


def request_tokens(body: dict, estimate) -> int:
    """What a request counts against a token limit, as OpenAI counts it: its input and `max_tokens`."""
    messages = body.get("messages") or []
    text = "".join(str(message.get("content", "")) for message in messages) or str(body.get("input") or "")
    return estimate(text) + int(body.get("max_tokens") or body.get("max_completion_tokens") or 0)
