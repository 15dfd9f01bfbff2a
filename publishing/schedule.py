"""When an approved article goes out: the site's mode (immediate, time slots, stagger) and limits.

Plain datetime arithmetic over the times already taken (articles scheduled, being published or
published), so a test can walk a simulated week without a clock. Times are aware; slots and the
day/week/month windows of the limits are read in the site's time zone (weeks start on Monday).
"""

import bisect
import datetime
import zoneinfo
from dataclasses import dataclass

from igny8.errors import ApplicationError

MAX_STEPS = 5000


class NoSlot(ApplicationError):
    """The schedule offers no time within the planning horizon."""

    code = "no_publish_slot"


@dataclass(frozen=True)
class Schedule:
    mode: str
    time_slots: tuple[datetime.time, ...] = ()
    stagger_minutes: int = 60
    daily_limit: int | None = None
    weekly_limit: int | None = None
    monthly_limit: int | None = None
    zone: zoneinfo.ZoneInfo = zoneinfo.ZoneInfo("UTC")

    @classmethod
    def of(cls, config) -> "Schedule":
        """The schedule an AutomationConfig describes."""
        return cls(
            mode=config.publish_mode,
            time_slots=tuple(datetime.time.fromisoformat(slot) for slot in sorted(config.time_slots)),
            stagger_minutes=config.stagger_minutes,
            daily_limit=config.daily_limit,
            weekly_limit=config.weekly_limit,
            monthly_limit=config.monthly_limit,
            zone=zoneinfo.ZoneInfo(config.time_zone),
        )

    def windows(
        self, moment: datetime.datetime
    ) -> list[tuple[int | None, datetime.datetime, datetime.datetime]]:
        """(limit, start, end) of the day, week and month that hold `moment`, in the site's zone."""
        local = moment.astimezone(self.zone)
        day = datetime.datetime.combine(local.date(), datetime.time(), tzinfo=self.zone)
        week = day - datetime.timedelta(days=local.weekday())
        month = day.replace(day=1)
        next_month = (month + datetime.timedelta(days=32)).replace(day=1)
        return [
            (self.daily_limit, day, local_add_days(day, 1)),
            (self.weekly_limit, week, local_add_days(week, 7)),
            (self.monthly_limit, month, next_month),
        ]

    def history_start(self, now: datetime.datetime) -> datetime.datetime:
        """The earliest taken time that can matter at `now` (the month's start, a stagger gap before)."""
        return self.windows(now)[2][1] - datetime.timedelta(minutes=self.stagger_minutes)


def local_add_days(moment: datetime.datetime, days: int) -> datetime.datetime:
    """The same wall-clock time `days` later (a day is not always 24 hours where clocks change)."""
    return datetime.datetime.combine(
        moment.date() + datetime.timedelta(days=days), moment.time(), moment.tzinfo
    )


def next_time(
    schedule: Schedule, *, now: datetime.datetime, taken: list[datetime.datetime]
) -> datetime.datetime:
    """The first time at or after `now` the schedule allows, given the sorted `taken` times."""
    candidate = now
    for _ in range(MAX_STEPS):
        candidate = aligned(schedule, candidate, taken)
        blocked_until = None
        for limit, start, end in schedule.windows(candidate):
            used = bisect.bisect_left(taken, end) - bisect.bisect_left(taken, start)
            if limit is not None and used >= limit:
                blocked_until = max(blocked_until or end, end)
        if blocked_until is None:
            return candidate
        candidate = blocked_until
    raise NoSlot("The schedule has no free time within the planning horizon.")


def aligned(
    schedule: Schedule, candidate: datetime.datetime, taken: list[datetime.datetime]
) -> datetime.datetime:
    if schedule.mode == "stagger" and taken:
        earliest = max(taken) + datetime.timedelta(minutes=schedule.stagger_minutes)
        return max(candidate, earliest)
    if schedule.mode == "time_slots":
        return next_free_slot(schedule, candidate, set(taken))
    return candidate


def next_free_slot(schedule: Schedule, candidate: datetime.datetime, taken: set) -> datetime.datetime:
    """The first slot at or after `candidate` that no article holds yet (one article a slot)."""
    if not schedule.time_slots:
        raise NoSlot("The time_slots mode has no slots.")
    day = candidate.astimezone(schedule.zone).date()
    for offset in range(MAX_STEPS):
        for slot in schedule.time_slots:
            moment = datetime.datetime.combine(
                day + datetime.timedelta(days=offset), slot, tzinfo=schedule.zone
            )
            if moment >= candidate and moment not in taken:
                return moment
    raise NoSlot("No free time slot within the planning horizon.")


def plan(
    schedule: Schedule, *, now: datetime.datetime, taken: list[datetime.datetime], count: int
) -> list[datetime.datetime]:
    """Times for `count` articles in order, each after the ones before it."""
    taken = sorted(taken)
    planned = []
    for _ in range(count):
        moment = next_time(schedule, now=now, taken=taken)
        bisect.insort(taken, moment)
        planned.append(moment)
    return planned
