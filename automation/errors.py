from igny8.errors import ApplicationError


class RunActive(ApplicationError):
    code = "run_active"
    default_message = "An automation run is already running or paused for this site."


class Fenced(Exception):
    """This executor no longer owns the run (another claimed it, or it was cancelled)."""


class NothingToRetry(ApplicationError):
    code = "nothing_to_retry"
    default_message = "No failed items match; nothing to retry."
