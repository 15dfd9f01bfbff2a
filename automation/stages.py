"""The seven stages of a run, one object each: the only definition of each stage's pending query.

A stage says what it selects (a selector of the app that owns the rows), how it processes a batch
(an AI function through the engine, or a local service), how its outcomes count in its result,
and how it projects the estimate. The run loop and the estimate are generic over `STAGES`.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from django.db import models, transaction
from django.db.models import Count, FloatField, QuerySet, Sum
from django.db.models.functions import Cast, Ceil

from ai.calls import Budget, CallOutcome, FunctionCalls, FunctionResult
from ai.engine import function_start
from ai.functions import Unit, get_function
from ai.pricing import Pricing
from ai.similarity import keywords_in_similarity_order
from automation import sql as automation_sql
from automation.models import AutomationConfig
from billing.selectors import CreditCostTable
from planner.models import Cluster, ContentIdea, Keyword
from planner.selectors import clusters_ready_for_ideas, ideas_ready_for_tasks, keywords_ready_to_cluster
from tenancy.models import Site
from writer.models import Content, Image, Task
from writer.selectors import (
    contents_ready_for_image_prompts,
    contents_ready_for_review,
    images_ready_to_generate,
    tasks_ready_for_content,
)
from writer.services import contents_move_to_review, ideas_queue_to_writer

# Projections for rows earlier stages will create during the run.
KEYWORDS_PER_CLUSTER = 5
IDEAS_PER_CLUSTER = 3
WORDS_PER_PROJECTED_ARTICLE = 1200


@dataclass(frozen=True)
class Batch:
    """What a stage needs to process one batch of a run."""

    site: Site
    ids: list[int]
    options: dict
    run_id: str
    stage: int
    # Inside the batch's transaction: guard(credits) raises when the executor lost the run, or when
    # the credits would pass the run's cap; otherwise it counts them against the run.
    guard: Callable[[int], None]
    budget: Budget | None = None  # what the run may still spend
    pricing: Pricing | None = None  # credit costs and model prices, read once for the stage
    rows: list | None = None  # the rows of `ids` as the stage's pending query has just read them


class AIBatch:
    """An AI stage's batch as the engine runs it (an `igny8.concurrency.Job`).

    Prepared on a database thread (validation and the credit check), then each unit's provider
    call, then each answer committed with its charge, as `ai.engine.run_function` does.
    """

    def __init__(self, function_name: str, batch: Batch):
        self.function_name, self.batch = function_name, batch
        self.calls: FunctionCalls | None = None

    def prepare(self) -> list[Unit]:
        self.calls = function_start(self.function_name, **_function_arguments(self.batch))
        return self.calls.units

    def call(self, unit: Unit) -> CallOutcome:
        return self.calls.call(unit)

    def commit(self, answer: CallOutcome) -> None:
        self.calls.finish(answer)

    def discard(self, answer: CallOutcome) -> None:
        self.calls.discard(answer)

    def result(self) -> FunctionResult:
        return self.calls.result


class LocalBatch:
    """A local stage's batch: one transaction, after the executor's guard, in `prepare`; no calls."""

    def __init__(self, service: Callable[..., int], name: str, batch: Batch):
        self.service, self.name, self.batch = service, name, batch
        self.outcome: FunctionResult | None = None

    def prepare(self) -> list:
        with transaction.atomic():
            self.batch.guard(0)
            done = self.service(site=self.batch.site, ids=self.batch.ids)
        self.outcome = FunctionResult(
            function=self.name, requested=len(self.batch.ids), processed=done, created=done
        )
        return []

    def call(self, unit):
        raise NotImplementedError("a local batch makes no calls")

    commit = discard = call

    def result(self) -> FunctionResult:
        return self.outcome


def ai_step(function_name: str) -> Callable[[Batch], AIBatch]:
    return lambda batch: AIBatch(function_name, batch)


def local_step(service: Callable[..., int], name: str) -> Callable[[Batch], LocalBatch]:
    return lambda batch: LocalBatch(service, name, batch)


def _function_arguments(batch: Batch) -> dict:
    return {
        "payload": {"ids": batch.ids, **batch.options},
        "account": batch.site.account,
        "site": batch.site,
        "automation_run_id": batch.run_id,
        "stage": batch.stage,
        "guard": batch.guard,
        "budget": batch.budget,
        "pricing": batch.pricing,
        "rows": batch.rows,
    }


def count_processed(result: dict, outcome: FunctionResult, stage: "Stage") -> None:
    result[stage.processed_key] += outcome.processed


def count_clustered(result: dict, outcome: FunctionResult, stage: "Stage") -> None:
    result["batches_run"] += 1
    result[stage.processed_key] += outcome.details.get("keywords_mapped", 0)


def count_ideas(result: dict, outcome: FunctionResult, stage: "Stage") -> None:
    result[stage.processed_key] += outcome.processed
    result["ideas_held_back"] += outcome.details.get("ideas_held_back", 0)


def count_words(result: dict, outcome: FunctionResult, stage: "Stage") -> None:
    result[stage.processed_key] += outcome.processed
    result["total_words"] += outcome.details.get("words", 0)
    # Articles the quality gate had written once more (each still counts once as processed).
    result["regenerated"] = result.get("regenerated", 0) + outcome.details.get("regenerated", 0)


def count_images(result: dict, outcome: FunctionResult, stage: "Stage") -> None:
    # A failed image is processed too: it is final, and the article goes to review without it.
    result[stage.processed_key] += outcome.processed + outcome.failed
    result["images_failed"] += outcome.failed


@dataclass(frozen=True, kw_only=True)
class Stage:
    number: int
    name: str
    type: str  # "AI", "Local" or "Manual", as the pipeline overview shows it
    model: type[models.Model]
    selects: Callable[..., QuerySet]  # the owning app's selector, called as selects(site=site)
    start: Callable[[Batch], AIBatch | LocalBatch]  # the batch as a job for igny8.concurrency
    processed_key: str
    created_key: str | None = None
    extra_result_keys: tuple[str, ...] = ()
    tally: Callable[[dict, FunctionResult, "Stage"], None] = count_processed
    cap_field: str | None = None
    skips_disabled: bool = False
    has_batch_size: bool = True  # False: the whole queue in one step
    function_name: str | None = None
    options: Callable[[AutomationConfig], dict] = lambda config: {}
    # The estimate: items this stage would process given what earlier stages project, and their cost.
    project: Callable[..., int] = lambda *, pending, earlier, config: pending
    credits: Callable[..., int] | None = None
    # Reorders a page of pending rows before batches are cut from it (rows, *, site, run_id, stage).
    arrange: Callable[..., list] | None = None

    def pending(self, site: Site) -> QuerySet:
        """Rows this stage would work on now, oldest first."""
        rows = self.selects(site=site)
        if self.skips_disabled:
            rows = rows.filter(disabled=False)
        return rows.order_by("pk")

    @property
    def min_batch(self) -> int:
        return get_function(self.function_name).min_items if self.function_name else 1

    @property
    def items_name(self) -> str:
        return get_function(self.function_name).items_name if self.function_name else "items"

    def batch_size(self, config: AutomationConfig) -> int | None:
        return config.batch_size(self.number) if self.has_batch_size else None

    def cap(self, config: AutomationConfig) -> int | None:
        return getattr(config, self.cap_field) if self.cap_field else None

    def estimate_credits(
        self, *, site: Site, items: int, config: AutomationConfig, costs: CreditCostTable
    ) -> int:
        if self.credits is not None:
            return self.credits(site=site, items=items, config=config, costs=costs)
        if self.function_name is None:
            return 0
        return costs.cost(get_function(self.function_name).operation_type, items)

    def status_counts(self, site: Site) -> tuple[dict[str, int], int]:
        """The site's rows of this stage's model by status, and how many are pending.

        One pass over the table: the pending rows are counted in the same scan, filtered by the
        pending query's own condition, so a large table is read once and the pending rule keeps
        its single definition. A condition that needs a join is counted by its own query instead.
        """
        pending = self.pending(site)
        rows = self.model.objects.filter(site=site).values("status").order_by("status")
        condition = automation_sql.row_filter(pending)
        if condition is None:
            by_status = {row["status"]: row["n"] for row in rows.annotate(n=Count("pk"))}
            return by_status, pending.count()
        # Counting `site` (not `pk`) lets PostgreSQL answer from the (site, status, ...) indexes alone.
        rows = rows.annotate(n=Count("site"), pending=Count("site", filter=condition))
        by_status, total_pending = {}, 0
        for row in rows:
            by_status[row["status"]] = row["n"]
            total_pending += row["pending"]
        return by_status, total_pending

    def label(self, item) -> str:
        for attribute in ("keyword", "name", "idea_title", "title"):
            if hasattr(item, attribute):
                return str(getattr(item, attribute))
        if isinstance(item, Image):
            return f"{item.image_type} image #{item.position} of content {item.content_id}"
        return str(item)

    def empty_result(self) -> dict:
        result = {self.processed_key: 0}
        if self.created_key:
            result[self.created_key] = 0
        result.update({"credits_used": 0, "time_elapsed": "00:00:00", "errors": 0})
        result.update(dict.fromkeys(self.extra_result_keys, 0))
        return result


def _content_credits(*, site: Site, items: int, config: AutomationConfig, costs: CreditCostTable) -> int:
    """Words of the queued tasks, then of the new ideas, then a typical article for the rest.

    Each article is priced on its own (credits per started block of words), summed in SQL over the
    first `items` rows: two queries whatever the queue's length.
    """
    rate = costs.rate(get_function("generate_content").operation_type)
    total, counted = 0, 0
    for rows, field in (
        (tasks_ready_for_content(site=site), "word_count"),
        (ideas_ready_for_tasks(site=site), "estimated_word_count"),
    ):
        if counted >= items:
            break
        first = rows.order_by("pk").values("pk")[: items - counted]
        blocks = Ceil(Cast(field, FloatField()) / rate.per_quantity)
        sums = rows.model.objects.filter(pk__in=first).aggregate(blocks=Sum(blocks), rows=Count("pk"))
        total += rate.credits * int(sums["blocks"] or 0)
        counted += sums["rows"]
    return total + rate.cost(WORDS_PER_PROJECTED_ARTICLE) * (items - counted)


def _prompt_credits(*, site: Site, items: int, config: AutomationConfig, costs: CreditCostTable) -> int:
    return costs.cost(get_function("generate_image_prompts").operation_type, 1) * items


STAGES: tuple[Stage, ...] = (
    Stage(
        number=1,
        name="Keywords → Clusters",
        type="AI",
        model=Keyword,
        selects=keywords_ready_to_cluster,
        function_name="auto_cluster",
        start=ai_step("auto_cluster"),
        processed_key="keywords_processed",
        created_key="clusters_created",
        extra_result_keys=("batches_run",),
        tally=count_clustered,
        cap_field="max_keywords_per_run",
        skips_disabled=True,
        # One topic in one call: the model names each topic once instead of once per batch.
        arrange=lambda rows, *, site, run_id, stage: keywords_in_similarity_order(
            rows, site=site, automation_run_id=run_id, stage=stage
        ),
    ),
    Stage(
        number=2,
        name="Clusters → Ideas",
        type="AI",
        model=Cluster,
        selects=clusters_ready_for_ideas,
        function_name="generate_ideas",
        start=ai_step("generate_ideas"),
        processed_key="clusters_processed",
        created_key="ideas_created",
        # Ideas the cannibalization guard saved as `duplicate` (counted in ideas_created too).
        extra_result_keys=("ideas_held_back",),
        tally=count_ideas,
        cap_field="max_clusters_per_run",
        skips_disabled=True,
        project=lambda *, pending, earlier, config: pending + math.ceil(earlier[1] / KEYWORDS_PER_CLUSTER),
    ),
    Stage(
        number=3,
        name="Ideas → Tasks",
        type="Local",
        model=ContentIdea,
        selects=ideas_ready_for_tasks,
        start=local_step(
            lambda *, site, ids: len(ideas_queue_to_writer(site=site, idea_ids=ids)), "queue_to_writer"
        ),
        processed_key="ideas_processed",
        created_key="tasks_created",
        cap_field="max_ideas_per_run",
        skips_disabled=True,
        project=lambda *, pending, earlier, config: pending + earlier[2] * IDEAS_PER_CLUSTER,
    ),
    Stage(
        number=4,
        name="Tasks → Content",
        type="AI",
        model=Task,
        selects=tasks_ready_for_content,
        function_name="generate_content",
        start=ai_step("generate_content"),
        processed_key="tasks_processed",
        created_key="content_created",
        extra_result_keys=("total_words", "regenerated"),
        tally=count_words,
        cap_field="max_tasks_per_run",
        project=lambda *, pending, earlier, config: pending + earlier[3],
        credits=_content_credits,
    ),
    Stage(
        number=5,
        name="Content → Image prompts",
        type="AI",
        model=Content,
        selects=contents_ready_for_image_prompts,
        function_name="generate_image_prompts",
        start=ai_step("generate_image_prompts"),
        processed_key="content_processed",
        created_key="prompts_created",
        cap_field="max_content_per_run",
        options=lambda config: {"images_per_content": config.images_per_content},
        project=lambda *, pending, earlier, config: pending + earlier[4],
        credits=_prompt_credits,
    ),
    Stage(
        number=6,
        name="Image prompts → Images",
        type="AI",
        model=Image,
        selects=images_ready_to_generate,
        function_name="generate_images",
        start=ai_step("generate_images"),
        processed_key="images_processed",
        created_key="images_generated",
        extra_result_keys=("images_failed",),
        tally=count_images,
        cap_field="max_images_per_run",
        project=lambda *, pending, earlier, config: pending + earlier[5] * config.images_per_content,
    ),
    Stage(
        number=7,
        name="Review gate",
        type="Manual",
        model=Content,
        selects=contents_ready_for_review,
        start=local_step(
            lambda *, site, ids: contents_move_to_review(site=site, content_ids=ids), "review_gate"
        ),
        processed_key="ready_for_review",
        has_batch_size=False,
        project=lambda *, pending, earlier, config: pending + earlier[5],
    ),
)


def get_stage(number: int) -> Stage:
    return STAGES[number - 1]
