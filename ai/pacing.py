"""How fast one provider key may be called: what its answers taught, and the turns handed out.

Pure state, no I/O (`ai.ratelimit` keeps it in Redis for every worker): a schedule of turns, one
after another (the generic cell rate algorithm), each turn as long as the larger of the call's two
pressures: one request's share of the request limit, and its expected tokens' share of the token
limit. Turns are handed out first come, first served to every caller of the key, so a site gets
as many as it has calls waiting (at most `AI_CONCURRENCY`, one run per site): a big site cannot
take the key from a small one, which waits its turn among the big one's calls, never behind them.

What the limits are (before a key's first answer, one call at a time: it may name them):
- OpenAI's `x-ratelimit-*` headers, on every answer: the limit, and as the window the longest
  time-to-reset seen (the reset of a request just counted is the whole window).
- Without headers, from refusals: until the first 429 nothing says there is a limit, and calls go
  as fast as the runs make them (a local model or an unlimited endpoint is never slowed); at the
  first 429 all requests since the start are still counted (the burst that filled an empty
  window), so the rate is what was accepted over the time until `Retry-After` (the burst's answers
  that come after its first refusal count as they come: a refusal is answered at once, an accepted
  call only after its latency); then every 429 cuts the
  rate (multiplicative decrease) and each accepted call while calls wait for turns raises it
  (additive increase): quickly back to just under the rate of the last refusal, slowly past it.
- `AI_RPM` / `AI_TPM` over `AI_RATE_WINDOW_SECONDS`: explicit ceilings on all of that.

A refusal restarts the schedule after the provider's `Retry-After`, at the new rate, and bumps an
epoch: turns handed out before it are taken again, so the callers who waited are spread over the
window instead of all calling when the wait ends.
"""

import math
from dataclasses import asdict, dataclass, fields

MARGIN = 0.97  # of a limit: room for the jitter between the turn and the provider's clock
INITIAL_RATE = 2.0  # requests per second after a first 429 that came before anything was accepted
MINIMUM_RATE = 0.05
# After a 429 without Retry-After: the window's debt is unknown, and one turn's wait would meet it
# again at once, each refusal cutting the rate once more.
UNTOLD_WAIT_SECONDS = 1.0
# Before the first answer of a key, one call at a time (at most this long each): its headers, if
# the provider sends any, pace the rest from the start.
FIRST_ANSWER_WAIT_SECONDS = 0.5
DECREASE = 0.85  # the rate after a refusal, of the rate that was refused
QUICK_STEP, SLOW_STEP = 0.10, 0.02  # additive increase each second: below, then past the last refusal
BINDING_SECONDS = 0.01  # a call that waited longer than this for its turn shows the rate binds


@dataclass(frozen=True)
class Ceilings:
    """The explicit limits (`AI_RPM`, `AI_TPM`, `AI_RATE_WINDOW_SECONDS`); 0: none."""

    requests: int = 0
    tokens: int = 0
    window: float = 60.0

    @property
    def request_rate(self) -> float:
        return self.requests / self.window * MARGIN if self.requests else math.inf

    @property
    def token_rate(self) -> float:
        return self.tokens / self.window * MARGIN if self.tokens else math.inf


@dataclass(frozen=True)
class Turn:
    at: float  # when the call may go (time.time())
    epoch: int
    length: float  # how much of the schedule it took
    tokens: int  # the tokens it was given a turn for
    waited: bool  # it queued behind other turns: the rate binds


@dataclass
class PaceState:
    request_limit: float = 0.0  # what the headers said (0: nothing yet)
    request_window: float = 0.0
    token_limit: float = 0.0
    token_window: float = 0.0
    rate: float = 0.0  # requests per second learned from refusals (0: not started)
    refused_rate: float = 0.0  # the rate in force at the last refusal
    probe_base: float = 0.0  # the rate set at the last refusal: the additive step is a share of it
    first_burst: bool = True  # no refusal yet, no headers: nothing paces the calls
    started_at: float = 0.0
    accepted: int = 0  # since the first call
    first_burst_turns: int = 0  # turns given before anything paced them
    next_slot: float = 0.0
    last_turn: float = 0.0  # when the latest turn given goes
    epoch: int = 0
    # The first burst, once refused with a Retry-After: how long it ran, the wait, and its epoch.
    burst_seconds: float = 0.0
    burst_retry_after: float = 0.0
    burst_epoch: int = -1

    @classmethod
    def from_dict(cls, data: dict | None) -> "PaceState":
        names = {field.name for field in fields(cls)}
        return cls(**{key: value for key, value in (data or {}).items() if key in names})

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def told(self) -> bool:
        """The provider sends its limits: they, not refusals, set the pace."""
        return bool(self.request_limit and self.request_window)

    def request_rate(self, ceilings: Ceilings) -> float:
        """Requests per second the schedule allows."""
        learned = self.request_limit / self.request_window * MARGIN if self.told else self.rate
        return min(learned or math.inf, ceilings.request_rate)

    def token_rate(self, ceilings: Ceilings) -> float:
        told = math.inf
        if self.token_limit and self.token_window:
            told = self.token_limit / self.token_window * MARGIN
        return min(told, ceilings.token_rate)

    def turn_length(self, tokens: int, ceilings: Ceilings) -> float:
        """The larger pressure: a request's share of the request rate, or its tokens' of the token rate."""
        return max(1 / self.request_rate(ceilings), tokens / self.token_rate(ceilings))

    def reserve(self, *, now: float, tokens: int, ceilings: Ceilings, max_wait: float) -> Turn | None:
        """The next turn, or None when it is more than `max_wait` away (nothing is reserved then)."""
        at = max(now, self.next_slot)
        if at - now > max_wait:
            return None
        if not self.started_at:
            self.started_at = now
        self.first_burst_turns += self.first_burst
        length = self.turn_length(tokens, ceilings)
        if self.first_burst and not self.accepted and not self.epoch:
            length = max(length, FIRST_ANSWER_WAIT_SECONDS)
        self.next_slot, self.last_turn = at + length, at
        return Turn(at=at, epoch=self.epoch, length=length, tokens=tokens, waited=at - now > BINDING_SECONDS)

    def learn_headers(self, headers: dict, *, now: float) -> None:
        """What the provider's x-ratelimit-* headers say of its limits."""
        first_answer = self.first_burst and not self.accepted
        for kind in ("requests", "tokens"):
            limit, reset = headers.get(f"limit_{kind}"), headers.get(f"reset_{kind}")
            if not limit:
                continue
            if kind == "requests":
                self.request_limit, self.first_burst = float(limit), False
                self.request_window = max(self.request_window, reset or 0.0)
            else:
                self.token_limit = float(limit)
                self.token_window = max(self.token_window, reset or 0.0)
        if not self.told:
            return
        interval = self.request_window / (self.request_limit * MARGIN)
        if first_answer:
            # One call went: the next goes an interval after its answer (when it was surely counted:
            # a first request on a new connection reaches the provider late), and the turns given
            # while it was answered are taken again.
            self.next_slot, self.epoch = now + interval, self.epoch + 1
        else:  # turns given before the headers were read count as if they had been paced
            burst_end = self.started_at + self.first_burst_turns * interval
            self.next_slot = max(self.next_slot, self.last_turn + interval, burst_end)

    def accepted_call(self, turn: Turn, ceilings: Ceilings) -> None:
        """A call answered (not refused): with no headers, the rate grows while it binds."""
        if self.told:
            return
        self.accepted += 1
        if turn.epoch <= self.burst_epoch:  # an answer of the first burst, after its refusal
            self.learn_burst(ceilings)
            return
        if self.first_burst and self.accepted == 1:
            # The first answer: the turns given while it was answered are taken again, unpaced.
            self.next_slot, self.epoch = turn.at + self.turn_length(turn.tokens, ceilings), self.epoch + 1
        if self.first_burst or not turn.waited or turn.epoch != self.epoch:
            return
        step = QUICK_STEP if self.rate < MARGIN * self.refused_rate else SLOW_STEP
        rate = self.rate + step * self.probe_base / self.rate  # over a second of answers: `step` × the base
        self.rate = min(rate, ceilings.request_rate)

    def refused(self, *, now: float, turn: Turn, retry_after: float | None, ceilings: Ceilings) -> None:
        """A 429: restart the schedule after the provider's wait; without headers, slow down."""
        if turn.epoch != self.epoch:
            return  # a turn given before the last refusal: that refusal has been answered already
        self.epoch += 1
        if not self.told:
            elapsed = max(now - self.started_at, 1e-3)
            refused_rate = self.rate or self.accepted / elapsed
            if self.first_burst and retry_after:  # its answers still on their way count as they come
                self.burst_seconds, self.burst_retry_after = elapsed, retry_after
                self.burst_epoch = turn.epoch
            if self.first_burst and self.accepted < 2:
                rate = INITIAL_RATE  # refused before anything was accepted: nothing measured
            elif self.first_burst and retry_after:
                # The burst since the start filled an empty window; its oldest leaves after retry_after.
                rate = self.accepted / (elapsed + retry_after)
            elif self.first_burst:
                rate = 0.5 * self.accepted / elapsed
            else:
                rate = DECREASE * refused_rate
            self.rate = min(max(MINIMUM_RATE, rate), ceilings.request_rate)
            self.refused_rate, self.probe_base, self.first_burst = refused_rate, self.rate, False
        wait = retry_after if retry_after else max(UNTOLD_WAIT_SECONDS, 1 / self.request_rate(ceilings))
        self.next_slot = now + wait

    def answers_counted_apart(self, count: int) -> None:
        """Answers accepted while nothing paced the key (no ceiling, no headers, no refusal yet),
        counted without the shared state's lock (`ai.ratelimit`)."""
        self.accepted += count
        if self.burst_epoch >= 0:
            self.learn_burst(Ceilings())  # counted apart only while no ceiling is set

    def learn_burst(self, ceilings: Ceilings) -> None:
        """The first burst's rate again, with its answers counted so far, until the next refusal."""
        if self.accepted < 2 or self.epoch != self.burst_epoch + 1:
            return
        rate = self.accepted / (self.burst_seconds + self.burst_retry_after)
        self.rate = self.probe_base = min(max(MINIMUM_RATE, rate), ceilings.request_rate)
        self.refused_rate = self.accepted / max(self.burst_seconds, 1e-3)

    def used_tokens(self, turn: Turn, tokens: int, ceilings: Ceilings) -> None:
        """The tokens an answer used, against those its turn was for: the schedule moves by the difference."""
        if tokens == turn.tokens or turn.epoch != self.epoch:
            return
        self.next_slot += self.turn_length(tokens, ceilings) - self.turn_length(turn.tokens, ceilings)
