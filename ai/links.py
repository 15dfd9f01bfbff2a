"""Which pages of its site an article should link to: the inventory and sibling articles, ranked.

A page is a candidate when it has a URL and answered 200 when last checked (a generated article of
the site, once published, counts until a check says otherwise); the article itself never is. The
candidates are ranked by the cosine of their vectors with the article's (title and primary keyword),
the ones under `LINK_FLOOR` dropped. Embedding makes provider calls: never inside a
transaction.
"""

import numpy
from django.db.models import Q

from ai.embeddings import embed_texts
from ai.linking import Candidate, Linked, check_links
from ai.site_pages import pages_with_vectors
from planner.models import PageSource, SitePage
from planner.selectors import site_setting
from tenancy.models import Site
from writer.models import Content, Task

# Below this cosine a page is not about the article's subject (tuned on bench/site_links.py's site).
LINK_FLOOR = 0.45
# The insertion is offered more pages than it may link: a page with no anchor in the text gives way.
CANDIDATES_PER_LINK = 2


def links_per_article(*, site: Site) -> int:
    return site_setting(site=site, name="links_per_article")


def linkable_pages(*, site: Site, content_id: int | None = None, url: str = ""):
    """The site's pages an article may link to: with a URL, answering 200, not the article itself."""
    pages = SitePage.objects.filter(site=site).exclude(url="")
    pages = pages.filter(Q(http_status=200) | Q(source=PageSource.GENERATED, http_status__isnull=True))
    if content_id is not None:
        pages = pages.exclude(content_id=content_id)
    if url:
        pages = pages.exclude(url=url)
    return pages.order_by("pk")


def link_candidates(
    *,
    site: Site,
    text: str,
    limit: int,
    content_id: int | None = None,
    url: str = "",
    automation_run_id: str = "",
    stage: int | None = None,
) -> list[Candidate]:
    """Up to `limit` pages for an article about `text`, best first, each above the floor."""
    pages = linkable_pages(site=site, content_id=content_id, url=url)
    if limit <= 0 or not text.strip() or not pages.exists():
        return []
    embedded = embed_texts(
        [text], site=site, function="embed_link_query", automation_run_id=automation_run_id, stage=stage
    )
    pages, matrix = pages_with_vectors(
        pages, site=site, model=embedded.model, automation_run_id=automation_run_id, stage=stage
    )
    if not pages:
        return []
    scores = matrix @ numpy.asarray(embedded.vectors[0], dtype=numpy.float32)
    ranked = sorted(
        (index for index in range(len(pages)) if scores[index] >= LINK_FLOOR),
        key=lambda index: (-scores[index], pages[index].pk),
    )
    return [
        Candidate(url=pages[index].url, title=pages[index].title, score=round(float(scores[index]), 4))
        for index in ranked[:limit]
    ]


def article_text(*, title: str, primary_keyword: str) -> str:
    """What an article is about, as its vector is made from.

    Not its brief: an outline's many generic words pull every vector towards every page's.
    """
    return ". ".join(part.strip() for part in (title, primary_keyword) if part.strip())


def links_input(candidates: list[Candidate], *, max_links: int) -> dict:
    """The generate_content input's part about links (empty when there is nothing to link to)."""
    if not candidates or max_links <= 0:
        return {}
    return {
        "internal_links": {
            "max_links": max_links,
            "candidates": [{"url": candidate.url, "title": candidate.title} for candidate in candidates],
        }
    }


def task_links_input(
    task: Task, *, site: Site, primary_keyword: str, automation_run_id: str = "", stage: int | None = None
) -> dict:
    """The pages offered to the article a task is about to get (its earlier content, if any, left out);
    the embeddings this takes are logged under the run and stage given."""
    max_links = links_per_article(site=site)
    if max_links <= 0 or not linkable_pages(site=site).exists():
        return {}
    earlier = Content.objects.filter(task=task).values_list("pk", flat=True).first()
    candidates = link_candidates(
        site=site,
        text=article_text(title=task.title, primary_keyword=primary_keyword),
        limit=max_links * CANDIDATES_PER_LINK,
        content_id=earlier,
        automation_run_id=automation_run_id,
        stage=stage,
    )
    return links_input(candidates, max_links=max_links)


def checked_links(content_html: str, asked: dict) -> Linked:
    """The answer's links to the pages `asked` offered, up to its max; every other link unwrapped."""
    offer = asked.get("internal_links") or {}
    urls = [candidate["url"] for candidate in offer.get("candidates", [])]
    return check_links(content_html, urls, max_links=offer.get("max_links", 0))
