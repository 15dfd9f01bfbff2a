"""A PostgreSQL trigger installed for one test: the way tests slow or fail a commit at a chosen row,
or make a change land at a chosen moment."""

import contextlib

from django.db import connection


@contextlib.contextmanager
def before_row_trigger(name: str, *, event: str, table: str, body: str, when: str = ""):
    """Runs the PL/pgSQL `body` (which ends with `RETURN NEW;`) before each row of `table` that
    `event` (INSERT or UPDATE) writes."""
    condition = f"WHEN ({when}) " if when else ""
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} END $$")
        cursor.execute(
            f"CREATE TRIGGER {name} BEFORE {event} ON {table} "
            f"FOR EACH ROW {condition}EXECUTE FUNCTION {name}()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TRIGGER {name} ON {table}")
            cursor.execute(f"DROP FUNCTION {name}()")


def before_insert_trigger(name: str, *, table: str, body: str, when: str = ""):
    return before_row_trigger(name, event="INSERT", table=table, body=body, when=when)
