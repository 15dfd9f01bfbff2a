from django.apps import AppConfig
from django.db.models.signals import pre_delete


def _end_runs_of_deleted_site(sender, instance, **kwargs):
    # tenancy cannot import automation (imports flow one way), so a site's deletion reaches us here.
    from automation.services import runs_end_for_site_deletion

    runs_end_for_site_deletion(site=instance)


class AutomationConfig(AppConfig):
    name = "automation"

    def ready(self):
        pre_delete.connect(
            _end_runs_of_deleted_site, sender="tenancy.Site", dispatch_uid="automation_site_deleted"
        )
