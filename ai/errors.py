class AIError(Exception):
    """An AI call that did not produce a usable answer; nothing is written or charged for it."""


class RateLimitWaitExceeded(AIError):
    """The provider's rate limit kept a call waiting past AI_RATE_LIMIT_MAX_WAIT_SECONDS.

    Not the item's failure: nothing was answered, its items stay pending for when the key has room.
    """
