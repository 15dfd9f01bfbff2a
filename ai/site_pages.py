"""The site's inventory pages as vectors, for the cannibalization guard and internal links."""

import logging

import numpy
from django.db.models import QuerySet

from ai.embeddings import embed_texts
from planner.models import SitePage
from tenancy.models import Site

logger = logging.getLogger(__name__)


def page_text(page: SitePage) -> str:
    return f"{page.title}. {page.summary}".strip(". ") or page.url


def vector_of(page: SitePage) -> numpy.ndarray:
    return numpy.frombuffer(bytes(page.embedding), dtype=numpy.float32)


def pages_with_vectors(
    pages: QuerySet, *, site: Site, model: str, automation_run_id: str = "", stage: int | None = None
) -> tuple[list[SitePage], numpy.ndarray]:
    """`pages` with a unit vector of `model` each, as a (pages, matrix) pair in the same order.

    Pages without a vector of `model` are embedded now and their vectors saved. When the embedding
    falls back to another model (the provider failed), those pages are left out this time.
    """
    pages = list(pages)
    stale = [page for page in pages if page.embedding is None or page.embedding_model != model]
    if stale:
        embedded = embed_texts(
            [page_text(page) for page in stale],
            site=site,
            function="embed_site_pages",
            items=[page.pk for page in stale],
            automation_run_id=automation_run_id,
            stage=stage,
        )
        if embedded.model != model:
            logger.warning(
                "site %s: pages embedded with %s, not %s; left out", site.pk, embedded.model, model
            )
            pages = [page for page in pages if page not in stale]
        else:
            for page, vector in zip(stale, embedded.vectors, strict=True):
                page.embedding = numpy.asarray(vector, dtype=numpy.float32).tobytes()
                page.embedding_model = model
            SitePage.objects.bulk_update(stale, ["embedding", "embedding_model"])
    if not pages:
        return [], numpy.zeros((0, 0), dtype=numpy.float32)
    return pages, numpy.vstack([vector_of(page) for page in pages])
