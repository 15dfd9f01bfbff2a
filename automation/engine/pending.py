"""A stage's pending rows, read a page at a time as batches are cut from them."""

import collections

from django.db.models import QuerySet

from automation.models import AutomationRun
from automation.stages import Stage
from tenancy.models import Site


def retry_ids(run: AutomationRun, stage: Stage) -> list[int] | None:
    """The rows a retry run is restricted to in `stage` (None: the run is not restricted)."""
    if not run.item_filter:
        return None
    return list(run.item_filter.get(str(stage.number), []))


def run_pending(stage: Stage, run: AutomationRun) -> QuerySet:
    """The stage's pending query, narrowed to the run's item filter: a retry never widens it."""
    rows = stage.pending(run.site)
    only = retry_ids(run, stage)
    return rows if only is None else rows.filter(pk__in=only)


class PendingQueue:
    """The stage's pending rows in id order, read a page at a time past the last row handed out.

    A row handed out is never handed out again in this pass, even if it stays pending (its call
    failed): the next run, or the next pass after a resume, tries it again. The exception is a row
    whose call waited out the provider's rate limit: it is put back, first in line, for when the
    run goes on (it pauses; a resume may come before its executor has stopped).
    """

    def __init__(
        self, stage: Stage, site: Site, *, run_id: str, prefetch: int, only: list[int] | None = None
    ):
        self.stage, self.site, self.run_id, self.prefetch = stage, site, run_id, prefetch
        self.only = only  # a retry run's rows of this stage
        self.rows: collections.deque = collections.deque()
        self.last_pk = 0
        self.exhausted = False

    def take(self, limit: int | None) -> list:
        """Up to `limit` rows (None: every pending row)."""
        if limit is None or len(self.rows) < limit:
            self.read(everything=limit is None)
        count = len(self.rows) if limit is None else min(limit, len(self.rows))
        return [self.rows.popleft() for _ in range(count)]

    def put_back(self, rows: list) -> None:
        self.rows.extendleft(reversed(rows))

    def read(self, *, everything: bool) -> None:
        if self.exhausted:
            return
        page = self.stage.pending(self.site).filter(pk__gt=self.last_pk)
        if self.only is not None:
            page = page.filter(pk__in=self.only)
        rows = list(page if everything else page[: self.prefetch])
        if rows:
            self.last_pk = rows[-1].pk
            if self.stage.arrange:
                rows = self.stage.arrange(rows, site=self.site, run_id=self.run_id, stage=self.stage.number)
            self.rows.extend(rows)
        self.exhausted = everything or len(rows) < self.prefetch
