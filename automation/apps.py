from django.apps import AppConfig
from django.db.models.signals import pre_delete

# tenancy cannot import automation (imports flow one way), so a site's deletion reaches us by signals.


def _stop_runs_of_deleting_site(sender, site, **kwargs):
    from automation.services.control import runs_cancel_for_site

    runs_cancel_for_site(site=site)


def _end_runs_of_deleted_site(sender, instance, **kwargs):
    from automation.services.control import runs_end_for_site_deletion

    runs_end_for_site_deletion(site=instance)


class AutomationConfig(AppConfig):
    name = "automation"

    def ready(self):
        from tenancy.signals import site_deleting

        site_deleting.connect(_stop_runs_of_deleting_site, dispatch_uid="automation_site_deleting")
        # Deletions that bypass `site_delete` (the admin, an account's deletion) still clean up.
        pre_delete.connect(
            _end_runs_of_deleted_site, sender="tenancy.Site", dispatch_uid="automation_site_deleted"
        )
