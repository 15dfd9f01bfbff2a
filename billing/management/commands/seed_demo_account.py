from django.core.management.base import BaseCommand
from django.db import transaction

from billing.services import credits_grant
from tenancy.models import Site, User
from tenancy.services import account_register, site_create

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-password-2026"
DEMO_CREDITS = 100_000


@transaction.atomic
def demo_user_ensure() -> User:
    """The demo owner, with its account and credits, created on first use."""
    user = User.objects.filter(email=DEMO_EMAIL).first()
    if user is None:
        user, account = account_register(email=DEMO_EMAIL, password=DEMO_PASSWORD, account_name="Demo")
        credits_grant(account=account, amount=DEMO_CREDITS, description="Demo credits")
    return user


class Command(BaseCommand):
    help = "Create the demo account, owner and site if they are missing, and print the login."

    def handle(self, *args, **options):
        user = demo_user_ensure()
        site = Site.objects.filter(account_id=user.account_id).order_by("id").first()
        if site is None:
            site = site_create(account=user.account, name="Demo site", domain="demo.example.com")
        self.stdout.write(
            f"Login: {DEMO_EMAIL} / {DEMO_PASSWORD} (account {user.account_id}, site {site.pk})"
        )
