"""One rate limit per provider key, shared by every worker and run through Redis.

Requests and tokens per window (`AI_RPM`, `AI_TPM`, `AI_RATE_WINDOW_SECONDS`) are counted with the
`limits` library: requests in an exact moving window, tokens (whose counts are large) in a
sliding-window counter; a 429 from the provider (honouring `Retry-After`)
pauses every caller of the same key until the provider's wait is over, not only the one that got it.
"""

import contextlib
import email.utils
import hashlib
import logging
import math
import time

from django.core.cache import cache
from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter, SlidingWindowCounterRateLimiter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)
LONGEST_WAIT_SECONDS = 1.0  # re-check at least this often while waiting for a window or a cooldown
# How stale a process's view of the shared cooldown may be: a read per request would cost a cache
# round trip on every AI call; another worker's 429 reaches this one within this time.
COOLDOWN_READ_SECONDS = 0.25


def provider_key(*, base_url: str | None, api_key: str) -> str:
    """A name for the limits of one key at one endpoint that does not reveal the key."""
    return hashlib.sha256(f"{base_url or 'openai'}\n{api_key}".encode()).hexdigest()[:16]


def retry_after_seconds(headers) -> float | None:
    """The provider's requested wait: `retry-after-ms`, or `retry-after` in seconds or as an HTTP date."""
    if milliseconds := headers.get("retry-after-ms"):
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class ProviderRateLimit:
    def __init__(self, *, key: str, rpm: int, tpm: int, window_seconds: int, storage_uri: str):
        self.key = key
        storage = storage_from_string(storage_uri) if rpm or tpm else None
        self.request_limiter = MovingWindowRateLimiter(storage) if rpm else None
        self.token_limiter = SlidingWindowCounterRateLimiter(storage) if tpm else None
        self.requests = RateLimitItemPerSecond(rpm, window_seconds, namespace="ai-requests") if rpm else None
        self.tokens = RateLimitItemPerSecond(tpm, window_seconds, namespace="ai-tokens") if tpm else None
        self._cooldown_until, self._cooldown_read_at = 0.0, -math.inf
        self._cache_down = False

    @property
    def cooldown_key(self) -> str:
        return f"ai_cooldown_{self.key}"

    def acquire(self, *, tokens: int) -> None:
        """Before a request: wait out a shared cooldown, then for room in the request and token windows."""
        self.wait_for_cooldown()
        if self.requests is not None:
            self._take(self.request_limiter, self.requests, 1)
        if self.tokens is not None:
            self._take(self.token_limiter, self.tokens, min(tokens, self.tokens.amount))

    def record_tokens(self, tokens: int) -> None:
        """After an answer: count the tokens it produced (already spent: never waits)."""
        if self.tokens is not None and tokens > 0:
            self.token_limiter.hit(self.tokens, self.key, cost=min(tokens, self.tokens.amount))

    def slow_down(self, seconds: float) -> None:
        """The provider answered 429: every caller of this key waits `seconds` from now."""
        until = time.time() + seconds
        self._cooldown_until = max(self._cooldown_until, until)
        with self._shared_cache():
            if (cache.get(self.cooldown_key) or 0) < until:
                cache.set(self.cooldown_key, until, timeout=math.ceil(seconds) + 1)
                logger.warning("AI provider rate limit reached; all callers of this key wait %.1fs", seconds)

    def wait_for_cooldown(self) -> None:
        while (remaining := self.cooldown_until() - time.time()) > 0:
            time.sleep(min(remaining, LONGEST_WAIT_SECONDS))

    def cooldown_until(self) -> float:
        """When the key's shared cooldown ends (0: none), as read at most COOLDOWN_READ_SECONDS ago."""
        now = time.monotonic()
        if now - self._cooldown_read_at >= COOLDOWN_READ_SECONDS:
            self._cooldown_read_at = now
            with self._shared_cache():
                self._cooldown_until = max(self._cooldown_until, cache.get(self.cooldown_key) or 0)
        return self._cooldown_until

    @contextlib.contextmanager
    def _shared_cache(self):
        """The shared cooldown is advice: with Redis away, this process keeps its own and calls go on."""
        try:
            yield
        except RedisError as error:
            if not self._cache_down:
                logger.warning("AI cooldown not shared while Redis is unreachable: %s", error)
            self._cache_down = True
        else:
            self._cache_down = False

    def _take(self, limiter, item, cost: int) -> None:
        while not limiter.hit(item, self.key, cost=cost):
            reset = limiter.get_window_stats(item, self.key).reset_time
            time.sleep(min(max(reset - time.time(), 0.01), LONGEST_WAIT_SECONDS))

    def event_hooks(self) -> dict:
        """Hooks for the SDK's HTTP client: every attempt, retries included, passes through them."""

        def before(request) -> None:
            self.acquire(tokens=math.ceil(len(request.content or b"") / 4))

        def after(response) -> None:
            if response.status_code == 429:
                self.slow_down(retry_after_seconds(response.headers) or 1.0)

        return {"request": [before], "response": [after]}
