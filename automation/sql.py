"""The automation app's hand-written SQL: the run guard and control read made per item, and the
stage row counters (their trigger functions, their compaction, the pending rules they compile).

It is also the one module that reads the ORM's query internals, to compile a stage's pending rule
into SQL text; tests/automation/test_sql.py compares each statement with the ORM's result.
"""

from django.db import connection, transaction
from django.db.models import Field, QuerySet
from django.db.models.expressions import Subquery
from django.db.models.sql import Query
from django.db.models.sql.where import AND, WhereNode

from automation.models import ACTIVE_STATUSES, AutomationRun, StageRowCount
from igny8.sql import column_list, fields_of, placeholders, quote

# The run guard and the control read ----------------------------------------------------------


def _run_column(name: str) -> str:
    return quote(AutomationRun._meta.get_field(name).column)


def run_credits_add(*, run_pk: int, token: int, credits: int, ceiling: int | None) -> bool:
    """Add `credits` to the run's `total_credits_used` if `token` still owns the run, the run is
    active, and the total is at most `ceiling` before it (None: no ceiling); False if not.

    Why: every item's commit makes this UPDATE (the fencing guard and the credit cap in one
    statement), and the ORM took several times the CPU of the statement to build it; as one plain
    statement it cut about 3% of the worker CPU per AI call. It locks the run's row until the commit.
    """
    total = _run_column("total_credits_used")
    sql = (
        f"UPDATE {quote(AutomationRun._meta.db_table)} SET {total} = {total} + %s"
        f" WHERE {quote(AutomationRun._meta.pk.column)} = %s AND {_run_column('fencing_token')} = %s"
        f" AND {_run_column('status')} IN ({placeholders(len(ACTIVE_STATUSES))})"
    )
    params = [credits, run_pk, token, *ACTIVE_STATUSES]
    if ceiling is not None:
        sql += f" AND {total} <= %s"
        params.append(ceiling)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount == 1


def run_control(*, run_pk: int) -> tuple[str, int] | None:
    """The run's (status, fencing_token) as stored now, or None when the row is gone:
    `AutomationRun.objects.filter(pk=run_pk).values_list("status", "fencing_token").first()`.

    Why: read before every batch a run starts; the ORM used 0.39 ms of CPU building and reading
    it, this plain statement 0.10 ms.
    """
    sql = (
        f"SELECT {_run_column('status')}, {_run_column('fencing_token')}"
        f" FROM {quote(AutomationRun._meta.db_table)} WHERE {quote(AutomationRun._meta.pk.column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [run_pk])
        return cursor.fetchone()


# The stage row counters (PostgreSQL only) ------------------------------------------------------

COUNTER_FIELDS = fields_of(StageRowCount)


def row_counts_fold() -> int:
    """Fold the counter rows into one row per (site, stage, status, pending); returns the rows left.

    Why by hand: the ORM has no `DELETE … RETURNING` feeding an `INSERT`, and as one statement every
    counted change is folded exactly once: rows that writers commit meanwhile are not in the
    statement's snapshot and stay for the next fold. The table lock conflicts only with another fold
    (writers' inserts take a weaker lock), so two folds never delete the same rows in different orders.
    """
    table, columns = quote(StageRowCount._meta.db_table), column_list(COUNTER_FIELDS)
    count_field = StageRowCount._meta.get_field("n")
    group = column_list(field for field in COUNTER_FIELDS if field != count_field)
    count = quote(count_field.column)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {table} IN SHARE UPDATE EXCLUSIVE MODE")
        cursor.execute(
            f"WITH moved AS (DELETE FROM {table} RETURNING {columns}) "
            f"INSERT INTO {table} ({columns}) SELECT {group}, SUM({count}) FROM moved "
            f"GROUP BY {group} HAVING SUM({count}) <> 0"
        )
        return cursor.rowcount


def _nodes(expression):
    yield expression
    if hasattr(expression, "get_source_expressions"):
        for source in expression.get_source_expressions():
            if source is not None:
                yield from _nodes(source)


def joins_another_table(rows: QuerySet) -> bool:
    """True when `rows`' conditions read a table joined to their own."""
    query = rows.query
    return any(uses for alias, uses in query.alias_refcount.items() if alias != query.base_table)


def row_filter(rows: QuerySet) -> WhereNode | None:
    """`rows`' conditions as a filter of an aggregate over the same table (`Count(…, filter=…)`), so
    one scan counts them beside other groups; None when they read a joined table."""
    return None if joins_another_table(rows) else rows.query.where


def row_condition(rows: QuerySet, *, without: Field) -> str | None:
    """`rows`' condition as SQL over its own table's columns, with its condition on `without` left
    out, or None when that is not possible: the rows are not `without = … AND <a condition on the
    row>`, or the condition reads another table.

    Why: the row counters' triggers see a statement's changed rows of every site at once, and count
    them by the stage's own pending rule, compiled here so that the rule keeps a single definition.
    """
    query = rows.query
    where = query.where.clone()
    where.children = [
        child for child in where.children if getattr(getattr(child, "lhs", None), "target", None) != without
    ]
    dropped = len(where.children) == len(query.where.children) - 1
    anded = where.connector == AND and not where.negated
    nested = any(isinstance(node, (Subquery, Query)) for node in _nodes(where))
    if not (dropped and anded) or joins_another_table(rows) or nested:
        return None
    sql, params = where.as_sql(query.get_compiler(connection=connection), connection)
    return connection.ops.compose_sql(sql, params) if sql else "TRUE"


# The counters' trigger functions keep, byte for byte, the text migration 0003 installed (a test
# compares the installed text): there the counter table and its columns are unquoted. They are
# lower-case, so the same identifiers; a migration that installs the functions again may quote them.
_INSTALLED_COUNTER = f"{StageRowCount._meta.db_table} ({', '.join(f.column for f in COUNTER_FIELDS)})"


def counter_function_body(*, number: int, table: str, columns: tuple[str, str], condition: str) -> str:
    """The trigger function of stage `number` over `table`: a statement's signed row counts by
    site and status (its `columns`) and pending (`condition`)."""
    alias, (site, status) = quote(table), map(quote, columns)

    def rows(transition: str, sign: str) -> str:
        return (
            f"SELECT {alias}.{site}, {alias}.{status}, COALESCE({condition}, FALSE) AS pending, "
            f"{sign}1 AS n FROM {transition} AS {alias}"
        )

    def insert(source: str) -> str:
        return (
            f"INSERT INTO {_INSTALLED_COUNTER} "
            f"SELECT site_id, {number}, status, pending, SUM(n) FROM ({source}) AS changes "
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


def counter_install_sql(
    *, function: str, number: int, table: str, columns: tuple[str, str], condition: str
) -> str:
    """What installs stage `number`'s counter: its function, its triggers, and the counts of the rows
    already there."""
    body = counter_function_body(number=number, table=table, columns=columns, condition=condition)
    statements = [f"CREATE FUNCTION {quote(function)}() RETURNS trigger LANGUAGE plpgsql AS $${body}$$;"]
    # A trigger with transition tables serves one event.
    for event, transitions in (
        ("INSERT", "NEW TABLE AS new_rows"),
        ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
        ("DELETE", "OLD TABLE AS old_rows"),
    ):
        statements.append(
            f"CREATE TRIGGER {quote(f'{function}_{event.lower()}')} AFTER {event} ON {quote(table)} "
            f"REFERENCING {transitions} FOR EACH STATEMENT EXECUTE FUNCTION {quote(function)}();"
        )
    alias, (site, status) = quote(table), map(quote, columns)
    statements.append(
        f"INSERT INTO {quote(StageRowCount._meta.db_table)} ({column_list(COUNTER_FIELDS)}) "
        f"SELECT {alias}.{site}, {number}, {alias}.{status}, "
        f"COALESCE({condition}, FALSE), COUNT(*) FROM {alias} AS {alias} GROUP BY 1, 3, 4;"
    )
    return "\n".join(statements)


def counter_drop_sql(*, functions: list[str]) -> str:
    """What removes the counters' functions (and with them their triggers) and every counter row."""
    statements = [f"DROP FUNCTION IF EXISTS {quote(function)}() CASCADE;" for function in functions]
    return "\n".join([*statements, f"DELETE FROM {quote(StageRowCount._meta.db_table)};"])
