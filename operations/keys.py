"""Cache keys of the operations app, built in one place."""


def worker_seen_key() -> str:
    return "operations_worker_seen"


def scheduler_pass_key(task_name: str) -> str:
    return f"operations_scheduler_pass_{task_name}"


def readiness_probe_key() -> str:
    return "operations_readiness_probe"
