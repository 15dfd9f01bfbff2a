"""The stage row counters the triggers keep: equal to counting the rows, and what the endpoints read."""

import threading

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from automation import row_counts
from automation.engine.claim import execute_run
from automation.models import StageRowCount
from automation.services.runs import start_automation
from automation.stages import STAGES
from planner.models import Keyword
from planner.services import keyword_update, keywords_assign
from tenancy.services import site_delete
from tests.factories import make_cluster, make_keywords

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("offline")]
BASE = "/api/v1/automation"


def counted_directly(site) -> dict[int, tuple[dict[str, int], int]]:
    return {stage.number: stage.status_counts(site) for stage in STAGES}


def test_the_stages_without_a_join_are_counted_by_triggers():
    assert [stage.number for stage in row_counts.counted_stages()] == [1, 2, 3, 4, 6]


def test_counters_equal_counting_the_rows_after_every_step_of_a_run(
    pipeline_site, other_tenant, owner_client
):
    make_keywords(site=other_tenant.site, texts=["another site's keyword"])
    keyword = Keyword.objects.filter(site=pipeline_site).first()
    keyword_update(keyword=keyword, fields={"disabled": True})
    assert row_counts.stage_counts(site=pipeline_site) == counted_directly(pipeline_site)

    run = start_automation(site=pipeline_site)
    assert execute_run(run_pk=run.pk) == "completed"
    counts = row_counts.stage_counts(site=pipeline_site)
    assert counts == counted_directly(pipeline_site)
    assert counts[1][0]["mapped"] == 9 and counts[6][0]["generated"]  # the run went through

    mapped = Keyword.objects.filter(site=pipeline_site, status="mapped").first()
    response = owner_client.delete(f"/api/v1/planner/keywords/{mapped.pk}/?site_id={pipeline_site.pk}")
    assert response.status_code == 204
    keywords_assign(cluster=make_cluster(site=pipeline_site, name="by hand"), keyword_ids=[keyword.pk])
    assert row_counts.stage_counts(site=pipeline_site) == counted_directly(pipeline_site)
    assert row_counts.pending_counts(site=pipeline_site) == {
        stage.number: stage.pending(pipeline_site).count() for stage in STAGES
    }
    assert row_counts.stage_counts(site=other_tenant.site)[1] == ({"new": 1}, 1)


def test_a_deleted_sites_counters_add_up_to_nothing(pipeline_site):
    site_id = pipeline_site.pk
    site_delete(site=pipeline_site)
    pipeline_site.pk = site_id
    assert all(counts == ({}, 0) for counts in row_counts.stage_counts(site=pipeline_site).values())
    row_counts.row_counts_compact()
    assert not StageRowCount.objects.filter(site_id=site_id).exists()


def test_compaction_leaves_one_row_per_group_and_the_same_counts(pipeline_site):
    for text in ("one", "two", "three"):
        make_keywords(site=pipeline_site, texts=[f"keyword {text}"])
    keyword_update(keyword=Keyword.objects.filter(site=pipeline_site).first(), fields={"disabled": True})
    before = row_counts.stage_counts(site=pipeline_site)
    assert StageRowCount.objects.filter(site_id=pipeline_site.pk, stage=1).count() > 2

    row_counts.row_counts_compact()

    assert row_counts.stage_counts(site=pipeline_site) == before == counted_directly(pipeline_site)
    # 12 pending keywords and one disabled one: two groups of stage 1.
    assert StageRowCount.objects.filter(site_id=pipeline_site.pk, stage=1).count() == 2


@pytest.mark.django_db(transaction=True)
def test_compaction_while_keywords_are_added_loses_no_count(tenant):
    site, stop = tenant.site, threading.Event()

    def add_keywords():
        try:
            number = 0
            while not stop.is_set() or number < 20:
                make_keywords(site=site, texts=[f"keyword {number}", f"other keyword {number}"])
                number += 1
        finally:
            connections.close_all()

    writer = threading.Thread(target=add_keywords)
    writer.start()
    try:
        for _ in range(20):
            row_counts.row_counts_compact()
    finally:
        stop.set()
        writer.join()
    row_counts.row_counts_compact()
    assert row_counts.stage_counts(site=site) == counted_directly(site)
    assert StageRowCount.objects.filter(site_id=site.pk).count() == 1


def test_the_installed_triggers_are_what_the_stages_pending_rules_compile_to():
    """A changed pending rule needs a migration that installs `row_counts.trigger_sql()` again."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT proname, prosrc FROM pg_proc WHERE proname LIKE 'stage\\_%\\_row\\_count'")
        installed = dict(cursor.fetchall())
    expected = {
        row_counts.function_name(stage): row_counts.function_body(stage)
        for stage in row_counts.counted_stages()
    }
    assert installed == expected


@pytest.mark.parametrize("endpoint", ["estimate", "pipeline_overview", "current_processing"])
def test_site_endpoints_count_no_rows_of_the_counted_tables(endpoint, pipeline_site, owner_client):
    start_automation(site=pipeline_site)
    counted_tables = {f'"{stage.model._meta.db_table}"' for stage in row_counts.counted_stages()}
    with CaptureQueriesContext(connection) as queries:
        response = owner_client.get(f"{BASE}/{endpoint}/?site_id={pipeline_site.pk}")
    assert response.status_code == 200
    # Counting the site's rows: `.count()` of a pending query, or its statuses grouped (a subquery of
    # another table names a counted table with an alias, and the estimate's word sums read a LIMITed page).
    counting = [
        query["sql"]
        for query in queries
        for table in counted_tables
        if f"FROM {table} WHERE" in query["sql"]
        and ("COUNT(*)" in query["sql"] or f'{table}."status" AS "status"' in query["sql"])
    ]
    assert counting == []
