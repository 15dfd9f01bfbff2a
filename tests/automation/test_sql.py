"""Each hand-written statement of `automation.sql` gives what the ORM's equivalent gives."""

import pytest
from django.db.models import BooleanField, Count, F, Sum
from django.db.models.expressions import RawSQL

from automation import sql
from automation.models import ACTIVE_STATUSES, AutomationRun, StageRowCount
from automation.row_counts import counted_stages
from automation.services.control import run_cancel, run_pause
from automation.services.runs import start_automation
from automation.stages import STAGES, get_stage
from planner.models import Keyword
from planner.services import keyword_update
from tests.factories import make_account, make_cluster, make_keywords

pytestmark = pytest.mark.django_db


def orm_credits_add(*, run_pk: int, token: int, credits: int, ceiling: int | None) -> bool:
    runs = AutomationRun.objects.filter(pk=run_pk, fencing_token=token, status__in=ACTIVE_STATUSES)
    if ceiling is not None:
        runs = runs.filter(total_credits_used__lte=ceiling)
    return runs.update(total_credits_used=F("total_credits_used") + credits) == 1


def a_run(*, status: str, total: int) -> AutomationRun:
    run = start_automation(site=make_account(credits=100).site)
    if status == "paused":
        run = run_pause(run=run)
    elif status == "cancelled":
        run = run_cancel(run=run)
    AutomationRun.objects.filter(pk=run.pk).update(total_credits_used=total)
    return run


@pytest.mark.parametrize(
    ("status", "token", "ceiling"),
    [
        ("running", 0, None),
        ("paused", 0, None),
        ("running", 1, None),  # a claim by another executor changed the token
        ("cancelled", 0, None),
        ("running", 0, 5),  # the total is 5: at the ceiling, still counted
        ("running", 0, 4),  # over it: refused
    ],
)
def test_the_run_guard_counts_credits_exactly_when_the_orms_update_does(status, token, ceiling):
    by_sql, by_orm = a_run(status=status, total=5), a_run(status=status, total=5)
    counted = sql.run_credits_add(run_pk=by_sql.pk, token=token, credits=3, ceiling=ceiling)
    assert counted == orm_credits_add(run_pk=by_orm.pk, token=token, credits=3, ceiling=ceiling)
    totals = AutomationRun.objects.filter(pk__in=[by_sql.pk, by_orm.pk]).values_list(
        "total_credits_used", flat=True
    )
    assert set(totals) == {8 if counted else 5}


def test_the_control_read_is_the_orms_values_list():
    run = a_run(status="paused", total=0)
    AutomationRun.objects.filter(pk=run.pk).update(fencing_token=4)
    orm = AutomationRun.objects.filter(pk=run.pk).values_list("status", "fencing_token").first()
    assert sql.run_control(run_pk=run.pk) == orm == ("paused", 4)
    missing = AutomationRun.objects.filter(pk=0).values_list("status", "fencing_token").first()
    assert sql.run_control(run_pk=0) is missing is None


def test_the_fold_leaves_one_row_per_group_with_the_orms_sums(tenant, other_tenant):
    for site in (tenant.site, other_tenant.site):
        for text in ("one", "two", "three"):
            make_keywords(site=site, texts=[f"keyword {text}"])
    keyword_update(keyword=Keyword.objects.filter(site=tenant.site).first(), fields={"disabled": True})
    groups = ("site_id", "stage", "status", "pending")
    sums = StageRowCount.objects.values(*groups).annotate(total=Sum("n")).exclude(total=0)
    expected = sorted((*(row[name] for name in groups), row["total"]) for row in sums)
    assert StageRowCount.objects.count() > len(expected)

    assert sql.row_counts_fold() == len(expected)

    assert sorted(StageRowCount.objects.values_list(*groups, "n")) == expected


def test_each_counted_stages_condition_selects_its_pending_rows(tenant):
    keywords = make_keywords(site=tenant.site, texts=["a b", "c d", "e f"])
    keyword_update(keyword=keywords[0], fields={"disabled": True})
    make_cluster(site=tenant.site, name="topic", keywords=["g h"])
    for stage in counted_stages():
        condition = sql.row_condition(stage.pending(tenant.site), without=stage.model._meta.get_field("site"))
        rows = stage.model.objects.filter(site=tenant.site).filter(
            RawSQL(condition, [], output_field=BooleanField())
        )
        assert list(rows.order_by("pk")) == list(stage.pending(tenant.site)), stage.number
    assert get_stage(1).pending(tenant.site).count() == 2  # there was something to count


def test_a_condition_that_needs_another_table_or_lacks_the_site_is_not_compiled(tenant):
    site_field = Keyword._meta.get_field("site")
    image_prompts = get_stage(5)  # a draft without images: a subquery of the images
    assert (
        sql.row_condition(
            image_prompts.pending(tenant.site), without=image_prompts.model._meta.get_field("site")
        )
        is None
    )
    assert sql.row_condition(Keyword.objects.filter(status="new"), without=site_field) is None
    joined = Keyword.objects.filter(site=tenant.site, cluster__name="topic")
    assert sql.row_condition(joined, without=site_field) is None
    assert sql.row_filter(joined) is None


def test_the_row_filter_counts_what_the_pending_query_counts(tenant):
    make_keywords(site=tenant.site, texts=["a b", "c d"])
    make_cluster(site=tenant.site, name="topic", keywords=["e f"])
    for stage in STAGES:
        pending = stage.pending(tenant.site)
        condition = sql.row_filter(pending)
        if condition is None:
            continue
        counted = stage.model.objects.filter(site=tenant.site).aggregate(n=Count("pk", filter=condition))
        assert counted["n"] == pending.count(), stage.number
