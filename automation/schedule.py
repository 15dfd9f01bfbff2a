"""The calendar of scheduled runs: which configs are due in an hour, and when a config runs next.

Reads and arithmetic only: `automation.services.config` sets `next_run_at` with it, and
`automation.services.scheduler` starts the due runs.
"""

import datetime

from django.db.models import Case, DateTimeField, ExpressionWrapper, F, QuerySet, TimeField, Value, When
from django.utils import timezone

from automation.models import AutomationConfig, Frequency


def due_frequencies(local: datetime.datetime) -> list[str]:
    """The frequencies due on `local`'s day: daily always, weekly on Mondays, monthly on the 1st."""
    frequencies = [Frequency.DAILY]
    if local.weekday() == 0:
        frequencies.append(Frequency.WEEKLY)
    if local.day == 1:
        frequencies.append(Frequency.MONTHLY)
    return frequencies


def is_due(config: AutomationConfig, now: datetime.datetime) -> bool:
    local = timezone.localtime(now)
    return local.hour == config.scheduled_time.hour and config.frequency in due_frequencies(local)


def configs_due(*, now: datetime.datetime) -> QuerySet[AutomationConfig]:
    """Enabled configs scheduled in the current hour of TIME_ZONE, on a day their frequency runs.

    The same rule as `is_due`, in SQL: `scheduled_time` is a local time of day, so the hour is a
    range over it (which the partial index on enabled configs serves).
    """
    local = timezone.localtime(now)
    configs = AutomationConfig.objects.filter(
        is_enabled=True,
        frequency__in=due_frequencies(local),
        scheduled_time__gte=datetime.time(local.hour),
    )
    if local.hour < 23:
        configs = configs.filter(scheduled_time__lt=datetime.time(local.hour + 1))
    return configs


def next_run_time(config: AutomationConfig, now: datetime.datetime) -> datetime.datetime:
    """The first scheduled hour strictly after the current hour."""
    local = timezone.localtime(now).replace(minute=config.scheduled_time.minute, second=0, microsecond=0)
    candidate = local.replace(hour=config.scheduled_time.hour)
    if candidate <= timezone.localtime(now).replace(minute=59, second=59):
        candidate += datetime.timedelta(days=1)
    for _ in range(40):
        if config.frequency == Frequency.DAILY:
            break
        if config.frequency == Frequency.WEEKLY and candidate.weekday() == 0:
            break
        if config.frequency == Frequency.MONTHLY and candidate.day == 1:
            break
        candidate += datetime.timedelta(days=1)
    return candidate


def next_run_time_of_due(now: datetime.datetime) -> Case:
    """`next_run_time` of every config due at `now`, as one SQL expression.

    Due configs share the current hour, so their next date depends on their frequency alone: the
    next date at that hour, plus the config's own minutes past it.
    """
    hour = datetime.time(timezone.localtime(now).hour)
    minutes = F("scheduled_time") - Value(hour, output_field=TimeField())
    return Case(
        *(
            When(
                frequency=frequency,
                then=ExpressionWrapper(
                    Value(next_run_time(AutomationConfig(frequency=frequency, scheduled_time=hour), now))
                    + minutes,
                    output_field=DateTimeField(),
                ),
            )
            for frequency in Frequency.values
        ),
        output_field=DateTimeField(),
    )
