"""Jobs that call a slow remote service and commit each answer to the database, on few connections.

A job is prepared (database work), makes its calls (network only, no database), and commits each
answer as it comes (database work). `CallPipeline` runs many jobs at once on two kinds of thread:

- a few *database threads*, each keeping its own connection, that prepare jobs and commit answers.
  Preparing goes before committing: a call thread may sit idle until its job is prepared, while a
  commit that waits a little delays nothing else;
- *call threads* that hold no connection and only wait on the remote service.

A thread that made a call and then committed would hold a connection idle through every call, so
a process's connections would grow with its calls in flight. Here they grow with the database
threads only.

`inline=True` runs everything in the submitting thread, one call at a time: for a database with a
single writer (SQLite), or for a caller inside a transaction whose rows other connections cannot
see. It is the same path, with the threads taken out.

Only the standard library: `ThreadPoolExecutor` for the calls, a `PriorityQueue` for the database
work (the pool of the standard library has no priorities, and its idle threads would keep their
connections open after the pipeline is closed).
"""

import itertools
import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from queue import PriorityQueue
from typing import Any, Protocol

from django.db import connection

logger = logging.getLogger(__name__)

PREPARE, COMMIT, STOP = 0, 1, 2


class Job(Protocol):
    def prepare(self) -> Sequence:
        """Database work before any call; returns the units to call (none: the job is done)."""

    def call(self, unit) -> Any:
        """One unit's call: no database work. Returns the answer `commit` takes; must not raise."""

    def commit(self, answer) -> None:
        """Database work for one answer. A commit that raises ends the job with that error."""

    def discard(self, answer) -> None:
        """An answer that comes after a commit of the same job raised: it is dropped, not committed."""

    def result(self) -> Any:
        """What the job's `done` future resolves to, once every answer is committed."""


@dataclass(frozen=True)
class Submitted:
    called: Future  # done once every call of the job has answered (or none will be made)
    done: Future  # done once every answer is committed: the job's result, or its first error


class InlineExecutor(Executor):
    """Runs each submitted function at once, in the submitting thread."""

    def submit(self, fn, /, *args, **kwargs) -> Future:
        future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as error:
            future.set_exception(error)
        return future


class DatabaseThreads:
    """Threads that each keep a database connection, serving work by priority, then first in, first out."""

    def __init__(self, count: int):
        self.queue: PriorityQueue = PriorityQueue()
        self.order = itertools.count()
        self.threads = [
            threading.Thread(target=self.serve, name=f"database-{number}", daemon=True)
            for number in range(count)
        ]
        for thread in self.threads:
            thread.start()

    def submit(self, priority: int, work: Callable, *args) -> None:
        self.queue.put((priority, next(self.order), work, args))

    def serve(self) -> None:
        try:
            while True:
                _, _, work, args = self.queue.get()
                if work is None:
                    return
                try:
                    work(*args)
                except Exception:  # work reports its own errors to its job: this is a bug
                    logger.exception("database work failed")
        finally:
            connection.close()

    def close(self) -> None:
        """After the work already submitted; each thread closes its connection."""
        for _ in self.threads:
            self.submit(STOP, None)
        for thread in self.threads:
            thread.join()


class _Inline:
    """DatabaseThreads' face for inline pipelines: the work runs now, in the caller's thread."""

    def submit(self, priority: int, work: Callable, *args) -> None:
        work(*args)

    def close(self) -> None:
        pass


class CallPipeline:
    """Runs jobs: each prepared and committed on a database thread, its calls on call threads.

    The threads start with the first job and are kept until `close`, so a caller that submits jobs
    in waves (a run's stages) opens its connections once.
    """

    def __init__(self, *, database_threads: int, call_threads: int, inline: bool = False):
        self.database_threads, self.call_threads, self.inline = database_threads, call_threads, inline
        self.database: DatabaseThreads | _Inline | None = None
        self.calls: Executor | None = None

    def submit(self, job: Job) -> Submitted:
        if self.database is None:
            if self.inline:
                self.database, self.calls = _Inline(), InlineExecutor()
            else:
                self.database = DatabaseThreads(self.database_threads)
                self.calls = ThreadPoolExecutor(max_workers=self.call_threads, thread_name_prefix="call")
        flight = _Flight(self, job)
        self.database.submit(PREPARE, flight.start)
        return Submitted(called=flight.called, done=flight.done)

    def close(self) -> None:
        """After every job already submitted."""
        if self.database is None:
            return
        self.database.close()
        self.calls.shutdown()
        self.database = self.calls = None


class _Flight:
    """One job on its way through the pipeline: prepared, called unit by unit, each answer committed."""

    def __init__(self, pipeline: CallPipeline, job: Job):
        self.pipeline, self.job = pipeline, job
        self.called: Future = Future()
        self.done: Future = Future()
        self.committing = threading.Lock()  # a job's commits one at a time: they share its result
        self.counting = threading.Lock()  # a call thread never waits on a commit
        self.error: BaseException | None = None
        self.uncommitted = self.unanswered = 0

    def start(self) -> None:
        try:
            units = self.job.prepare()
        except BaseException as error:
            self.called.set_result(None)
            self.done.set_exception(error)
            return
        if not units:
            self.called.set_result(None)
            self.done.set_result(self.job.result())
            return
        self.uncommitted = self.unanswered = len(units)
        for unit in units:
            self.pipeline.calls.submit(self.job.call, unit).add_done_callback(self.answered)

    def answered(self, call: Future) -> None:
        with self.counting:
            self.unanswered -= 1
            if not self.unanswered:
                self.called.set_result(None)
        self.pipeline.database.submit(COMMIT, self.commit, call)

    def commit(self, call: Future) -> None:
        with self.committing:
            try:
                if self.error is None:
                    self.job.commit(call.result())
                else:
                    self.job.discard(call.result())
            except BaseException as error:
                self.error = self.error or error
            self.uncommitted -= 1
            if self.uncommitted:
                return
        if self.error is not None:
            self.done.set_exception(self.error)
        else:
            self.done.set_result(self.job.result())
