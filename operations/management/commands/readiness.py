"""Print /ready/'s JSON and exit 1 when a check fails: the containers' healthchecks and operators use it
where no HTTP server runs (beat, worker)."""

import json
import time

from django.core.management.base import BaseCommand, CommandError

from automation.task_names import RECOVER_STALE_RUNS_TASK
from operations.health import CHECKS, readiness, scheduler_passes

SCHEDULER_TASK = RECOVER_STALE_RUNS_TASK  # beat sends it every minute


class Command(BaseCommand):
    help = "Check the database, cache, broker and workers (as /ready/ does); exit 1 if one fails."

    def add_arguments(self, parser):
        parser.add_argument(
            "--only",
            choices=sorted(CHECKS),
            action="append",
            help="Check only these (repeatable); the default is all of them.",
        )
        parser.add_argument(
            "--scheduler-max-age",
            type=float,
            metavar="SECONDS",
            help=f"Also fail unless beat's {SCHEDULER_TASK} completed within SECONDS.",
        )

    def handle(self, *args, only=None, scheduler_max_age=None, **options):
        if only:
            body = {"checks": {name: CHECKS[name]() for name in only}}
            body["failed"] = [name for name, result in body["checks"].items() if not result["ok"]]
        else:
            _, body = readiness()
        if scheduler_max_age is not None:
            at = scheduler_passes()[SCHEDULER_TASK]
            if at is None or time.time() - at > scheduler_max_age:
                body["failed"].append("scheduler")
        self.stdout.write(json.dumps(body))
        if body["failed"]:
            raise CommandError(f"not ready: {', '.join(body['failed'])}", returncode=1)
