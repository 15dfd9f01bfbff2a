"""The AI functions through the real openai SDK against the local OpenAI-compatible server."""

import math

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai.clustering import clustering_method_name
from ai.engine import function_start, run_function
from ai.models import AITaskLog
from ai.pricing import Pricing
from ai.providers import provider_reset
from billing.errors import InsufficientCredits
from billing.models import CreditTransaction
from igny8.errors import ValidationFailed
from planner.models import Cluster, ContentIdea, Keyword
from tenancy.models import Account
from tests.factories import make_account, make_cluster, make_keywords
from writer.models import Content, Image, Task
from writer.services import ideas_queue_to_writer

pytestmark = pytest.mark.django_db

KEYWORDS = [
    "best running shoes",
    "running shoes for flat feet",
    "trail running shoes",
    "cold brew coffee ratio",
    "how to make cold brew coffee",
    "best coffee grinder",
    "espresso machine reviews",
    "marathon training plan",
]


def deductions(account):
    return list(
        CreditTransaction.objects.filter(account=account, transaction_type="deduction").order_by("id")
    )


def chat_requests(server):
    return [r for r in server.requests if r["path"].endswith("/chat/completions")]


@pytest.fixture
def tenant_with_keywords(tenant):
    account, site = tenant.account, tenant.site
    return account, site, make_keywords(site=site, texts=KEYWORDS)


def cluster_all(account, site, keywords, **extra):
    return run_function(
        "auto_cluster", {"ids": [k.pk for k in keywords]}, account=account, site=site, **extra
    )


def test_auto_cluster_maps_keywords_and_charges_per_five_mapped(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    result = cluster_all(account, site, keywords, automation_run_id="run_x", stage=1)
    assert result.processed == 8 and result.created == Cluster.objects.filter(site=site).count() >= 2
    assert Keyword.objects.filter(site=site, status="mapped", cluster__isnull=False).count() == len(KEYWORDS)
    for cluster in Cluster.objects.filter(site=site):
        assert cluster.keywords_count == cluster.keywords.count() > 0
        assert cluster.volume == 100 * cluster.keywords_count
    [ledger] = deductions(account)
    assert ledger.amount == -math.ceil(len(KEYWORDS) / 5)
    assert (ledger.automation_run_id, ledger.stage) == ("run_x", 1)
    [log] = AITaskLog.objects.all()
    [request] = chat_requests(fake_openai)
    assert (log.status, log.function, log.credits_used) == ("success", "auto_cluster", 2)
    assert (log.tokens_in, log.tokens_out) == (
        request["usage"]["prompt_tokens"],
        request["usage"]["completion_tokens"],
    )
    assert log.tokens_in > 0 and log.cost_usd > 0
    assert request["schema_name"] == "auto_cluster"


def test_the_whole_manual_chain_charges_exactly_the_cost_rules(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    cluster_all(account, site, keywords)
    clusters = list(Cluster.objects.filter(site=site))
    ideas = run_function("generate_ideas", {"ids": [c.pk for c in clusters]}, account=account, site=site)
    expected_ideas = sum(min(3, cluster.keywords.count()) for cluster in clusters)
    assert ideas.created == ContentIdea.objects.filter(site=site).count() == expected_ideas
    assert set(Cluster.objects.filter(site=site).values_list("status", flat=True)) == {"mapped"}
    idea = ContentIdea.objects.filter(site=site).first()
    assert idea.keywords.exists()

    assert len(ideas_queue_to_writer(site=site, idea_ids=[idea.pk])) == 1
    task = Task.objects.get(idea=idea)
    assert ContentIdea.objects.get(pk=idea.pk).status == "queued"

    written = run_function("generate_content", {"ids": [task.pk]}, account=account, site=site)
    content = Content.objects.get(task=task)
    assert written.details["words"] == content.word_count > 100
    assert "<h2>" in content.content_html
    assert Task.objects.get(pk=task.pk).status == "completed"
    assert ContentIdea.objects.get(pk=idea.pk).status == "completed"

    run_function("generate_image_prompts", {"ids": [content.pk]}, account=account, site=site)
    images = list(Image.objects.filter(content=content))
    assert [(i.image_type, i.position, i.status) for i in images] == [
        ("featured", 0, "pending"),
        ("in_article", 1, "pending"),
        ("in_article", 2, "pending"),
    ]

    fake_openai.configure(image_fail_next=1)
    made = run_function("generate_images", {"ids": [i.pk for i in images]}, account=account, site=site)
    assert (made.created, made.failed) == (2, 1)
    statuses = sorted(Image.objects.filter(content=content).values_list("status", flat=True))
    assert statuses == ["failed", "generated", "generated"]
    generated = Image.objects.filter(content=content, status="generated").first()
    assert generated.image_url and generated.image_path.endswith(".png")
    assert Image.objects.get(content=content, status="failed").error

    amounts = [-row.amount for row in deductions(account)]
    expected = [2] + [2] * len(clusters) + [math.ceil(content.word_count / 100), 2, 5, 5]
    assert amounts == expected
    assert Account.objects.get(pk=account.pk).credits == 10_000 - sum(expected)
    assert AITaskLog.objects.filter(status="failed", function="generate_images").count() == 1


def test_429_and_500_are_retried_by_the_sdk(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    fake_openai.configure(fail_next=[429, 500])
    result = cluster_all(account, site, keywords)
    assert result.failed == 0 and result.processed == 8
    statuses = [r["status"] for r in chat_requests(fake_openai)]
    assert statuses == [429, 500, 200]
    assert len(deductions(account)) == 1


def test_a_timeout_fails_the_call_and_charges_nothing(fake_openai, tenant_with_keywords, settings):
    settings.OPENAI_TIMEOUT = 0.5
    settings.OPENAI_MAX_RETRIES = 0
    provider_reset()
    account, site, keywords = tenant_with_keywords
    fake_openai.configure(hang_next=1, hang_seconds=3)
    result = cluster_all(account, site, keywords)
    assert result.failed == 1 and result.processed == 0
    [log] = AITaskLog.objects.all()
    assert log.status == "failed" and "timed out" in log.error
    assert deductions(account) == []
    assert not Cluster.objects.exists()


def test_malformed_json_twice_fails_with_nothing_written_or_charged(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    fake_openai.configure(malformed_next=2)
    result = cluster_all(account, site, keywords)
    assert result.failed == 1
    [log] = AITaskLog.objects.all()
    assert log.status == "failed" and "malformed" in log.error
    assert len(chat_requests(fake_openai)) == 2
    assert deductions(account) == [] and not Cluster.objects.exists()
    assert set(Keyword.objects.values_list("status", flat=True)) == {"new"}


def test_malformed_json_once_is_retried_and_succeeds(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    fake_openai.configure(malformed_next=1)
    result = cluster_all(account, site, keywords)
    assert result.processed == 8
    [log] = AITaskLog.objects.all()
    served = chat_requests(fake_openai)
    assert log.tokens_in == sum(r["usage"]["prompt_tokens"] for r in served)


def test_invented_keywords_are_ignored_and_left_out_ones_stay_new(fake_openai, tenant):
    account, site = tenant.account, tenant.site
    keywords = make_keywords(
        site=site, texts=["solar panels", "solar inverter", "home battery", "wind turbine", "heat pump"]
    )
    fake_openai.configure(
        respond_next=[
            {
                "clusters": [
                    {
                        "name": "Solar",
                        "description": "d",
                        "keywords": ["SOLAR  Panels", "solar inverter", "made up keyword"],
                    },
                    {"name": "Storage", "description": "d", "keywords": ["home battery", "solar panels"]},
                ]
            }
        ]
    )
    result = cluster_all(account, site, keywords)
    mapped = dict(Keyword.objects.filter(site=site).values_list("keyword", "cluster__name"))
    assert mapped == {
        "solar panels": "Solar",
        "solar inverter": "Solar",
        "home battery": "Storage",
        "wind turbine": None,
        "heat pump": None,
    }
    assert not Keyword.objects.filter(keyword="made up keyword").exists()
    assert result.details["keywords_mapped"] == 3
    assert -deductions(account)[0].amount == 1


def test_an_existing_cluster_name_is_reused(fake_openai, tenant):
    account, site = tenant.account, tenant.site
    existing = make_cluster(site=site, name="Solar Power")
    keywords = make_keywords(site=site, texts=[f"solar thing {n}" for n in range(5)])
    fake_openai.configure(
        respond_next=[
            {
                "clusters": [
                    {"name": "solar power", "description": "d", "keywords": [k.keyword for k in keywords]}
                ]
            }
        ]
    )
    result = cluster_all(account, site, keywords)
    assert result.created == 0
    assert Cluster.objects.filter(site=site).count() == 1
    assert Keyword.objects.filter(cluster=existing).count() == 5


def test_insufficient_credits_refuses_before_any_ai_call(fake_openai, db):
    tenant = make_account(credits=1)
    account, site = tenant.account, tenant.site
    keywords = make_keywords(site=site, texts=KEYWORDS)
    with pytest.raises(InsufficientCredits) as raised:
        cluster_all(account, site, keywords)
    assert (raised.value.required, raised.value.available) == (2, 1)
    assert fake_openai.requests == []


def test_ids_of_another_site_or_in_the_wrong_state_are_refused(fake_openai, tenant, other_tenant):
    account, site = tenant.account, tenant.site
    foreign = make_keywords(site=other_tenant.site, texts=KEYWORDS)
    with pytest.raises(ValidationFailed) as raised:
        cluster_all(account, site, foreign)
    assert raised.value.code == "invalid_ids"
    too_few = make_keywords(site=site, texts=["a", "b"])
    with pytest.raises(ValidationFailed) as raised:
        cluster_all(account, site, too_few)
    assert raised.value.code == "too_few_keywords"
    assert fake_openai.requests == []


def test_a_second_call_on_the_same_rows_writes_and_charges_nothing(fake_openai, tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    cluster_all(account, site, keywords)
    clusters = list(Cluster.objects.filter(site=site))
    run_function("generate_ideas", {"ids": [clusters[0].pk]}, account=account, site=site)
    with pytest.raises(ValidationFailed):
        run_function("generate_ideas", {"ids": [clusters[0].pk]}, account=account, site=site)
    assert len(deductions(account)) == 2


@pytest.mark.usefixtures("offline")
def test_rows_the_caller_has_just_read_are_not_read_again_and_one_taken_meanwhile_is_not_charged(
    tenant_with_keywords,
):
    """A run's batch comes with the rows its pending queue read: the commit is what checks them again."""
    account, site, keywords = tenant_with_keywords
    cluster_all(account, site, keywords)
    first, second = Cluster.objects.filter(site=site).order_by("pk")[:2]
    charged = len(deductions(account))
    with CaptureQueriesContext(connection) as queries:
        calls = function_start(
            "generate_ideas", {"ids": [second.pk, first.pk]}, account=account, site=site, rows=[second, first]
        )
    assert not [query for query in queries.captured_queries if 'FROM "planner_cluster"' in query["sql"]]
    assert [unit.ids for unit in calls.units] == [[first.pk], [second.pk]]
    run_function("generate_ideas", {"ids": [first.pk]}, account=account, site=site)  # taken meanwhile
    for unit in calls.units:
        calls.finish(calls.call(unit))
    assert (calls.result.processed, calls.result.skipped) == (1, 1)
    assert len(deductions(account)) == charged + 2
    assert ContentIdea.objects.filter(keyword_cluster=first).count() == 3


@pytest.mark.usefixtures("offline")
def test_every_function_runs_on_the_offline_provider(tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    cluster_all(account, site, keywords)
    cluster = Cluster.objects.filter(site=site).first()
    run_function("generate_ideas", {"ids": [cluster.pk]}, account=account, site=site)
    idea = ContentIdea.objects.filter(site=site).first()
    ideas_queue_to_writer(site=site, idea_ids=[idea.pk])
    task = Task.objects.get(idea=idea)
    run_function("generate_content", {"ids": [task.pk]}, account=account, site=site)
    content = Content.objects.get(task=task)
    run_function(
        "generate_image_prompts", {"ids": [content.pk], "images_per_content": 2}, account=account, site=site
    )
    images = list(Image.objects.filter(content=content))
    run_function("generate_images", {"ids": [i.pk for i in images]}, account=account, site=site)
    assert len(images) == 2
    assert set(Image.objects.filter(content=content).values_list("status", flat=True)) == {"generated"}
    assert set(AITaskLog.objects.values_list("function", "model").distinct()) == {
        ("auto_cluster", f"offline-{clustering_method_name()}"),
        ("generate_ideas", "offline"),
        ("generate_content", "offline"),
        ("generate_image_prompts", "offline"),
        ("generate_images", "offline"),
    }
    assert len(deductions(account)) == 6


@pytest.mark.usefixtures("offline")
def test_the_guard_comes_after_the_items_writes_and_only_the_charge_follows_it(tenant_with_keywords):
    """Concurrent commits of a run share its row and its account's row: those locks are taken last."""
    account, site, keywords = tenant_with_keywords
    guarded = []

    def guard(credits: int) -> None:
        guarded.append((credits, len(connection.queries)))

    with CaptureQueriesContext(connection) as queries:
        result = cluster_all(account, site, keywords, guard=guard)
    ((credits, before_guard),) = guarded
    assert credits == result.credits_used == 2
    written_before = " ".join(query["sql"] for query in queries.captured_queries[:before_guard])
    assert 'UPDATE "planner_keyword"' in written_before and 'INSERT INTO "ai_aitasklog"' in written_before
    after_guard = [query["sql"] for query in queries.captured_queries[before_guard:]]
    # (Inside the test's own transaction, the commit is the release of a savepoint.)
    (charge,) = [sql for sql in after_guard if not sql.startswith("RELEASE SAVEPOINT")]
    for written in (
        'UPDATE "tenancy_account"',
        'INSERT INTO "billing_credittransaction"',
        'INSERT INTO "billing_creditusagelog"',
    ):
        assert written in charge


@pytest.mark.usefixtures("offline")
def test_calls_priced_by_one_pricing_read_the_price_tables_once(tenant_with_keywords):
    account, site, keywords = tenant_with_keywords
    cluster_all(account, site, keywords)
    first, second = Cluster.objects.filter(site=site)[:2]
    pricing = Pricing.read("generate_ideas")
    run_function("generate_ideas", {"ids": [first.pk]}, account=account, site=site, pricing=pricing)
    with CaptureQueriesContext(connection) as queries:
        run_function("generate_ideas", {"ids": [second.pk]}, account=account, site=site, pricing=pricing)
    read = " ".join(query["sql"] for query in queries.captured_queries)
    assert "billing_creditcostconfig" not in read and "ai_modelprice" not in read
    assert ContentIdea.objects.filter(keyword_cluster__in=[first, second]).count() == 6
