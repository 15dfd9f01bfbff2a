"""Every site of an account on one page: a constant number of queries, whatever the number of sites.

One query reads the sites with their config and their newest run (subqueries), then one query
each for open failures, the review queue, publishing, the destinations and this month's spending,
all grouped by site. It lives in publishing, the app above automation, so that a site whose
destination is broken (its publishing queue held) is counted as needing attention.
"""

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from automation.budgets import spent_this_month_by_site
from automation.failures import open_failures_by_site
from automation.models import AutomationRun, RunStatus
from publishing.models import DestinationHealth
from publishing.selectors import destination_health_by_site
from tenancy.models import Account, Site
from writer.models import Content, ContentStatus, SiteStatus

ORDERINGS = ("name", "last_run_at", "failed_items", "review_queue", "credits_this_month", "next_run_at")
LAST_RUN_FIELDS = ("run_id", "status", "started_at", "completed_at", "total_credits_used", "pause_reason")


def sites_with_last_run(sites: QuerySet[Site]) -> QuerySet[Site]:
    newest = AutomationRun.objects.filter(site=OuterRef("pk")).order_by("-id")
    return sites.select_related("automation_config").annotate(
        **{f"last_run_{name}": Subquery(newest.values(name)[:1]) for name in LAST_RUN_FIELDS}
    )


def review_queue_by_site(*, account: Account) -> dict[int, int]:
    rows = (
        Content.objects.filter(account=account, status=ContentStatus.REVIEW)
        .values("site_id")
        .order_by("site_id")
        .annotate(n=Count("pk"))
    )
    return {row["site_id"]: row["n"] for row in rows}


def publishing_by_site(*, account: Account) -> dict[int, dict]:
    """Per site: articles waiting to go out, given up on, and published this month (by the time
    they were due: publishing sends an article at its scheduled time or soon after)."""
    month_start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    rows = (
        Content.objects.filter(account=account)
        .exclude(site_status=SiteStatus.NOT_PUBLISHED)
        .values("site_id")
        .order_by("site_id")
        .annotate(
            scheduled=Count("pk", filter=Q(site_status__in=[SiteStatus.SCHEDULED, SiteStatus.PUBLISHING])),
            failed=Count("pk", filter=Q(site_status=SiteStatus.FAILED)),
            published_this_month=Count(
                "pk", filter=Q(site_status=SiteStatus.PUBLISHED, scheduled_publish_at__gte=month_start)
            ),
        )
    )
    return {row.pop("site_id"): row for row in rows}


NOTHING_PUBLISHED = {"scheduled": 0, "failed": 0, "published_this_month": 0}


def site_row(
    site: Site, *, failures: dict, review: dict, spent: dict, publishing: dict, destinations: dict
) -> dict:
    config = getattr(site, "automation_config", None)
    budget = config.monthly_credit_budget if config else None
    last_run = None
    if site.last_run_run_id:
        last_run = {name: getattr(site, f"last_run_{name}") for name in LAST_RUN_FIELDS}
        last_run["credits"] = last_run.pop("total_credits_used")
    credits = spent.get(site.pk, 0)
    row = {
        "site_id": site.pk,
        "name": site.name,
        "domain": site.domain,
        "is_active": site.is_active,
        "schedule_enabled": bool(config and config.is_enabled),
        "next_run_at": config.next_run_at if config and config.is_enabled else None,
        "last_run": last_run,
        "failed_items": failures.get(site.pk, 0),
        "review_queue": review.get(site.pk, 0),
        "publishing": publishing.get(site.pk, NOTHING_PUBLISHED),
        "destination": destinations.get(site.pk),
        "credits_this_month": credits,
        "monthly_credit_budget": budget,
        "budget_left": None if budget is None else max(budget - credits, 0),
    }
    row["needs_attention"] = needs_attention(row)
    return row


def needs_attention(row: dict) -> bool:
    """A failed run, a run paused (not by a user), failed items or publishes, a broken destination
    (it holds the site's publishing queue), or a spent budget."""
    run = row["last_run"] or {}
    return bool(
        row["failed_items"]
        or row["publishing"]["failed"]
        or row["destination"] == DestinationHealth.BROKEN
        or run.get("status") == RunStatus.FAILED
        or (run.get("status") == RunStatus.PAUSED and run.get("pause_reason") != "user")
        or row["budget_left"] == 0
    )


def sites_overview(
    *,
    account: Account,
    sites: QuerySet[Site],
    ordering: str = "name",
    attention_only: bool = False,
    status: str | None = None,
    search: str | None = None,
) -> list[dict]:
    """One row per site: `sites` is the caller's sites queryset (tenant first)."""
    if search:
        sites = sites.filter(name__icontains=search) | sites.filter(domain__icontains=search)
    failures = open_failures_by_site(account=account)
    review = review_queue_by_site(account=account)
    spent = spent_this_month_by_site(account=account)
    publishing = publishing_by_site(account=account)
    destinations = destination_health_by_site(account=account)
    rows = [
        site_row(
            site,
            failures=failures,
            review=review,
            spent=spent,
            publishing=publishing,
            destinations=destinations,
        )
        for site in sites_with_last_run(sites)
    ]
    if attention_only:
        rows = [row for row in rows if row["needs_attention"]]
    if status:
        rows = [row for row in rows if (row["last_run"] or {}).get("status") == status]
    return sort_rows(rows, ordering)


def sort_rows(rows: list[dict], ordering: str) -> list[dict]:
    descending, key = ordering.startswith("-"), ordering.lstrip("-")

    def value(row):
        found = (row["last_run"] or {}).get("started_at") if key == "last_run_at" else row[key]
        return (found is None, found if found is not None else 0, row["name"].lower())

    present = [row for row in rows if value(row)[0] is False]
    missing = [row for row in rows if value(row)[0] is True]
    present.sort(key=value, reverse=descending)
    missing.sort(key=lambda row: row["name"].lower())
    return present + missing
