"""The cannibalization guard of stage 2: ideas too close to what the site already has are held back.

Each new idea (title, description, keywords) is embedded with the model the inventory uses, then
compared by cosine with the site's inventory pages and generated articles (pages answering 4xx/5xx
are left out), with the earlier ideas of the site that have a vector of that model, and with the
ideas before it in the same answer. Pages are compared at the site's `duplicate_threshold`.
Ideas are compared with ideas at `max(duplicate_threshold, GUARD_IDEA_THRESHOLD)`: two ideas share
the model's outline words ("practical advice; common mistakes; a short FAQ"), so unrelated ideas
of one answer already score 0.75-0.87 with the offline model (docs/SITE-KNOWLEDGE.md).
Runs outside any transaction: it may embed (a provider call with the openai provider), unless the
AI call's thread already did.
"""

from dataclasses import dataclass

import numpy
from django.conf import settings

from ai import specs
from ai.embeddings import embed_texts, embeddings_logged
from ai.providers import Embeddings
from ai.site_pages import pages_with_vectors
from planner.models import ContentIdea, SitePage
from planner.selectors import site_setting
from tenancy.models import Site


@dataclass(frozen=True)
class Match:
    target: str  # the page URL, or the title of an earlier idea or unpublished article
    score: float


@dataclass(frozen=True)
class Checked:
    """One idea's verdict and vector (saved with the idea, so later ideas compare with it)."""

    match: Match | None
    vector: bytes
    model: str


def idea_text(*, title: str, description: str, keywords: list[str]) -> str:
    text = f"{title}. {description}".strip(". ")
    return f"{text}. Keywords: {', '.join(keywords)}." if keywords else text


def duplicate_threshold(*, site: Site) -> float:
    return site_setting(site=site, name="duplicate_threshold")


def _earlier_ideas(*, site: Site, model: str) -> tuple[list[str], numpy.ndarray]:
    rows = list(
        ContentIdea.objects.filter(site=site, embedding_model=model, embedding__isnull=False)
        .order_by("pk")
        .values_list("idea_title", "embedding")
    )
    if not rows:
        return [], numpy.zeros((0, 0), dtype=numpy.float32)
    return [title for title, _ in rows], numpy.vstack(
        [numpy.frombuffer(bytes(vector), dtype=numpy.float32) for _, vector in rows]
    )


def _best(scores: numpy.ndarray, targets: list[str], threshold: float) -> Match | None:
    if not len(targets):
        return None
    index = int(numpy.argmax(scores))
    return Match(targets[index], round(float(scores[index]), 4)) if scores[index] >= threshold else None


def judge(
    vectors: numpy.ndarray,
    *,
    titles: list[str],
    pages: tuple[list[str], numpy.ndarray],
    ideas: tuple[list[str], numpy.ndarray],
    page_threshold: float,
    idea_threshold: float,
) -> list[Match | None]:
    """Each idea vector's closest match over its threshold: pages, earlier ideas, ideas before it."""
    verdicts = []
    for position, vector in enumerate(vectors):
        candidates = [
            _best(pages[1] @ vector, pages[0], page_threshold) if pages[0] else None,
            _best(ideas[1] @ vector, ideas[0], idea_threshold) if ideas[0] else None,
            _best(vectors[:position] @ vector, titles[:position], idea_threshold) if position else None,
        ]
        found = [match for match in candidates if match is not None]
        verdicts.append(max(found, key=lambda match: match.score) if found else None)
    return verdicts


def ideas_check(
    texts: list[str],
    *,
    titles: list[str],
    site: Site,
    embedded: Embeddings | None = None,
    automation_run_id: str = "",
    stage: int | None = None,
) -> list[Checked]:
    """A verdict per idea (its text for the vector, its title to name it), in order.

    `embedded`: the texts' vectors made ahead on the AI call's thread (logged here); without them
    the texts are embedded now.
    """
    if not texts:
        return []
    log = {"site": site, "function": "guard_ideas", "automation_run_id": automation_run_id, "stage": stage}
    if embedded is not None and len(embedded.vectors) == len(texts):
        embedded = embeddings_logged(embedded, **log)
    else:
        embedded = embed_texts(texts, **log)
    model = embedded.model
    vectors = numpy.asarray(embedded.vectors, dtype=numpy.float32)
    page_threshold = duplicate_threshold(site=site)
    live = SitePage.objects.filter(site=site).exclude(http_status__gte=400)
    pages, page_matrix = pages_with_vectors(
        live, site=site, model=model, automation_run_id=automation_run_id, stage=stage
    )
    verdicts = judge(
        vectors,
        titles=titles,
        pages=([page.url or page.title for page in pages], page_matrix),
        ideas=_earlier_ideas(site=site, model=model),
        page_threshold=page_threshold,
        idea_threshold=max(page_threshold, settings.GUARD_IDEA_THRESHOLD),
    )
    return [
        Checked(match=match, vector=vector.tobytes(), model=model)
        for match, vector in zip(verdicts, vectors, strict=True)
    ]


def _idea_texts(ideas) -> list[str]:
    return [
        idea_text(title=idea.title, description=idea.description, keywords=list(idea.covered_keywords))
        for idea in ideas
    ]


def answer_idea_texts(data: dict, unit) -> list[str]:
    """generate_ideas' `embed_answer`: the texts of the answer's ideas, embedded on the call's thread."""
    return _idea_texts(specs.read_ideas(data, count=unit.input["count"]))


def answer_ideas_check(answer, *, site, options, automation_run_id, stage) -> list[Checked]:
    """generate_ideas' `before_save`: a verdict on each idea of the answer, before the save's transaction."""
    ideas = specs.read_ideas(answer.data, count=options["count"])
    return ideas_check(
        _idea_texts(ideas),
        titles=[idea.title for idea in ideas],
        site=site,
        embedded=answer.embedded,
        automation_run_id=automation_run_id,
        stage=stage,
    )
