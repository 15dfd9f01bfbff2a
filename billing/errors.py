from igny8.errors import ApplicationError


class InsufficientCredits(ApplicationError):
    code = "insufficient_credits"

    def __init__(self, *, required: int, available: int, message: str | None = None):
        self.required = required
        self.available = available
        super().__init__(
            message or f"Insufficient credits: {required} required, {available} available.",
            extra={"required": required, "available": available},
        )
