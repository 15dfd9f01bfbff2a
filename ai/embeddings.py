"""Vectors for texts of a site: keywords, inventory pages, ideas and articles.

With the openai provider they come from its embeddings endpoint (logged like any call, with its
tokens and cost; embeddings cost no credits). Offline, or when that call fails, the local model of
the `semantic` extra gives them (hashed words without the extra). Vectors are only comparable with
vectors of the same `model`: callers store it beside each vector they keep.
"""

import logging
import time

from django.conf import settings

from ai.errors import AIError
from ai.model_prices import ModelPrices
from ai.models import AITaskLog
from ai.providers import Embeddings, OfflineProvider, get_provider
from tenancy.models import Site

logger = logging.getLogger(__name__)


def embed_ahead(provider, texts: list[str]) -> Embeddings | None:
    """The provider's vectors for `texts`, without touching the database (on an AI call's thread).

    None when the call fails: `embed_texts` then tries again, logs it and falls back locally. The
    caller logs what it got with `embeddings_logged`.
    """
    if provider.name == "offline" or not texts:
        return OfflineProvider().embed(model="", texts=texts)
    started = time.monotonic()
    try:
        embeddings = provider.embed(model=settings.AI_MODELS["embeddings"], texts=texts)
    except AIError as error:
        logger.warning("embeddings ahead of the save failed (%s); they are made at the save", error)
        return None
    embeddings.duration_ms = int((time.monotonic() - started) * 1000)
    return embeddings


def embeddings_logged(
    embeddings: Embeddings,
    *,
    site: Site,
    function: str,
    automation_run_id: str = "",
    stage: int | None = None,
) -> Embeddings:
    """Log embeddings made ahead by `embed_ahead` (the offline model's are not logged, as elsewhere)."""
    provider = get_provider()
    if provider.name != "offline":
        AITaskLog.objects.create(
            account_id=site.account_id,
            site=site,
            function=function,
            provider=provider.name,
            automation_run_id=automation_run_id,
            stage=stage,
            items=[],
            status=AITaskLog.Status.SUCCESS,
            model=embeddings.model,
            tokens_in=embeddings.tokens_in,
            cost_usd=ModelPrices().cost(
                embeddings.model, tokens_in=embeddings.tokens_in, tokens_out=0, images=0
            ),
            duration_ms=embeddings.duration_ms,
        )
    return embeddings


def embed_texts(
    texts: list[str],
    *,
    site: Site,
    function: str,
    items: list[int] | None = None,
    automation_run_id: str = "",
    stage: int | None = None,
) -> Embeddings:
    """One unit vector per text; `function` names the purpose on the AI task log."""
    provider = get_provider()
    if provider.name == "offline" or not texts:
        return OfflineProvider().embed(model="", texts=texts)
    model = settings.AI_MODELS["embeddings"]
    started = time.monotonic()
    log = {
        "account_id": site.account_id,
        "site": site,
        "function": function,
        "provider": provider.name,
        "automation_run_id": automation_run_id,
        "stage": stage,
        "items": list(items or []),
    }
    try:
        embeddings = provider.embed(model=model, texts=texts)
    except AIError as error:
        logger.warning("%s: embeddings failed, computing them locally: %s", function, error)
        AITaskLog.objects.create(
            **log,
            status=AITaskLog.Status.FAILED,
            model=model,
            duration_ms=int((time.monotonic() - started) * 1000),
            error=str(error),
        )
        return OfflineProvider().embed(model="", texts=texts)
    AITaskLog.objects.create(
        **log,
        status=AITaskLog.Status.SUCCESS,
        model=embeddings.model,
        tokens_in=embeddings.tokens_in,
        cost_usd=ModelPrices().cost(embeddings.model, tokens_in=embeddings.tokens_in, tokens_out=0, images=0),
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    return embeddings
