import json

from django.core.management.base import BaseCommand

from publishing.services import destination_secrets_reencrypt


class Command(BaseCommand):
    help = (
        "Re-encrypt every destination secret under the first key of SECRETS_ENCRYPTION_KEYS "
        "(after putting a new key first); prints {reencrypted, unreadable}."
    )

    def handle(self, *args, **options):
        reencrypted, unreadable = destination_secrets_reencrypt()
        self.stdout.write(json.dumps({"reencrypted": reencrypted, "unreadable": unreadable}))
