"""A stage's pending rows, read a page at a time as batches are cut from them."""

import collections

from automation.stages import Stage
from tenancy.models import Site


class PendingQueue:
    """The stage's pending rows in id order, read a page at a time past the last row handed out.

    A row handed out is never handed out again in this pass, even if it stays pending (its call
    failed): the next run, or the next pass after a resume, tries it again.
    """

    def __init__(self, stage: Stage, site: Site, *, run_id: str, prefetch: int):
        self.stage, self.site, self.run_id, self.prefetch = stage, site, run_id, prefetch
        self.rows: collections.deque = collections.deque()
        self.last_pk = 0
        self.exhausted = False

    def take(self, limit: int | None) -> list:
        """Up to `limit` rows (None: every pending row)."""
        if limit is None or len(self.rows) < limit:
            self.read(everything=limit is None)
        count = len(self.rows) if limit is None else min(limit, len(self.rows))
        return [self.rows.popleft() for _ in range(count)]

    def read(self, *, everything: bool) -> None:
        if self.exhausted:
            return
        page = self.stage.pending(self.site).filter(pk__gt=self.last_pk)
        rows = list(page if everything else page[: self.prefetch])
        if rows:
            self.last_pk = rows[-1].pk
            if self.stage.arrange:
                rows = self.stage.arrange(rows, site=self.site, run_id=self.run_id, stage=self.stage.number)
            self.rows.extend(rows)
        self.exhausted = everything or len(rows) < self.prefetch
