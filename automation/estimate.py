"""What a run would do and cost, stage by stage, from the stages' pending queries."""

import math

from automation.models import AutomationConfig
from automation.stages import get_stage
from billing.models import OperationType
from billing.services import credits_cost
from tenancy.models import Site

# Projections for rows earlier stages will create during the run.
KEYWORDS_PER_CLUSTER = 5
IDEAS_PER_CLUSTER = 3
WORDS_PER_PROJECTED_ARTICLE = 1200


def _capped(count: int, cap: int | None) -> int:
    return min(count, cap) if cap else count


def estimate_run(*, site: Site, config: AutomationConfig) -> dict:
    """`{estimated_credits, stages: [{number, name, pending, projected_items, credits}]}`."""
    stages, total = [], 0

    def add(number: int, pending: int, projected: int, credits: int) -> None:
        nonlocal total
        total += credits
        stages.append(
            {
                "number": number,
                "name": get_stage(number).name,
                "pending": pending,
                "projected_items": projected,
                "credits": credits,
            }
        )

    pending = {number: get_stage(number).pending(site).count() for number in range(1, 8)}

    keywords = _capped(pending[1], config.max_keywords_per_run) if pending[1] >= 5 else 0
    add(1, pending[1], keywords, credits_cost(operation_type=OperationType.CLUSTERING, quantity=keywords))

    clusters = _capped(pending[2] + math.ceil(keywords / KEYWORDS_PER_CLUSTER), config.max_clusters_per_run)
    add(
        2, pending[2], clusters, credits_cost(operation_type=OperationType.IDEA_GENERATION, quantity=clusters)
    )

    new_ideas = clusters * IDEAS_PER_CLUSTER
    ideas = _capped(pending[3] + new_ideas, config.max_ideas_per_run)
    add(3, pending[3], ideas, 0)

    tasks = _capped(pending[4] + ideas, config.max_tasks_per_run)
    queued_words = list(get_stage(4).pending(site).values_list("word_count", flat=True)[:tasks])
    idea_words = list(get_stage(3).pending(site).values_list("estimated_word_count", flat=True)[:tasks])
    words = queued_words + idea_words
    words += [WORDS_PER_PROJECTED_ARTICLE] * max(0, tasks - len(words))
    content_credits = sum(
        credits_cost(operation_type=OperationType.CONTENT_GENERATION, quantity=w) for w in words[:tasks]
    )
    add(4, pending[4], tasks, content_credits)

    contents = _capped(pending[5] + tasks, config.max_content_per_run)
    add(
        5,
        pending[5],
        contents,
        credits_cost(operation_type=OperationType.IMAGE_PROMPT_EXTRACTION, quantity=1) * contents,
    )

    images = _capped(pending[6] + contents * config.images_per_content, config.max_images_per_run)
    add(6, pending[6], images, credits_cost(operation_type=OperationType.IMAGE_GENERATION, quantity=images))

    add(7, pending[7], pending[7] + contents, 0)
    if config.max_credits_per_run:
        total = min(total, config.max_credits_per_run)
    return {"estimated_credits": total, "stages": stages}
