import time

from django.core.management.base import BaseCommand, CommandError

from automation import selectors
from automation.models import AutomationRun
from automation.services import AutomationService
from automation.stages import STAGES
from igny8.errors import ApplicationError
from tenancy.models import Site


def stage_line(run: AutomationRun, stage) -> str:
    result = run.stage_result(stage.number)
    if result is None:
        state = "waiting" if stage.number > run.current_stage else "…"
        return f"  {stage.number}. {stage.name:<26} {state}"
    if result.get("skipped"):
        return f"  {stage.number}. {stage.name:<26} skipped ({result.get('reason')})"
    counts = ", ".join(
        f"{key}={value}" for key, value in result.items() if key not in ("seconds", "time_elapsed", "skipped")
    )
    return f"  {stage.number}. {stage.name:<26} {counts} [{result.get('time_elapsed')}]"


def show(run: AutomationRun, write) -> None:
    write(f"{run.run_id}: {run.status}, stage {run.current_stage}, {run.total_credits_used} credits used")
    for stage in STAGES:
        write(stage_line(run, stage))
    if run.error_message:
        write(f"  error: {run.error_message}")


class Command(BaseCommand):
    help = "Start an automation run for a site; with --wait, show progress until it ends."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True)
        parser.add_argument("--wait", action="store_true")
        parser.add_argument("--interval", type=float, default=2.0)

    def handle(self, *args, **options):
        site = Site.objects.select_related("account").filter(pk=options["site"]).first()
        if site is None:
            raise CommandError(f"No site with id {options['site']}.")
        try:
            run = AutomationService.start_automation(site=site)
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(f"Started {run.run_id}")
        if not options["wait"]:
            return
        last = None
        while True:
            run.refresh_from_db()
            progress = selectors.current_processing(run=run)
            line = (
                f"stage {progress['stage']} {progress['stage_name']}: "
                f"{progress['processed']}/{progress['total']} "
                f"({progress['percent']}%)"
                if progress
                else run.status
            )
            if line != last:
                self.stdout.write(line)
                last = line
            if not run.is_active:
                break
            time.sleep(options["interval"])
        show(run, self.stdout.write)
        if run.status != "completed":
            raise CommandError(f"The run ended {run.status}.")
