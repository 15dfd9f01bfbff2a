"""A site's automation config: read (created with the defaults on first use) and update."""

from django.utils import timezone

from automation.models import AutomationConfig
from automation.schedule import next_run_time
from tenancy.models import Site


def config_get_or_create(*, site: Site) -> AutomationConfig:
    config, _ = AutomationConfig.objects.get_or_create(site=site, defaults={"account_id": site.account_id})
    return config


def config_update(*, config: AutomationConfig, fields: dict) -> AutomationConfig:
    """Apply validated fields; recomputes `next_run_at` when the schedule changes."""
    for name, value in fields.items():
        setattr(config, name, value)
    config.next_run_at = next_run_time(config, timezone.now()) if config.is_enabled else None
    config.save()
    return config
