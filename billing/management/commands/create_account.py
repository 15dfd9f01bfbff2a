import json

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing.services import credits_grant
from igny8.errors import ApplicationError
from tenancy.services import account_register, site_create


class Command(BaseCommand):
    help = "Create an account with its owner (and optionally credits and a site); prints one JSON line."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--password", required=True)
        parser.add_argument("--credits", type=int, default=0)
        parser.add_argument("--site-name")
        parser.add_argument("--site-domain", default="")

    def handle(self, *args, **options):
        if options["credits"] < 0:
            raise CommandError("--credits must not be negative.")
        try:
            with transaction.atomic():
                user, account = account_register(
                    email=options["email"], password=options["password"], account_name=options["name"]
                )
                if options["credits"]:
                    credits_grant(account=account, amount=options["credits"], description="Initial credits")
                site = None
                if options["site_name"]:
                    site = site_create(
                        account=account, name=options["site_name"], domain=options["site_domain"]
                    )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        result = {"account_id": account.pk, "user_id": user.pk, "site_id": site.pk if site else None}
        self.stdout.write(json.dumps(result))
