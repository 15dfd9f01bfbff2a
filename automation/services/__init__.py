"""Automation services, one module per job: `config` (a site's config), `runs` (start, count
credits, finish), `control` (pause, resume, cancel, a deleted site's runs) and `scheduler` (the
hourly pass). The site lock's policy is in `automation.locks`, the reads in `automation.selectors`.
"""

import datetime

from automation.models import AutomationConfig, AutomationRun, TriggerType
from automation.services import config as configs
from automation.services import control, runs, scheduler
from tenancy.models import Site


class AutomationService:
    """The automation module's public entry, under the names the reference system documents.

    Views, tasks, admin actions, commands and the scheduler call these; each is a thin face over
    the service function of the same purpose in the job's module. It is the only second name of
    anything here: everything else is imported from its job's module.
    """

    @staticmethod
    def start_automation(
        *, site: Site, trigger_type: str = TriggerType.MANUAL, plan: "runs.RunPlan | None" = None
    ) -> AutomationRun:
        return runs.start_automation(site=site, trigger_type=trigger_type, plan=plan)

    @staticmethod
    def pause_automation(*, run: AutomationRun) -> AutomationRun:
        return control.run_pause(run=run)

    @staticmethod
    def resume_automation(*, run: AutomationRun) -> AutomationRun:
        return control.run_resume(run=run)

    @staticmethod
    def cancel_automation(*, run: AutomationRun) -> AutomationRun:
        return control.run_cancel(run=run)

    @staticmethod
    def get_config(*, site: Site) -> AutomationConfig:
        return configs.config_get_or_create(site=site)

    @staticmethod
    def update_config(*, config: AutomationConfig, fields: dict) -> AutomationConfig:
        return configs.config_update(config=config, fields=fields)

    @staticmethod
    def estimate(*, site: Site) -> dict:
        return runs.run_estimate(site=site)

    @staticmethod
    def check_scheduled_automations(*, now: datetime.datetime | None = None) -> dict:
        return scheduler.check_scheduled_automations(now=now)
