"""The scheduler: the hourly pass that starts the runs of the configs due (`automation.schedule`)."""

import datetime
import logging

from django.db import transaction
from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q
from django.utils import timezone

from automation.errors import RunActive
from automation.models import ACTIVE_STATUSES, AutomationConfig, AutomationRun, TriggerType
from automation.schedule import configs_due, next_run_time_of_due
from automation.services.runs import start_automation
from billing.errors import InsufficientCredits
from igny8.errors import ServiceUnavailable, ValidationFailed

logger = logging.getLogger(__name__)


def check_scheduled_automations(*, now: datetime.datetime | None = None) -> dict:
    """Start the due runs. Skips a site that ran in the last 23 hours or has a running or paused run.

    One query selects and locks the due configs (not every config), one writes their `next_run_at`
    and claims the startable ones by setting `last_run_at`; then each claimed site starts. A second
    beat at the same time skips the locked rows, or sees `last_run_at` and skips the site. A start
    that is refused gives the claim back, so `last_run_at` only records runs that started.
    """
    now = now or timezone.now()
    ran_recently = Q(last_run_at__gt=now - datetime.timedelta(hours=23))
    with transaction.atomic():
        due = list(
            configs_due(now=now)
            .select_for_update(skip_locked=True, of=("self",))
            .select_related("site")
            .annotate(
                ran_recently=ExpressionWrapper(ran_recently, output_field=BooleanField()),
                has_active_run=Exists(
                    AutomationRun.objects.filter(site=OuterRef("site_id"), status__in=ACTIVE_STATUSES)
                ),
            )
            .order_by("pk")
        )
        claimed, skipped = [], []
        for config in due:
            if config.ran_recently:
                skipped.append({"site_id": config.site_id, "reason": "ran within the last 23 hours"})
            elif config.has_active_run:
                skipped.append({"site_id": config.site_id, "reason": "a run is running or paused"})
            else:
                claimed.append(config)
        AutomationConfig.objects.filter(pk__in=[config.pk for config in claimed]).update(last_run_at=now)
        AutomationConfig.objects.filter(pk__in=[config.pk for config in due]).update(
            next_run_at=next_run_time_of_due(now)
        )
    started = []
    for config in claimed:
        try:
            started.append(start_automation(site=config.site, trigger_type=TriggerType.SCHEDULED).run_id)
        except (RunActive, InsufficientCredits, ValidationFailed, ServiceUnavailable) as error:
            claim = AutomationConfig.objects.filter(pk=config.pk, last_run_at=now)
            claim.update(last_run_at=config.last_run_at)
            skipped.append({"site_id": config.site_id, "reason": error.message})
    for entry in skipped:
        logger.info("scheduled run for site %s skipped: %s", entry["site_id"], entry["reason"])
    return {"started": started, "skipped": skipped}
