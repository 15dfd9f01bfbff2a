"""Cache keys of the ai app, built in one place."""


def ai_task_owner_key(task_id: str) -> str:
    return f"ai_task_owner_{task_id}"
