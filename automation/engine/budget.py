"""What a run has spent and may still spend under its `max_credits_per_run`."""

import threading


class RunBudget:
    """What the run has spent, counted in the transaction of each charge, and its cap as a promise.

    A call starts only when its estimate fits what is left under `max_credits_per_run`; its commit
    adds the real cost to the run's `total_credits_used` with the guard's conditional UPDATE, which
    refuses to pass the cap, so a run never spends more than its cap, whatever runs concurrently.
    """

    def __init__(self, *, spent: int, cap: int | None):
        self.cap, self.spent, self.reserved = cap, spent, 0
        self.lock = threading.Lock()

    @property
    def exhausted(self) -> bool:
        return self.cap is not None and self.spent >= self.cap

    def reserve(self, credits: int) -> bool:
        with self.lock:
            if self.cap is not None and self.spent + self.reserved + credits > self.cap:
                return False
            self.reserved += credits
            return True

    def release(self, credits: int) -> None:
        with self.lock:
            self.reserved -= credits

    def spent_more(self, credits: int) -> None:
        """The run's guard counted `credits` in the database."""
        with self.lock:
            self.spent += credits
