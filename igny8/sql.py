"""The project's hand-written SQL that belongs to no app, and the one way every `sql.py` names things.

Each app's hand-written statements live in that app's `sql.py` (`billing.sql`, `ai.sql`,
`automation.sql`), one named function each, beside a comment with the measured reason it exists
(docs/PERFORMANCE.md, "CPU per AI call") and a test comparing it with the ORM's result. They name
tables and columns only through `quote`, and take them from the models' `_meta`.
"""

import functools

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model
from django.utils import timezone


def quote(name: str) -> str:
    """An identifier (table, column) quoted for the default database: the one helper every statement uses."""
    return connection.ops.quote_name(name)


def column_list(fields) -> str:
    return ", ".join(quote(field.column) for field in fields)


def placeholders(count: int) -> str:
    return ", ".join(["%s"] * count)


def fields_of(model: type[Model], *, without: tuple[str, ...] = ()) -> tuple[Field, ...]:
    """The model's stored fields but its primary key and those named in `without`, in the model's order."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in without and field.attname not in without
    )


def field_values(model: type[Model], fields: tuple[Field, ...], values: dict, now) -> list:
    """The values `fields` take from `values` (by attname or name, as `Model.objects.create` takes them).

    A field not given takes its default (`auto_now_add`: `now`); a name that is no field raises TypeError.
    """
    values, found = dict(values), []
    for field in fields:
        if field.attname in values:
            value = values.pop(field.attname)
        elif field.name in values:
            value = values.pop(field.name)
            if isinstance(value, Model):
                value = value.pk
        elif getattr(field, "auto_now_add", False) or getattr(field, "auto_now", False):
            value = now
        else:
            value = field.get_default()
        found.append(value)
    if values:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(values)}")
    return found


def prepared(fields: tuple[Field, ...], values: list) -> list:
    """Each value as its field stores it: JSON, decimals and time zones as the ORM converts them."""
    database = connections[DEFAULT_DB_ALIAS]  # not the proxy `connection`: it costs a lookup per use
    return [field.get_db_prep_save(value, database) for field, value in zip(fields, values, strict=True)]


@functools.cache
def _insert_statement(model: type[Model], returning: bool) -> tuple[tuple[Field, ...], str]:
    """The fields `insert_row` fills and its INSERT statement, built once per model and database."""
    fields = fields_of(model)
    table = quote(model._meta.db_table)
    sql = f"INSERT INTO {table} ({column_list(fields)}) VALUES ({placeholders(len(fields))})"
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return fields, sql


def insert_row(model: type[Model], /, **values) -> int:
    """Insert one row, as `model.objects.create(**values)` would, and return its id.

    Why: for rows written on every AI call (its log, its run's log line) `create()` builds the
    statement anew each time, for several times the CPU of the insert; built once per model, this
    cut about 3% of the worker CPU per AI call. Each value goes through its field's own conversion,
    so JSON, decimals and time zones are stored as the ORM stores them; fields not given take their
    defaults (`auto_now_add`: now). Only for models without a custom save() or save signals.
    """
    returning = connection.features.can_return_columns_from_insert
    fields, sql = _insert_statement(model, returning)
    params = prepared(fields, field_values(model, fields, values, timezone.now()))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] if returning else cursor.lastrowid


def max_connections() -> int:
    """PostgreSQL's `max_connections` setting (PostgreSQL only: a worker checks it once at its start)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW max_connections")
        return int(cursor.fetchone()[0])
