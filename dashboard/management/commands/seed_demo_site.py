from pathlib import Path

from django.core.management.base import BaseCommand

from automation.services.config import config_get_or_create, config_update
from billing.management.commands.seed_demo_account import DEMO_EMAIL, DEMO_PASSWORD, demo_user_ensure
from planner.models import Keyword
from planner.services import keyword_import_csv
from tenancy.models import Site
from tenancy.services import site_create

DEMO_CSV = Path(__file__).resolve().parents[3] / "automation" / "data" / "demo_keywords.csv"


class Command(BaseCommand):
    help = (
        "Create the demo account, owner and site if they are missing, give an empty demo site the "
        "bundled keywords, and print the login."
    )

    def handle(self, *args, **options):
        user = demo_user_ensure()
        site = Site.objects.filter(account_id=user.account_id).order_by("id").first()
        if site is None:
            site = site_create(account=user.account, name="Demo site", domain="demo.example.com")
            # The embedded default runs a whole run inside the request that starts it: no delays.
            config_update(
                config=config_get_or_create(site=site),
                fields={"within_stage_delay": 0, "between_stage_delay": 0},
            )
        # Only an empty site is seeded, so a restart never brings back keywords the user removed.
        if not Keyword.objects.filter(site=site).exists():
            imported = keyword_import_csv(site=site, data=DEMO_CSV.read_bytes())
            self.stdout.write(f"Imported {imported['created']} demo keywords into {site.name}.")
        self.stdout.write(
            f"Login: {DEMO_EMAIL} / {DEMO_PASSWORD} (account {user.account_id}, site {site.pk}) "
            "at http://127.0.0.1:8000/"
        )
