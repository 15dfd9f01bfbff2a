"""The ai app's hand-written SQL: the row lock every AI call's commit takes, compiled once.

tests/ai/test_sql.py checks it returns what the ORM's `select_for_update` returns.
"""

from collections.abc import Callable, Hashable
from dataclasses import dataclass

from django.db.models import Model, QuerySet

# Statements kept: one per AI function, site and number of ids, the oldest dropped first.
KEPT_STATEMENTS = 512


@dataclass(frozen=True)
class LockingStatement:
    model: type[Model]
    sql: str
    params: tuple
    id_positions: tuple[int, ...]  # where each id goes among `params`

    def rows(self, ids: list[int]) -> list:
        params = list(self.params)
        for position, pk in zip(self.id_positions, ids, strict=True):
            params[position] = pk
        return list(self.model.objects.raw(self.sql, params))


_statements: dict[tuple, LockingStatement] = {}


def _compile(rows: QuerySet, count: int) -> LockingStatement:
    """`rows` of `count` ids, in id order, locked: compiled with stand-in ids (negative, so no real
    one can be taken for them). Inside the caller's transaction, as Django compiles a locking query
    only there."""
    stand_ins = [-1 - number for number in range(count)]
    locking = rows.filter(pk__in=stand_ins).select_for_update(of=("self",)).order_by("pk")
    sql, params = locking.query.sql_with_params()
    return LockingStatement(
        model=rows.model,
        sql=sql,
        params=tuple(params),
        id_positions=tuple(params.index(stand_in) for stand_in in stand_ins),
    )


def rows_locked(*, key: Hashable, rows: Callable[[], QuerySet], ids: list[int]) -> list:
    """The rows of `rows()` named by `ids`, in id order, locked until the caller's transaction ends:
    `rows().filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk")`.

    `key` (plain values, such as the AI function's name and the site's id) names what `rows()`
    selects: the statement is compiled once per key and number of ids.

    Why: every AI call's commit makes this query, and the ORM spent several times the CPU of the
    query itself compiling it anew; compiled once, it cut about 8% of the worker CPU per AI call.
    """
    statement_key = (key, len(ids))
    statement = _statements.get(statement_key)
    if statement is None:
        statement = _compile(rows(), len(ids))
        while len(_statements) >= KEPT_STATEMENTS:
            _statements.pop(next(iter(_statements)), None)
        _statements[statement_key] = statement
    return statement.rows(ids)
