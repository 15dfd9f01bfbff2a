"""igny8.concurrency: the pipeline that prepares, calls and commits jobs, threaded and inline."""

import threading

import pytest

from igny8.concurrency import COMMIT, PREPARE, CallPipeline, DatabaseThreads


class RecordingJob:
    """Calls each unit (doubling it), commits answers in a list; a commit of `fail_on` raises."""

    def __init__(self, units, *, fail_on=None, calls_wait: threading.Event | None = None):
        self.units, self.fail_on, self.calls_wait = units, fail_on, calls_wait
        self.committed, self.discarded, self.call_threads, self.commit_threads = [], [], set(), set()

    def prepare(self):
        return self.units

    def call(self, unit):
        self.call_threads.add(threading.current_thread().name)
        if self.calls_wait:
            self.calls_wait.wait(5)
        return unit * 2

    def commit(self, answer):
        self.commit_threads.add(threading.current_thread().name)
        if answer == self.fail_on:
            raise ValueError(f"cannot commit {answer}")
        self.committed.append(answer)

    def discard(self, answer):
        self.discarded.append(answer)

    def result(self):
        return sorted(self.committed)


def test_database_threads_prepare_before_the_commits_already_waiting():
    # A call thread may sit idle until its job is prepared; a commit that waits delays nothing.
    threads, busy, done = DatabaseThreads(1), threading.Event(), []
    threads.submit(COMMIT, busy.wait, 5)
    threads.submit(COMMIT, done.append, "commit")
    threads.submit(PREPARE, done.append, "prepare")
    busy.set()
    threads.close()
    assert done == ["prepare", "commit"]


def test_a_threaded_pipeline_calls_off_the_database_threads_and_commits_on_them():
    pipeline = CallPipeline(database_threads=2, call_threads=4)
    job = RecordingJob([1, 2, 3])
    submitted = pipeline.submit(job)
    assert submitted.done.result(timeout=5) == [2, 4, 6]
    assert submitted.called.done()
    pipeline.close()
    assert all(name.startswith("call") for name in job.call_threads)
    assert all(name.startswith("database-") for name in job.commit_threads)


def test_called_resolves_once_the_calls_answered_while_their_commits_still_wait():
    release = threading.Event()

    class SlowCommits(RecordingJob):
        def commit(self, answer):
            release.wait(5)
            super().commit(answer)

    pipeline = CallPipeline(database_threads=1, call_threads=2)
    submitted = pipeline.submit(SlowCommits([1, 2]))
    submitted.called.result(timeout=5)
    assert not submitted.done.done()
    release.set()
    assert submitted.done.result(timeout=5) == [2, 4]
    pipeline.close()


def test_after_a_commit_fails_the_jobs_later_answers_are_discarded_and_the_error_is_its_result():
    pipeline = CallPipeline(database_threads=1, call_threads=1)
    job = RecordingJob([1, 2, 3], fail_on=4)
    submitted = pipeline.submit(job)
    with pytest.raises(ValueError, match="cannot commit 4"):
        submitted.done.result(timeout=5)
    pipeline.close()
    assert job.committed == [2] and job.discarded == [6]


def test_a_job_whose_prepare_fails_makes_no_call():
    class Refused(RecordingJob):
        def prepare(self):
            raise LookupError("gone")

    pipeline = CallPipeline(database_threads=1, call_threads=1)
    job = Refused([1])
    submitted = pipeline.submit(job)
    with pytest.raises(LookupError):
        submitted.done.result(timeout=5)
    assert submitted.called.done() and job.call_threads == set()
    pipeline.close()


def test_an_inline_pipeline_does_everything_in_the_callers_thread_before_submit_returns():
    pipeline = CallPipeline(database_threads=2, call_threads=4, inline=True)
    job = RecordingJob([1, 2, 3], fail_on=4)
    submitted = pipeline.submit(job)
    assert submitted.done.done() and submitted.called.done()
    with pytest.raises(ValueError):
        submitted.done.result()
    me = threading.current_thread().name
    assert job.call_threads == {me} and job.commit_threads == {me}
    assert job.committed == [2] and job.discarded == [6]
    pipeline.close()
    assert not any(thread.name.startswith(("database-", "call")) for thread in threading.enumerate())
