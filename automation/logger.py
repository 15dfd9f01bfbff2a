"""AutomationLogger: a run's log in the database (read by the API from any machine) and in files.

Files, under AUTOMATION_LOG_DIR/<account>/<site>/<run_id>/: automation_run.log (every line),
stage_<n>.log (that stage's lines) and run_trace.jsonl (one JSON event a line).
"""

import json
import logging
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from automation.models import AutomationLogEntry, AutomationRun
from igny8.sql import insert_row

logger = logging.getLogger("automation")


def site_log_dir(*, account_id: int, site_id: int) -> Path:
    return Path(settings.AUTOMATION_LOG_DIR) / str(account_id) / str(site_id)


def run_log_dir(run: AutomationRun) -> Path:
    return site_log_dir(account_id=run.account_id, site_id=run.site_id) / run.run_id


def log_line(*, at, stage: int | None, level: str, message: str) -> str:
    """One line of a run's text log: `[2025-12-03 14:05:23] Stage 1: WARNING: message`."""
    prefix = f"[{at:%Y-%m-%d %H:%M:%S}] " + (f"Stage {stage}: " if stage else "")
    return prefix + (f"{level.upper()}: " if level != AutomationLogEntry.Level.INFO else "") + message


class AutomationLogger:
    def __init__(self, run: AutomationRun):
        self.run = run
        self.directory = run_log_dir(run)

    def info(self, message: str, *, stage: int | None = None, event: str = "", **data) -> None:
        self._write(AutomationLogEntry.Level.INFO, message, stage, event, data)

    def warning(self, message: str, *, stage: int | None = None, event: str = "", **data) -> None:
        self._write(AutomationLogEntry.Level.WARNING, message, stage, event, data)

    def error(self, message: str, *, stage: int | None = None, event: str = "error", **data) -> None:
        self._write(AutomationLogEntry.Level.ERROR, message, stage, event, data)

    def _write(self, level: str, message: str, stage: int | None, event: str, data: dict) -> None:
        entry = {"run": self.run, "stage": stage, "level": level, "event": event, "message": message}
        insert_row(AutomationLogEntry, **entry, data=data)
        getattr(logger, "info" if level == "info" else level)(
            "%s: %s", self.run.run_id, message, extra={"run_id": self.run.run_id, "stage": stage}
        )
        try:
            self._write_files(level, message, stage, event, data)
        except OSError as error:  # the database entry is the record; a full disk must not stop the run
            logger.warning("%s: could not write log files: %s", self.run.run_id, error)

    def _write_files(self, level: str, message: str, stage: int | None, event: str, data: dict) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        now = timezone.now()
        line = log_line(at=now, stage=stage, level=level, message=message) + "\n"
        with open(self.directory / "automation_run.log", "a", encoding="utf-8") as handle:
            handle.write(line)
        if stage:
            with open(self.directory / f"stage_{stage}.log", "a", encoding="utf-8") as handle:
                handle.write(line)
        if event:
            record = {"time": now.isoformat(), "event": event, "stage": stage, "message": message, **data}
            with open(self.directory / "run_trace.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record, default=str) + "\n")
