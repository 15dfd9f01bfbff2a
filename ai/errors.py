class AIError(Exception):
    """An AI call that did not produce a usable answer; nothing is written or charged for it."""
