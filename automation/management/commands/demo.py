import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify

from ai.clustering import clustering_method_name
from automation.management.commands.run_automation import show
from automation.services import AutomationService
from billing.management.commands.seed_demo_account import DEMO_EMAIL, DEMO_PASSWORD, demo_user_ensure
from igny8.capabilities import capabilities
from planner.services import keyword_import_csv
from tenancy.models import Site
from tenancy.services import site_create
from writer.models import Content, ContentStatus

DEMO_CSV = Path(__file__).resolve().parents[2] / "data" / "demo_keywords.csv"


class Command(BaseCommand):
    help = "The end-to-end demo on the embedded default: keywords in, draft articles with images out."

    def add_arguments(self, parser):
        parser.add_argument("--csv", type=Path, default=DEMO_CSV, help="keywords to start from")

    def handle(self, *args, **options):
        if not capabilities().tasks_in_process:
            raise CommandError(
                "The demo runs in-process on the embedded default: unset DATABASE_URL and REDIS_URL "
                "(`make demo` does), or use `run_automation --site ID --wait` with a worker."
            )
        settings.AI_PROVIDER = "offline"
        settings.AI_IMAGE_SIZE = "640x360"
        started = time.monotonic()
        site = self.make_site()
        imported = keyword_import_csv(site=site, data=options["csv"].read_bytes())
        self.stdout.write(f"Imported {imported['created']} keywords into site {site.pk} ({site.name}).")
        self.stdout.write(
            f"Keyword clustering: {clustering_method_name()} (OFFLINE_CLUSTERING, docs/CLUSTERING.md)"
        )
        config = AutomationService.get_config(site=site)
        AutomationService.update_config(
            config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0}
        )
        run = AutomationService.start_automation(site=site)
        run.refresh_from_db()
        show(run, self.stdout.write)
        articles = self.export_articles(site)
        self.stdout.write("")
        self.stdout.write(f"Articles (HTML, with their images): {articles}")
        self.stdout.write(f"Images: {Path(settings.MEDIA_ROOT) / 'images' / f'site_{site.pk}'}")
        self.stdout.write(
            f"Run logs: {Path(settings.AUTOMATION_LOG_DIR) / str(site.account_id) / str(site.pk)}"
        )
        self.stdout.write(f"Login for `make run`: {DEMO_EMAIL} / {DEMO_PASSWORD}")
        self.stdout.write(f"Finished in {time.monotonic() - started:.1f}s.")
        if run.status != "completed":
            raise CommandError(f"The demo run ended {run.status}: {run.error_message}")

    def make_site(self) -> Site:
        user = demo_user_ensure()
        number = Site.objects.filter(account_id=user.account_id).count() + 1
        return site_create(
            account=user.account, name=f"Demo site {number}", domain=f"demo{number}.example.com"
        )

    def export_articles(self, site: Site) -> Path:
        directory = Path(settings.DATA_DIR) / "demo" / f"site_{site.pk}"
        directory.mkdir(parents=True, exist_ok=True)
        contents = Content.objects.filter(site=site, status=ContentStatus.REVIEW).prefetch_related("images")
        for content in contents:
            figures = "".join(
                f'<figure><img src="{Path(settings.MEDIA_ROOT) / image.image_path}" alt="">'
                f"<figcaption>{image.prompt}</figcaption></figure>"
                for image in content.images.all()
                if image.image_path
            )
            page = (
                f"<!doctype html><meta charset='utf-8'><title>{content.meta_title}</title>"
                f"<h1>{content.title}</h1>{figures}{content.content_html}"
            )
            (directory / f"{content.pk}-{slugify(content.title)[:60]}.html").write_text(
                page, encoding="utf-8"
            )
        return directory
