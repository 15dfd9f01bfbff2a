"""Items a stage could not process: recorded as the stage loop counts them, resolved once processed.

What "failed" means per stage comes from the stage's own pending query: an item whose call failed
stays pending (stages 1-5), so it is still failed while its stage's pending query still selects
it. Stage 6 also marks a failed image `failed` (final for the run, so the article reaches review
without it): such an image is failed while its status says so.
"""

import datetime
from collections import defaultdict

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from automation.models import AutomationRun, ItemFailure
from automation.stages import Stage, get_stage
from tenancy.models import Account, Site
from writer.models import Image, ImageStatus

# The error texts of ai.providers and ai.specs, by the stable code an operator filters on.
ERROR_CODES = (
    ("timed out", "provider_timeout"),
    ("could not be reached", "provider_unreachable"),
    ("answered 429", "rate_limited"),
    ("answered 5", "provider_error"),
    ("answered 4", "provider_refused"),
    ("malformed", "invalid_answer"),
    ("returned no", "invalid_answer"),
    ("with no text", "invalid_answer"),
    ("insufficient credits", "insufficient_credits"),
)
CODES = sorted({code for _, code in ERROR_CODES} | {"failed"})


def error_code(error: str) -> str:
    """The stable code of an item's error text; `failed` when no known cause matches."""
    text = error.lower()
    return next((code for fragment, code in ERROR_CODES if fragment in text), "failed")


def failed_rows(*, stage: Stage, site: Site, ids: list[int]) -> QuerySet:
    """The rows of `ids` still failed in `stage`: its pending query, and stage 6's failed images."""
    rows = stage.pending(site).filter(pk__in=ids)
    if stage.model is Image:
        rows = rows | Image.objects.filter(site=site, status=ImageStatus.FAILED, pk__in=ids)
    return rows


def failures_record(*, run: AutomationRun, stage: Stage, ids: list[int], error: str) -> None:
    """One open failure per item of the failed call (a repeated record of the same run keeps the first)."""
    ItemFailure.objects.bulk_create(
        [
            ItemFailure(
                account_id=run.account_id,
                site_id=run.site_id,
                run_id=run.run_id,
                stage=stage.number,
                function=stage.function_name or "",
                item_id=item_id,
                code=error_code(error),
                error=error[:2000],
            )
            for item_id in ids
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def failures_resolve(*, site: Site) -> int:
    """Close the site's open failures whose items are no longer failed; returns how many closed.

    One query per stage with open failures. An item processed by any later run (a retry, the
    schedule, a manual action) or deleted counts as resolved.
    """
    open_failures = ItemFailure.objects.filter(site=site, resolved_at__isnull=True)
    by_stage = defaultdict(set)
    for stage_number, item_id in open_failures.values_list("stage", "item_id"):
        by_stage[stage_number].add(item_id)
    closed, now = 0, timezone.now()
    for stage_number, ids in by_stage.items():
        still = set(
            failed_rows(stage=get_stage(stage_number), site=site, ids=list(ids)).values_list("pk", flat=True)
        )
        if done := ids - still:
            closed += open_failures.filter(stage=stage_number, item_id__in=done).update(resolved_at=now)
    return closed


def failures_for_account(
    *,
    account: Account,
    site_ids=None,
    run_id: str | None = None,
    stage: int | None = None,
    function: str | None = None,
    code: str | None = None,
    since: datetime.datetime | None = None,
    include_resolved: bool = False,
) -> QuerySet[ItemFailure]:
    """The account's item failures, newest first, narrowed by the filters given (tenant first)."""
    failures = ItemFailure.objects.filter(account=account)
    if site_ids is not None:
        failures = failures.filter(site_id__in=site_ids)
    if not include_resolved:
        failures = failures.filter(resolved_at__isnull=True)
    if run_id:
        failures = failures.filter(run_id=run_id)
    if stage:
        failures = failures.filter(stage=stage)
    if function:
        failures = failures.filter(function=function)
    if code:
        failures = failures.filter(code=code)
    if since:
        failures = failures.filter(created_at__gte=since)
    return failures.order_by("-id")


def open_failures_by_site(*, account: Account) -> dict[int, int]:
    """{site_id: items with an open failure} for the account, in one query (an item counted once)."""
    counts = defaultdict(int)
    rows = ItemFailure.objects.filter(account=account, resolved_at__isnull=True)
    for site_id, _stage, _item_id in rows.values_list("site_id", "stage", "item_id").distinct():
        counts[site_id] += 1
    return dict(counts)
