"""How many threads, connections and batches in flight a run uses."""

from django.conf import settings

from automation.models import AutomationConfig
from automation.stages import Stage
from igny8.capabilities import capabilities, in_caller_transaction
from igny8.concurrency import CallPipeline


def database_threads_per_run() -> int:
    """The threads of a run that prepare its batches and commit its answers, each with a connection."""
    return max(2, settings.AI_CONCURRENCY // 4)


def connections_per_run() -> int:
    """Database connections a running run holds: its database threads, its executor, its heartbeat."""
    return database_threads_per_run() + 2


def connection_shortfall(*, worker_threads: int, max_connections: int) -> str | None:
    """Why a worker whose threads all run runs could exhaust PostgreSQL's connections, or None."""
    needed = worker_threads * connections_per_run()
    if needed <= max_connections:
        return None
    return (
        f"this worker's {worker_threads} threads may hold {needed} database connections "
        f"({connections_per_run()} per run at AI_CONCURRENCY={settings.AI_CONCURRENCY}), and PostgreSQL "
        f"allows {max_connections} in all (max_connections): lower the worker's -c or AI_CONCURRENCY, "
        "or raise max_connections; a run that cannot connect is handed to another executor, later"
    )


def run_pipeline() -> CallPipeline:
    """The run's pipeline, kept from stage to stage: a new connection per stage costs more than a
    small stage's own work. Inline where other connections could not help: one writer (SQLite), or
    a caller's transaction whose rows they could not see."""
    return CallPipeline(
        database_threads=database_threads_per_run(),
        call_threads=max(1, settings.AI_CONCURRENCY),
        inline=not capabilities().parallel_writers or in_caller_transaction(),
    )


def batches_in_flight(stage: Stage, config: AutomationConfig, pipeline: CallPipeline) -> int:
    """How many batches of `stage` may be waiting for or making their calls at once.

    With no delay between batches, an AI stage keeps up to AI_CONCURRENCY calls in flight across
    consecutive batches (each batch still commits item by item), and a quarter as many batches
    more, prepared and waiting for a call thread: when a call returns, the next one goes out while
    the answer is committed. A delay, a local stage or an inline pipeline means one at a time.
    """
    if config.within_stage_delay or stage.function_name is None or pipeline.inline:
        return 1
    calls = max(1, settings.AI_CONCURRENCY)
    return calls + max(1, calls // 4)
