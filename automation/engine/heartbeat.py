"""The executor's heartbeat: keeps a claimed run fresh, and its site locked, while the executor works."""

import logging
import threading

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from automation.locks import lock_extend, lock_release
from automation.models import AutomationRun, RunStatus

logger = logging.getLogger(__name__)


def hold_site_lock(run: AutomationRun) -> None:
    """Renew the site lock of a running run, and give it back if the run stopped meanwhile.

    A pause, cancel or end between the executor's status check and the renewal has already released
    the lock; renewing after it would leave the site locked by a run that no longer runs. The run's
    row is read locked: a transaction ending the run releases the lock before its commit (`run_finish`),
    so the read waits for that commit instead of seeing the run still running.
    """
    lock_extend(site_id=run.site_id, run_id=run.run_id)
    with transaction.atomic():
        running = AutomationRun.objects.select_for_update().filter(pk=run.pk, status=RunStatus.RUNNING)
        still_running = running.exists()
    if not still_running:
        lock_release(site_id=run.site_id, run_id=run.run_id)


class Heartbeat:
    """A thread that keeps the run's heartbeat and the site lock fresh while the executor works."""

    def __init__(self, run: AutomationRun, token: int):
        self.run, self.token = run, token
        self.stopped = threading.Event()
        self.fenced = threading.Event()
        self.thread = threading.Thread(
            target=self.beat_until_stopped, name=f"heartbeat-{run.run_id}", daemon=True
        )

    def start(self) -> None:
        self.thread.start()

    def beat_until_stopped(self) -> None:
        try:
            while not self.stopped.wait(settings.AUTOMATION_HEARTBEAT_SECONDS):
                try:
                    if not self.beat():
                        return
                except Exception:
                    # A dropped database connection or a restarted Redis must not silence the heartbeat
                    # for good: that would hand a working run to a second executor.
                    logger.warning("heartbeat of %s failed; retrying", self.run.run_id, exc_info=True)
                    connection.close()
        finally:
            connection.close()

    def beat(self) -> bool:
        """One beat; False once this executor has been fenced out."""
        # Only a running run beats: a paused one has been handed back and must stay claimable.
        beat = AutomationRun.objects.filter(
            pk=self.run.pk, fencing_token=self.token, status=RunStatus.RUNNING
        )
        if not beat.update(heartbeat_at=timezone.now()):
            if not AutomationRun.objects.filter(pk=self.run.pk, fencing_token=self.token).exists():
                self.fenced.set()
                return False
            return True
        hold_site_lock(self.run)
        return True

    def stop(self) -> None:
        self.stopped.set()
        if self.thread.is_alive():
            self.thread.join(timeout=5)
