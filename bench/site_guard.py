"""Cannibalization guard harness (not a test): planted near-duplicate and distinct ideas on the labelled site.

    .venv/bin/python -m bench.site_guard            # figures at the default thresholds
    .venv/bin/python -m bench.site_guard --sweep    # the page-threshold curve the default was tuned on

The site is devtools/site_pages.py (300 pages, six topics). Planted near-duplicates reword a covered
subject the way a model would title an idea (the site already has five pages on it); distinct ideas
use the same wordings on each topic's spare subjects, which no page covers. Every idea carries a
description shaped like the offline provider's. Each planted idea is judged alone against the
inventory (ai.guard.judge), then all of them as one stream of earlier ideas. docs/SITE-KNOWLEDGE.md
records the figures.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")

import django  # noqa: E402

django.setup()

import numpy  # noqa: E402
from django.conf import settings  # noqa: E402

from ai.guard import idea_text, judge  # noqa: E402
from ai.providers import OfflineProvider  # noqa: E402
from ai.site_pages import page_text  # noqa: E402
from devtools.site_pages import TOPICS, SitePagesDataset, capitalized  # noqa: E402
from planner.models import SiteKnowledge, SitePage  # noqa: E402

REWORDINGS = (
    "{Subject} for beginners: where to start",
    "Avoid these errors with {subject}",
    "Cheap ways to get into {subject}",
    "Fixing common problems with {subject}",
    "How {subject} works, one step at a time",
)
EMPTY = ([], numpy.zeros((0, 0), dtype=numpy.float32))


def planted(subjects: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(title, guard text) per subject and wording, described like the offline provider's ideas."""
    ideas = []
    for topic, subject in subjects:
        for wording in REWORDINGS:
            title = wording.format(Subject=capitalized(subject), subject=subject)
            description = (
                f"Outline: what {subject} means for readers interested in {topic}; key points on {subject}; "
                "practical advice; common mistakes; a short FAQ."
            )
            ideas.append((title, idea_text(title=title, description=description, keywords=[subject])))
    return ideas


def embed(texts: list[str]) -> numpy.ndarray:
    return numpy.asarray(OfflineProvider().embed(model="", texts=texts).vectors, dtype=numpy.float32)


def held(ideas, vectors, pages, *, page_threshold, idea_threshold, stream: bool) -> int:
    """How many ideas are held back: each alone against the pages, or as one answer in order."""
    if stream:
        verdicts = judge(
            vectors,
            titles=[title for title, _ in ideas],
            pages=pages,
            ideas=EMPTY,
            page_threshold=page_threshold,
            idea_threshold=idea_threshold,
        )
    else:
        verdicts = [
            judge(
                vectors[i : i + 1],
                titles=[ideas[i][0]],
                pages=pages,
                ideas=EMPTY,
                page_threshold=page_threshold,
                idea_threshold=idea_threshold,
            )[0]
            for i in range(len(ideas))
        ]
    return sum(verdict is not None for verdict in verdicts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sweep", action="store_true")
    arguments = parser.parse_args()
    dataset = SitePagesDataset()
    started = time.monotonic()
    live = dataset.live_pages
    page_matrix = embed([page_text(SitePage(title=page.title, summary=page.summary)) for page in live])
    pages = ([page.path for page in live], page_matrix)
    duplicates = planted([(topic.name, subject) for topic in TOPICS for subject in topic.subjects])
    distinct = planted([(topic.name, subject) for topic in TOPICS for subject in topic.spare_subjects])
    duplicate_vectors, distinct_vectors = embed([t for _, t in duplicates]), embed([t for _, t in distinct])
    model = OfflineProvider().embed(model="", texts=["x"]).model
    print(
        f"{len(live)} live pages, {len(duplicates)} planted near-duplicates, {len(distinct)} distinct ideas; "
        f"model {model}; embedded in {time.monotonic() - started:.1f}s"
    )
    default = SiteKnowledge._meta.get_field("duplicate_threshold").default
    thresholds = [round(0.50 + 0.02 * step, 2) for step in range(21)] if arguments.sweep else [default]
    # One answer of 24 different new subjects (wordings rotated); and the five wordings of each new
    # subject as one answer, where all but the first repeat an idea of the same answer.
    one_answer = [index * len(REWORDINGS) + index % len(REWORDINGS) for index in range(len(distinct) // 5)]
    answer_ideas, answer_vectors = [distinct[i] for i in one_answer], distinct_vectors[one_answer]
    print(
        "page_threshold  idea_threshold  held_back(dup)  passed(distinct)  passed(one answer)  repeats_held"
    )
    for threshold in thresholds:
        idea_threshold = max(threshold, settings.GUARD_IDEA_THRESHOLD)
        options = {"page_threshold": threshold, "idea_threshold": idea_threshold}
        held_duplicates = held(duplicates, duplicate_vectors, pages, stream=False, **options)
        held_distinct = held(distinct, distinct_vectors, pages, stream=False, **options)
        held_answer = held(answer_ideas, answer_vectors, pages, stream=True, **options)
        repeats = sum(
            held(
                distinct[start : start + 5],
                distinct_vectors[start : start + 5],
                EMPTY,
                stream=True,
                **options,
            )
            for start in range(0, len(distinct), 5)
        )
        print(
            f"{threshold:14.2f}  {idea_threshold:14.2f}  {held_duplicates / len(duplicates):14.1%}  "
            f"{1 - held_distinct / len(distinct):16.1%}  {1 - held_answer / len(answer_ideas):18.1%}  "
            f"{repeats / (len(distinct) * 4 / 5):12.1%}"
        )
    scores = lambda vectors: (vectors @ page_matrix.T).max(axis=1)  # noqa: E731
    for name, vectors in (("near-duplicates", duplicate_vectors), ("distinct", distinct_vectors)):
        low, median, high = numpy.percentile(scores(vectors), [5, 50, 95])
        print(f"best page score of {name}: p5 {low:.3f}  median {median:.3f}  p95 {high:.3f}")


if __name__ == "__main__":
    main()
