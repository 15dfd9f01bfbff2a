"""Cache keys of the ai app, built in one place."""


def ai_task_owner_key(task_id: str) -> str:
    return f"ai_task_owner_{task_id}"


def ai_pace_key(provider_key: str) -> str:
    """What every worker knows of one provider key's limits, and its schedule of turns."""
    return f"ai_pace_{provider_key}"


def ai_pace_lock_key(provider_key: str) -> str:
    return f"ai_pace_lock_{provider_key}"


def ai_pace_quiet_answers_key(provider_key: str) -> str:
    """Answers counted apart while nothing paces the key (a counter, folded into its pace)."""
    return f"ai_pace_quiet_answers_{provider_key}"
