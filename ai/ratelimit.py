"""One provider key's pace (`ai.pacing`), shared by every worker and run through Redis.

Each call takes a turn before it goes (`take_turn`), waiting for it at most until its deadline
(`AI_RATE_LIMIT_MAX_WAIT_SECONDS` from the call's start); every answer tells the pace what the
provider said (`answered`): its x-ratelimit-* headers, or a 429 with or without `Retry-After`.

Libraries looked at before writing the schedule: `limits` (once a dependency; fixed, moving and
sliding windows in Redis) answers "is there room now" for a fixed amount, so waiting callers poll
and all go when the window frees (the burst this replaces), and it has no way to change a limit
as the provider reveals it; `pyrate-limiter` and `throttled-py` (leaky bucket, GCRA, Redis
backends) and `aiolimiter` (asyncio, one process) pace to limits given up front; `openlimit`
(requests and tokens for OpenAI, Redis) too, and is unmaintained since 2023. None learns a limit
from headers or refusals, so the schedule is ours: a few lines of GCRA under a short Redis lock.
"""

import contextlib
import email.utils
import functools
import hashlib
import logging
import math
import re
import threading
import time
from collections.abc import Callable

import redis
from django.conf import settings

from ai.errors import RateLimitWaitExceeded
from ai.keys import ai_pace_key, ai_pace_lock_key, ai_pace_quiet_answers_key
from ai.pacing import Ceilings, PaceState, Turn

logger = logging.getLogger(__name__)
LONGEST_SLEEP_SECONDS = 0.5  # a waiting caller looks again this often: a refusal may move its turn
STATE_TTL_SECONDS = 3600  # what was learned of a key is forgotten after an hour without calls
# How stale a process's view of a quiet key may be: another worker's first 429 reaches it within this.
QUIET_READ_SECONDS = 0.25
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


def provider_key(*, base_url: str | None, api_key: str) -> str:
    """A name for the limits of one key at one endpoint that does not reveal the key."""
    return hashlib.sha256(f"{base_url or 'openai'}\n{api_key}".encode()).hexdigest()[:16]


def duration_seconds(value: str | None) -> float | None:
    """OpenAI's reset durations (`6m0s`, `1.5s`, `250ms`, `1h2m`) or plain seconds, as seconds."""
    if not value:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    parts = _DURATION.findall(value)
    if not parts:
        return None
    scale = {"h": 3600, "m": 60, "s": 1, "ms": 0.001}
    return sum(float(number) * scale[unit] for number, unit in parts)


def limit_headers(headers) -> dict:
    """OpenAI's x-ratelimit-* headers: `limit_requests`, `reset_requests` (seconds), and for tokens."""
    told = {}
    for kind in ("requests", "tokens"):
        with contextlib.suppress(TypeError, ValueError):
            limit = int(headers.get(f"x-ratelimit-limit-{kind}"))
            if limit > 0:
                told[f"limit_{kind}"] = limit
                told[f"reset_{kind}"] = duration_seconds(headers.get(f"x-ratelimit-reset-{kind}")) or 0.0
    return told


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


class SharedPace:
    """A key's PaceState: in Redis under a short lock, so every worker keeps one schedule.

    The pace is advice: with Redis away, this process keeps its own and calls go on.
    """

    def __init__(self, key: str, storage_uri: str):
        prefix = settings.CACHES["default"].get("KEY_PREFIX", "igny8")
        self.key, self.lock_key = f"{prefix}:{ai_pace_key(key)}", f"{prefix}:{ai_pace_lock_key(key)}"
        self.quiet_key = f"{prefix}:{ai_pace_quiet_answers_key(key)}"
        self.redis = redis.Redis.from_url(storage_uri) if storage_uri.startswith(("redis", "unix")) else None
        self.local, self.local_lock = PaceState(), threading.Lock()
        self.local_quiet_answers = 0
        self.last = PaceState()  # the state as this process last saw it
        self.read_at = -math.inf
        self.redis_down = False

    def update(self, change: Callable[[PaceState], object]):
        """Apply `change` to the shared state, atomically for every worker; returns what it returns."""
        if self.redis is not None:
            try:
                with self.redis.lock(self.lock_key, timeout=2, sleep=0.001, blocking_timeout=5):
                    state = PaceState.from_dict(self._read())
                    if quiet := int(self.redis.getdel(self.quiet_key) or 0):
                        state.answers_counted_apart(quiet)
                    outcome = change(state)
                    self.redis.set(self.key, _encode(state), ex=STATE_TTL_SECONDS)
                self.last, self.redis_down = state, False
                return outcome
            except redis.RedisError as error:
                self._not_shared(error)
        with self.local_lock:
            if self.local_quiet_answers:
                self.local.answers_counted_apart(self.local_quiet_answers)
                self.local_quiet_answers = 0
            outcome = change(self.local)
            self.last = PaceState.from_dict(self.local.as_dict())
            return outcome

    def count_quiet_answer(self) -> None:
        """An accepted answer while nothing paces the key: counted apart (one round trip, no lock),
        and into the state at its next update. A first refusal measures the burst by them."""
        if self.redis is not None and not self.redis_down:
            try:
                self.redis.pipeline(transaction=False).incr(self.quiet_key).expire(
                    self.quiet_key, STATE_TTL_SECONDS
                ).execute()
                return
            except redis.RedisError as error:
                self._not_shared(error)
        with self.local_lock:
            self.local_quiet_answers += 1

    def refreshed(self, *, every: float) -> PaceState:
        """The state as last seen, read again (without the lock) when older than `every` seconds."""
        now = time.monotonic()
        if self.redis is not None and not self.redis_down and now - self.read_at >= every:
            try:
                self.last, self.read_at = PaceState.from_dict(self._read()), now
            except redis.RedisError as error:
                self._not_shared(error)
        return self.last

    def epoch(self) -> int | None:
        """The schedule's epoch as it is now (None: unknown)."""
        if self.redis is None or self.redis_down:
            return self.local.epoch
        try:
            return PaceState.from_dict(self._read()).epoch
        except redis.RedisError as error:
            self._not_shared(error)
            return None

    def _read(self) -> dict:
        raw = self.redis.get(self.key)
        return _decode(raw) if raw else {}

    def _not_shared(self, error: Exception) -> None:
        if not self.redis_down:
            logger.warning("AI pacing not shared while Redis is unreachable: %s", error)
        self.redis_down = True


def _encode(state: PaceState) -> str:
    return ";".join(f"{name}={value}" for name, value in state.as_dict().items())


def _decode(raw: bytes) -> dict:
    values = {}
    for pair in raw.decode().split(";"):
        name, _, value = pair.partition("=")
        values[name] = value == "True" if value in ("True", "False") else float(value)
    values["epoch"] = int(values.get("epoch", 0))
    return values


class ProviderRateLimit:
    """Turns for one provider key: taken before each call, told of each answer."""

    def __init__(
        self,
        *,
        key: str,
        rpm: int = 0,
        tpm: int = 0,
        window_seconds: int = 60,
        storage_uri: str = "memory://",
        max_wait: float = 300.0,
    ):
        self.key, self.max_wait = key, max_wait
        self.ceilings = Ceilings(requests=rpm, tokens=tpm, window=window_seconds)
        self.shared = SharedPace(key, storage_uri)
        self.thread = threading.local()  # this thread's turn, for the HTTP client's hooks
        self.tokens_paced = bool(tpm)  # a token limit is known: usage corrects the schedule

    def take_turn(self, *, tokens: int, deadline: float) -> Turn:
        """Wait for the call's turn; RateLimitWaitExceeded when it would come after `deadline` (monotonic)."""
        if self._quiet():
            # Nothing paces this key: the schedule would give the turn now. Taking it under the shared
            # lock would only make every call wait on every other's round trips to Redis.
            turn = Turn(at=time.time(), epoch=self.shared.last.epoch, length=0, tokens=tokens, waited=False)
            self.thread.turn, self.thread.fresh = turn, True
            return turn
        while True:
            turn = self.shared.update(functools.partial(self._reserve, tokens=tokens, deadline=deadline))
            if turn is None:
                raise RateLimitWaitExceeded(
                    f"The AI provider's rate limit kept the call waiting over {self.max_wait:.0f}s."
                )
            if self._wait_for(turn):
                self.thread.turn, self.thread.fresh = turn, True
                return turn

    def _quiet(self) -> bool:
        """No ceiling, no limit told, no refusal, and the key's first answer is in: nothing to pace."""
        if self.ceilings.requests or self.ceilings.tokens:
            return False
        state = self.shared.refreshed(every=QUIET_READ_SECONDS)
        return state.first_burst and not state.told and state.accepted >= 1 and state.next_slot <= time.time()

    def _reserve(self, state: PaceState, *, tokens: int, deadline: float) -> Turn | None:
        remaining = max(0.0, deadline - time.monotonic())
        return state.reserve(now=time.time(), tokens=tokens, ceilings=self.ceilings, max_wait=remaining)

    def _wait_for(self, turn: Turn) -> bool:
        """Until the turn comes; False when a refusal meanwhile moved the schedule (take another)."""
        while (remaining := turn.at - time.time()) > 0:
            time.sleep(min(remaining, LONGEST_SLEEP_SECONDS))
            if remaining > LONGEST_SLEEP_SECONDS and self.shared.epoch() not in (turn.epoch, None):
                return False
        return not turn.waited or self.shared.epoch() in (turn.epoch, None)

    def answered(self, *, status: int, headers) -> None:
        """What an answer says of the key's limits: its headers, a 429 and its Retry-After."""
        told = limit_headers(headers)
        turn = getattr(self.thread, "turn", None)
        self.tokens_paced = self.tokens_paced or "limit_tokens" in told
        if status != 429 and self._nothing_new(told):
            return  # spare the shared state a write
        if status != 429 and not told and self._quiet():
            self.shared.count_quiet_answer()  # counted, sparing the shared state a locked write
            return

        def change(state: PaceState) -> None:
            if told:
                state.learn_headers(told, now=time.time())
            current = turn or Turn(at=time.time(), epoch=state.epoch, length=0, tokens=0, waited=False)
            if status == 429:
                retry_after = retry_after_seconds(headers)
                state.refused(now=time.time(), turn=current, retry_after=retry_after, ceilings=self.ceilings)
            else:
                state.accepted_call(current, self.ceilings)

        self.shared.update(change)

    def _nothing_new(self, told: dict) -> bool:
        """The pace is set by headers already, and these say no more than it knows."""
        last = self.shared.last
        return (
            last.told
            and told.get("limit_requests", last.request_limit) == last.request_limit
            and told.get("reset_requests", 0.0) <= last.request_window
            and told.get("limit_tokens", last.token_limit) == last.token_limit
            and told.get("reset_tokens", 0.0) <= last.token_window
        )

    def used_tokens(self, tokens: int) -> None:
        """The tokens the answer reports, against those its turn was given for."""
        turn = getattr(self.thread, "turn", None)
        if turn is not None and self.tokens_paced and tokens != turn.tokens:
            self.shared.update(lambda state: state.used_tokens(turn, tokens, self.ceilings))

    def event_hooks(self) -> dict:
        """Hooks for the SDK's HTTP client: every attempt, the SDK's own retries included, passes them."""

        def before(request) -> None:
            if getattr(self.thread, "fresh", False):
                self.thread.fresh = False  # the attempt the turn was taken for
                return
            # An attempt the SDK makes again on its own (a 5xx, a timeout) takes a turn of its own.
            self.take_turn(tokens=math.ceil(len(request.content or b"") / 4), deadline=math.inf)
            self.thread.fresh = False

        def after(response) -> None:
            self.answered(status=response.status_code, headers=response.headers)
            if response.status_code == 429:
                # The SDK obeys this header: a refusal is the pace's to wait out (the call takes its
                # next turn), not one of the SDK's retries, which stay for errors (5xx, timeouts).
                response.headers["x-should-retry"] = "false"

        return {"request": [before], "response": [after]}
