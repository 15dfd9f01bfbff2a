"""Per-site row counts of the stages, kept by PostgreSQL triggers, so reading them costs the same at any size.

Counting a site's 200,000 pending keywords reads 200,000 index entries on every `estimate`,
`pipeline_overview` and `current_processing` call. Instead, for each stage whose pending rule reads
only the row itself (no join, no subquery: stages 1, 2, 3, 4 and 6), statement-level triggers on
the stage's table add one `StageRowCount` row per (site, status, pending) group that a statement
changed, with the signed number of rows. The counts commit or roll back with the rows they count
(the trigger runs in the writer's transaction), whatever wrote them: a service, a bulk `update()`,
`COPY`, a cascade. Writers only insert counter rows and never update one, so concurrent writers
never wait on each other there. `row_counts_compact` (a beat task every minute) folds each group
into one row, so a read sums a number of rows that depends on the writes since the last
compaction, not on the size of the tables.

The triggers' pending condition is compiled from the stage's own pending queryset
(`Stage.pending`), so the rule keeps its single definition; the migration that installs them holds
the SQL `trigger_sql()` printed, and a test checks that the installed functions are still what the
stages compile to today. Stages whose rule needs another table (5 and 7: a content's images) and
databases other than PostgreSQL (the embedded default's SQLite) count with `Stage.status_counts`.
"""

import functools

from django.db.models import Sum

from automation import sql as automation_sql
from automation.models import StageRowCount
from automation.stages import STAGES, Stage
from igny8.capabilities import capabilities
from tenancy.models import Site


def pending_condition(stage: Stage) -> str | None:
    """The stage's pending rule as SQL over its own table's columns, or None when it needs another table.

    The site filter is left out: the triggers count every site's rows and group them by site.
    """
    return automation_sql.row_condition(
        stage.pending(Site(pk=0)), without=stage.model._meta.get_field("site")
    )


@functools.cache
def counted_stages() -> tuple[Stage, ...]:
    """The stages the triggers count; none on a database without them. Compiled once per process."""
    if not capabilities().postgresql_sql:
        return ()
    return tuple(stage for stage in STAGES if pending_condition(stage) is not None)


def function_name(stage: Stage) -> str:
    return f"stage_{stage.number}_row_count"


def _counter(stage: Stage) -> dict:
    meta = stage.model._meta
    return {
        "number": stage.number,
        "table": meta.db_table,
        "columns": (meta.get_field("site").column, meta.get_field("status").column),
        "condition": pending_condition(stage),
    }


def function_body(stage: Stage) -> str:
    """The stage's trigger function: a statement's signed row counts by site, status and pending."""
    return automation_sql.counter_function_body(**_counter(stage))


def trigger_sql() -> str:
    """What installs the counters for today's stages: functions, triggers, and the counts of existing rows.

    Run it from a migration (as SQL text, so the migration keeps what it installed) whenever a
    counted stage's pending rule changes; `drop_sql()` removes an earlier installation first.
    """
    return "\n".join(
        automation_sql.counter_install_sql(function=function_name(stage), **_counter(stage))
        for stage in counted_stages()
    )


def drop_sql() -> str:
    return automation_sql.counter_drop_sql(functions=[function_name(stage) for stage in counted_stages()])


def row_counts_compact() -> int:
    """Folds the stage row counters into one row per (site, stage, status, pending); returns the rows left.

    Each counted change is folded exactly once, and writers never wait on it: see
    `automation.sql.row_counts_fold`. A beat task runs it every minute.
    """
    if not capabilities().postgresql_sql:
        return 0  # no triggers, no counters
    return automation_sql.row_counts_fold()


def stage_counts(*, site: Site) -> dict[int, tuple[dict[str, int], int]]:
    """Each stage's rows of the site by status, and how many are pending: `{stage: (by_status, pending)}`.

    One query for the counted stages, plus one per stage counted directly.
    """
    result = {stage.number: ({}, 0) for stage in counted_stages()}
    rows = (
        StageRowCount.objects.filter(site_id=site.pk, stage__in=list(result))
        .values("stage", "status", "pending")
        .annotate(rows=Sum("n"))
        .filter(rows__gt=0)
        .order_by("stage", "status")
    )
    for row in rows if result else ():
        by_status, pending = result[row["stage"]]
        by_status[row["status"]] = by_status.get(row["status"], 0) + row["rows"]
        result[row["stage"]] = (by_status, pending + (row["rows"] if row["pending"] else 0))
    for stage in STAGES:
        if stage.number not in result:
            result[stage.number] = stage.status_counts(site)
    return result


def pending_counts(*, site: Site) -> dict[int, int]:
    """Each stage's pending rows of the site: one query for the counted stages, one per other stage."""
    counted = {stage.number for stage in counted_stages()}
    pending = dict.fromkeys(counted, 0)
    if counted:
        rows = (
            StageRowCount.objects.filter(site_id=site.pk, stage__in=counted, pending=True)
            .values("stage")
            .annotate(rows=Sum("n"))
            .order_by()
        )
        pending.update({row["stage"]: row["rows"] for row in rows})
    for stage in STAGES:
        if stage.number not in counted:
            pending[stage.number] = stage.pending(site).count()
    return pending


def pending_count(*, site: Site, stage: Stage) -> int:
    """One stage's pending rows of the site, from the counters when the triggers keep them."""
    if stage in counted_stages():
        total = StageRowCount.objects.filter(site_id=site.pk, stage=stage.number, pending=True).aggregate(
            rows=Sum("n")
        )
        return total["rows"] or 0
    return stage.pending(site).count()
