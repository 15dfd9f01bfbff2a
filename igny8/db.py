"""What the database's errors mean for the caller, and a cheaper insert for rows written per AI call."""

import functools

from django.db import DatabaseError, connection
from django.db.models import Field, Model
from django.utils import timezone

# PostgreSQL's SQLSTATE for a transaction it chose to abort to break a deadlock.
DEADLOCK_DETECTED = "40P01"


def is_deadlock(error: DatabaseError) -> bool:
    """True when PostgreSQL aborted the transaction to break a deadlock: trying it again is safe."""
    return getattr(error.__cause__, "sqlstate", None) == DEADLOCK_DETECTED


@functools.cache
def _insert_statement(model: type[Model], vendor: str) -> tuple[tuple[Field, ...], str]:
    """The fields `insert_row` fills and its INSERT statement, built once per model and database."""
    quote = connection.ops.quote_name
    fields = tuple(field for field in model._meta.concrete_fields if not field.primary_key)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(field.column) for field in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    if connection.features.can_return_columns_from_insert:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    return fields, sql


def insert_row(model: type[Model], /, **values) -> int:
    """Insert one row, as `model.objects.create(**values)` would, and return its id.

    For rows written on every AI call (its log, its run's log line): the statement is built once
    per model, where create() builds it anew each time, for several times the CPU of the insert.
    Each value goes through its field's own conversion, so JSON, decimals and time zones are
    stored as the ORM stores them; fields not given take their defaults (`auto_now_add`: now).
    Only for models without a custom save() or save signals, which this skips.
    """
    fields, sql = _insert_statement(model, connection.vendor)
    now = timezone.now()
    params = []
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
        params.append(field.get_db_prep_save(value, connection))
    if values:
        raise TypeError(f"{model.__name__} has no field(s) {sorted(values)}")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if connection.features.can_return_columns_from_insert:
            return cursor.fetchone()[0]
        return cursor.lastrowid
