"""The pace of a provider key, as its answers teach it (pure state, on a clock the test holds)."""

import pytest

from ai.pacing import DECREASE, MARGIN, Ceilings, PaceState

NONE = Ceilings()


def turns(state: PaceState, count: int, *, now: float = 1000.0, tokens: int = 0, ceilings=NONE):
    return [state.reserve(now=now, tokens=tokens, ceilings=ceilings, max_wait=1e9) for _ in range(count)]


def test_with_headers_turns_are_spread_evenly_over_the_window_just_under_the_limit():
    state = PaceState()
    state.learn_headers({"limit_requests": 40, "reset_requests": 10.0}, now=0.0)
    times = [turn.at for turn in turns(state, 41)]
    gaps = {round(later - earlier, 6) for earlier, later in zip(times, times[1:], strict=False)}
    assert gaps == {round(10 / (40 * MARGIN), 6)}
    # Any 10 s holds at most 40 of them: the provider never has to refuse one.
    assert max(sum(1 for t in times if start <= t < start + 10) for start in times) <= 40


def test_the_larger_pressure_sets_the_pace_tokens_for_big_calls_requests_for_small_ones():
    state = PaceState()
    state.learn_headers(
        {"limit_requests": 100, "reset_requests": 60.0, "limit_tokens": 10_000, "reset_tokens": 60.0},
        now=0.0,
    )
    small, big = turns(state, 1, tokens=10)[0], turns(state, 1, tokens=2000)[0]
    assert small.length == pytest.approx(60 / (100 * MARGIN))
    assert big.length == pytest.approx(2000 * 60 / (10_000 * MARGIN))


def test_the_usage_an_answer_reports_corrects_the_schedule():
    state = PaceState()
    state.learn_headers(
        {"limit_requests": 1000, "reset_requests": 60.0, "limit_tokens": 6000, "reset_tokens": 60.0},
        now=0.0,
    )
    (turn,) = turns(state, 1, tokens=1000)
    before = state.next_slot
    state.used_tokens(turn, 400, NONE)  # the answer used less than expected: the schedule gives it back
    assert state.next_slot == pytest.approx(before - 600 * 60 / (6000 * MARGIN))


def test_explicit_ceilings_cap_what_the_headers_allow():
    state = PaceState()
    state.learn_headers({"limit_requests": 1000, "reset_requests": 60.0}, now=0.0)
    (turn,) = turns(state, 1, ceilings=Ceilings(requests=60, window=60))
    assert turn.length == pytest.approx(1 / MARGIN)


def test_a_turn_further_than_the_longest_wait_is_not_given_and_nothing_is_reserved():
    state = PaceState()
    state.learn_headers({"limit_requests": 1, "reset_requests": 10.0}, now=0.0)
    turns(state, 1)
    slot = state.next_slot
    assert state.reserve(now=1000.0, tokens=0, ceilings=NONE, max_wait=5) is None
    assert state.next_slot == slot


def test_without_headers_the_first_refusal_measures_the_burst_that_filled_the_window():
    state = PaceState()
    (first,) = turns(state, 1, now=100.0)
    for _ in range(40):  # 40 accepted in the first 4 s, as fast as they were asked for
        state.accepted_call(first, NONE)
    (refused,) = turns(state, 1, now=104.0)
    assert refused.at == 104.0  # nothing paced them
    state.refused(now=104.0, turn=refused, retry_after=6.0, ceilings=NONE)
    assert state.rate == pytest.approx(40 / 10.0)  # 40 per 10 s: what the provider allows
    assert not state.first_burst
    assert state.next_slot == 110.0  # after the provider's wait, not before


def test_answers_of_the_first_burst_that_come_after_its_refusal_count_in_its_rate():
    """Six sites ask 48 calls at once: 40 accepted, 8 refused, and the refusals come back first."""
    state = PaceState()
    (first,) = turns(state, 1, now=100.0)
    state.accepted_call(first, NONE)  # the key's first answer: the rest go unpaced
    burst = turns(state, 47, now=100.2)
    state.refused(now=100.25, turn=burst[40], retry_after=9.95, ceilings=NONE)
    assert state.rate == 2.0  # one answer so far: nothing measured yet
    for turn in burst[:20]:  # their answers, 200 ms later
        state.accepted_call(turn, NONE)
    state.answers_counted_apart(19)  # answers a worker counted without the state's lock
    assert state.rate == pytest.approx(40 / (0.25 + 9.95))
    assert state.next_slot == pytest.approx(110.2)  # the provider's wait stands
    (next_refused,) = turns(state, 1, now=110.2)
    state.refused(now=110.3, turn=next_refused, retry_after=1.0, ceilings=NONE)
    state.answers_counted_apart(5)  # late counts after a later refusal change nothing
    assert state.rate == pytest.approx(DECREASE * 40 / (0.25 + 9.95))


def test_a_refusal_cuts_the_rate_once_per_overshoot_and_restarts_the_schedule_after_retry_after():
    state = PaceState(rate=4.0, first_burst=False, refused_rate=4.0, probe_base=4.0)
    sent = turns(state, 3, now=100.0)
    state.refused(now=100.5, turn=sent[0], retry_after=1.0, ceilings=NONE)
    state.refused(now=100.6, turn=sent[1], retry_after=1.0, ceilings=NONE)  # same overshoot: no cut
    assert state.rate == pytest.approx(4.0 * DECREASE)
    assert state.epoch == 1 and state.next_slot == pytest.approx(101.5)
    # The callers who waited are spread at the new rate, not released together.
    after = [turn.at for turn in turns(state, 3, now=101.0)]
    assert after == pytest.approx([101.5, 101.5 + 1 / 3.4, 101.5 + 2 / 3.4])


def test_accepted_calls_that_waited_for_their_turn_raise_the_rate_additively():
    state = PaceState(rate=3.4, first_burst=False, refused_rate=4.0, probe_base=3.4)
    waited = [turn for turn in turns(state, 10, now=0.0) if turn.waited]
    for turn in waited:
        state.accepted_call(turn, NONE)
    # Nine answers at 3.4 per second: about a quarter of a second's quick step of the base.
    assert 3.4 < state.rate < 3.4 + 0.1 * 3.4 * 9 / 3.0
    idle = PaceState(rate=3.4, first_burst=False, refused_rate=4.0, probe_base=3.4)
    (alone,) = turns(idle, 1, now=0.0)
    idle.accepted_call(alone, NONE)
    assert idle.rate == 3.4  # no caller waited: the rate does not bind, nothing to probe


def test_turns_are_first_come_first_served_across_sites_sharing_a_key():
    state = PaceState()
    state.learn_headers({"limit_requests": 60, "reset_requests": 60.0}, now=0.0)
    big = turns(state, 8)  # a big site's eight calls in flight
    (small,) = turns(state, 1)  # a small site's one call: next, not after all of the big site's work
    later = turns(state, 8)  # the big site's next calls queue behind it
    assert big[-1].at < small.at < later[0].at


def test_a_provider_that_neither_refuses_nor_sends_headers_is_never_slowed():
    state = PaceState()
    (first,) = turns(state, 1, now=100.0)
    assert (
        state.reserve(now=100.0, tokens=0, ceilings=NONE, max_wait=9).at == 100.5
    )  # before any answer: one at a time
    state.accepted_call(first, NONE)  # the first answer: no limit named, none met
    assert [turn.at for turn in turns(state, 16, now=100.2)] == [100.2] * 16
