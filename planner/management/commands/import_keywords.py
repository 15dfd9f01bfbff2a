import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from igny8.errors import ApplicationError
from planner.services import keyword_import_csv
from tenancy.models import Site


class Command(BaseCommand):
    help = "Import keywords from a CSV file (keyword,volume,difficulty,intent) into a site."

    def add_arguments(self, parser):
        parser.add_argument("--site", type=int, required=True)
        parser.add_argument("file", type=Path)

    def handle(self, *args, **options):
        site = Site.objects.filter(pk=options["site"]).first()
        if site is None:
            raise CommandError(f"No site with id {options['site']}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            result = keyword_import_csv(site=site, data=path.read_bytes())
        except ApplicationError as error:
            raise CommandError(error.message) from None
        self.stdout.write(json.dumps(result))
