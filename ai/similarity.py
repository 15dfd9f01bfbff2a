"""Keywords reordered so alike ones sit together, for cutting clustering batches."""

import logging
import time

from django.conf import settings

from ai import clustering
from ai.errors import AIError
from ai.models import AITaskLog
from ai.pricing import ModelPrices
from ai.providers import get_provider
from tenancy.models import Site

logger = logging.getLogger(__name__)


def keywords_in_similarity_order(
    keywords: list, *, site: Site, automation_run_id: str = "", stage: int | None = None
) -> list:
    """`keywords` reordered so alike ones sit next to each other, for cutting clustering batches.

    With the openai provider the vectors come from its embeddings endpoint (logged like any call,
    with its tokens and cost; it costs no credits). Without them, or when that call fails, the
    local model of the `semantic` extra or lexical similarity orders them.
    """
    if len(keywords) < 2:
        return list(keywords)
    texts = [keyword.keyword for keyword in keywords]
    vectors = None
    provider = get_provider()
    if provider.name != "offline":
        model = settings.AI_MODELS["embeddings"]
        started = time.monotonic()
        log = {
            "account_id": site.account_id,
            "site": site,
            "function": "embed_keywords",
            "provider": provider.name,
            "automation_run_id": automation_run_id,
            "stage": stage,
            "items": [keyword.pk for keyword in keywords],
        }
        try:
            embeddings = provider.embed(model=model, texts=texts)
        except AIError as error:
            logger.warning("keyword embeddings failed, ordering them locally: %s", error)
            AITaskLog.objects.create(
                **log,
                status=AITaskLog.Status.FAILED,
                model=model,
                duration_ms=int((time.monotonic() - started) * 1000),
                error=str(error),
            )
        else:
            vectors = embeddings.vectors
            AITaskLog.objects.create(
                **log,
                status=AITaskLog.Status.SUCCESS,
                model=embeddings.model,
                tokens_in=embeddings.tokens_in,
                cost_usd=ModelPrices().cost(
                    embeddings.model, tokens_in=embeddings.tokens_in, tokens_out=0, images=0
                ),
                duration_ms=int((time.monotonic() - started) * 1000),
            )
    return [keywords[index] for index in clustering.order_by_similarity(texts, vectors)]
