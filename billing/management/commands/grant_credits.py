from django.core.management.base import BaseCommand, CommandError

from billing.services import credits_grant
from igny8.errors import ApplicationError
from tenancy.models import Account


class Command(BaseCommand):
    help = "Grant credits to an account."

    def add_arguments(self, parser):
        parser.add_argument("--account", type=int, required=True)
        parser.add_argument("--amount", type=int, required=True)
        parser.add_argument("--reason", default="")

    def handle(self, *args, **options):
        account = Account.objects.filter(pk=options["account"]).first()
        if account is None:
            raise CommandError(f"No account with id {options['account']}.")
        try:
            ledger = credits_grant(account=account, amount=options["amount"], description=options["reason"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(
            f"Granted {options['amount']} credits to account {account.pk}; balance {ledger.balance_after}."
        )
