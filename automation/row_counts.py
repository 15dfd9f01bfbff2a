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

from django.db import connection
from django.db.models import Sum
from django.db.models.expressions import Subquery
from django.db.models.sql import Query
from django.db.models.sql.where import AND

from automation.models import StageRowCount
from automation.stages import STAGES, Stage
from tenancy.models import Site

COUNTER_TABLE = StageRowCount._meta.db_table


def pending_condition(stage: Stage) -> str | None:
    """The stage's pending rule as SQL over its own table's columns, or None when it needs another table.

    The site filter is left out: the triggers count every site's rows and group them by site.
    """
    query = stage.pending(Site(pk=0)).query
    where = query.where.clone()
    site = stage.model._meta.get_field("site")
    where.children = [
        child for child in where.children if getattr(getattr(child, "lhs", None), "target", None) != site
    ]
    # Only `site = … AND <a condition on the row>` can drop the site and group by it instead.
    site_dropped = len(where.children) == len(query.where.children) - 1
    anded = where.connector == AND and not where.negated
    joined = any(uses for alias, uses in query.alias_refcount.items() if alias != query.base_table)
    nested = any(isinstance(node, (Subquery, Query)) for node in _nodes(where))
    if not (site_dropped and anded) or joined or nested:
        return None
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return connection.ops.compose_sql(sql, params) if sql else "TRUE"


def _nodes(expression):
    yield expression
    if hasattr(expression, "get_source_expressions"):
        for source in expression.get_source_expressions():
            if source is not None:
                yield from _nodes(source)


@functools.cache
def counted_stages() -> tuple[Stage, ...]:
    """The stages the triggers count; none on a database without them. Compiled once per process."""
    if connection.vendor != "postgresql":
        return ()
    return tuple(stage for stage in STAGES if pending_condition(stage) is not None)


def function_name(stage: Stage) -> str:
    return f"stage_{stage.number}_row_count"


def function_body(stage: Stage) -> str:
    """The stage's trigger function: a statement's signed row counts by site, status and pending."""
    table = stage.model._meta.db_table
    condition = pending_condition(stage)

    def rows(transition: str, sign: str) -> str:
        return (
            f'SELECT "{table}"."site_id", "{table}"."status", COALESCE({condition}, FALSE) AS pending, '
            f'{sign}1 AS n FROM {transition} AS "{table}"'
        )

    def insert(source: str) -> str:
        return (
            f"INSERT INTO {COUNTER_TABLE} (site_id, stage, status, pending, n) "
            f"SELECT site_id, {stage.number}, status, pending, SUM(n) FROM ({source}) AS changes "
            "GROUP BY site_id, status, pending HAVING SUM(n) <> 0;"
        )

    return (
        "\nBEGIN\n"
        f"  IF TG_OP = 'INSERT' THEN\n    {insert(rows('new_rows', ''))}\n"
        f"  ELSIF TG_OP = 'DELETE' THEN\n    {insert(rows('old_rows', '-'))}\n"
        f"  ELSE\n    {insert(rows('new_rows', '') + ' UNION ALL ' + rows('old_rows', '-'))}\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END\n"
    )


def trigger_sql() -> str:
    """What installs the counters for today's stages: functions, triggers, and the counts of existing rows.

    Run it from a migration (as SQL text, so the migration keeps what it installed) whenever a
    counted stage's pending rule changes; `drop_sql()` removes an earlier installation first.
    """
    statements = []
    for stage in counted_stages():
        table, name = stage.model._meta.db_table, function_name(stage)
        statements.append(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $${function_body(stage)}$$;"
        )
        # A trigger with transition tables serves one event.
        for event, transitions in (
            ("INSERT", "NEW TABLE AS new_rows"),
            ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("DELETE", "OLD TABLE AS old_rows"),
        ):
            statements.append(
                f"CREATE TRIGGER {name}_{event.lower()} AFTER {event} ON {table} REFERENCING {transitions} "
                f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
            )
        condition = pending_condition(stage)
        statements.append(
            f"INSERT INTO {COUNTER_TABLE} (site_id, stage, status, pending, n) "
            f'SELECT "{table}"."site_id", {stage.number}, "{table}"."status", COALESCE({condition}, FALSE), '
            f'COUNT(*) FROM {table} AS "{table}" GROUP BY 1, 3, 4;'
        )
    return "\n".join(statements)


def drop_sql() -> str:
    statements = [f"DROP FUNCTION IF EXISTS {function_name(stage)}() CASCADE;" for stage in counted_stages()]
    return "\n".join([*statements, f"DELETE FROM {COUNTER_TABLE};"])


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
