"""Helpers of the worker tests: a site ready to run, and how to start and wait for a run."""

from automation.models import AutomationRun
from billing.models import CreditTransaction
from tests.conftest import client_for
from tests.factories import make_account, make_keywords
from tests.waiting import wait_for
from writer.models import Content, Task

BASE = "/api/v1/automation"
KEYWORDS = [
    "best running shoes",
    "running shoes for flat feet",
    "trail running shoes",
    "marathon training plan",
    "half marathon training schedule",
    "cold brew coffee ratio",
    "how to make cold brew coffee",
    "best coffee grinder",
    "espresso machine reviews",
    "pour over coffee guide",
]


def setup_site(*, credits=100_000, **config):
    tenant = make_account(credits=credits)
    account, owner, site = tenant.account, tenant.owner, tenant.site
    make_keywords(site=site, texts=KEYWORDS)
    client = client_for(owner)
    fields = {"within_stage_delay": 0, "between_stage_delay": 0, **config}
    assert client.patch(f"{BASE}/update_config/?site_id={site.pk}", fields, format="json").status_code == 200
    return account, site, client


def start_run(client, site) -> str:
    response = client.post(f"{BASE}/run_now/?site_id={site.pk}")
    assert response.status_code == 201, response.json()
    return response.json()["data"]["run_id"]


def run_of(run_id) -> AutomationRun:
    return AutomationRun.objects.get(run_id=run_id)


def wait_until_ended(run_id, timeout=120) -> AutomationRun:
    return wait_for(
        lambda: (run := run_of(run_id)).status in ("completed", "failed", "cancelled") and run,
        timeout=timeout,
        what=f"{run_id} to end",
    )


def assert_exactly_once(site, run):
    tasks = Task.objects.filter(site=site)
    assert all(Content.objects.filter(task=task).count() == 1 for task in tasks)
    ledger = CreditTransaction.objects.filter(automation_run_id=run.run_id)
    content_charges = ledger.filter(stage=4).count()
    assert content_charges == Content.objects.filter(site=site).count()
    assert ledger.filter(stage=5).count() == Content.objects.filter(site=site).count()
