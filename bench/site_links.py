"""Internal link precision on a labelled site (devtools/site_pages.py: 300 pages, six topics).

    .venv/bin/python bench/run.py site_links              # the figures at the shipped floor
    .venv/bin/python bench/run.py site_links --sweep      # precision and coverage for several floors

The site's pages go into the inventory as an import leaves them (http_status 200, or 404 for every
50th). Articles are written offline through stage 4's own path (`run_function("generate_content")`)
on each topic's subjects, those the site covers and its `spare_subjects` it does not. Half of them
are then published (a generated page with a URL, a sibling for the others) and the rest written;
finally the backfill runs on the published half with room for more links, where each article's own
page is a candidate it must never link to. A link is right when its target has the article's topic.
Targets: precision >= 0.9; no self-link; no link to a page that did not answer 200. The pages that
stage 4 would offer a model (the openai provider) are scored the same way: "offered" precision, which
is what the floor tunes (offline, the anchor rule alone keeps links on topic).
"""

import sys
import time
from collections import Counter

from ai import links as ai_links
from ai.engine import run_function
from ai.link_backfill import contents_add_links
from devtools.site_pages import TOPICS, SitePagesDataset
from planner.inventory import generated_page_publish
from planner.models import PageSource, SiteKnowledge, SitePage
from planner.services import IdeaFields, cluster_get_or_create, idea_create, keywords_assign
from tests.factories import make_account, make_keywords
from writer.models import Content
from writer.services import ideas_queue_to_writer

BASE = "https://client.example"
SWEEP = (0.2, 0.3, 0.4, 0.45, 0.5, 0.6)


def article_plan() -> list[tuple[str, str, list[str]]]:
    """(topic, title, keywords) of each article: two aspects of every subject, covered or not."""
    plan = []
    for topic in TOPICS:
        for number, subject in enumerate(topic.subjects + topic.spare_subjects):
            aspect = topic.aspects[number % len(topic.aspects)]
            title = f"{subject[:1].upper()}{subject[1:]}: What to Know About {aspect.title()}"
            plan.append((topic.name, title, [subject, f"{subject} {aspect}", aspect]))
    return plan


def import_pages(site, dataset: SitePagesDataset) -> None:
    SitePage.objects.bulk_create(
        SitePage(
            account=site.account,
            site=site,
            url=BASE + page.path,
            title=page.title,
            summary=page.summary,
            source=PageSource.SITEMAP,
            http_status=page.status,
        )
        for page in dataset.pages
    )


def write_articles(site, plan) -> dict[int, str]:
    """Stage 4 on the plan's articles; returns each article's topic by content id."""
    tasks = {}
    for topic, title, keywords in plan:
        cluster, _ = cluster_get_or_create(site=site, name=title)
        added = make_keywords(site=site, texts=keywords)
        keywords_assign(cluster=cluster, keyword_ids=[keyword.pk for keyword in added])
        idea = idea_create(
            cluster=cluster,
            fields=IdeaFields(title=title, estimated_word_count=700, keyword_ids=tuple(k.pk for k in added)),
        )
        (task,) = ideas_queue_to_writer(site=site, idea_ids=[idea.pk])
        tasks[task.pk] = topic
    ids = sorted(tasks)
    for start in range(0, len(ids), 20):
        run_function("generate_content", {"ids": ids[start : start + 20]}, account=site.account, site=site)
    return {content.pk: tasks[content.task_id] for content in Content.objects.filter(task_id__in=ids)}


def publish(site, topics: dict[int, str]) -> dict[str, str]:
    """The articles as published siblings; returns each one's URL by content id (as a str key)."""
    urls = {}
    for content_id in topics:
        urls[str(content_id)] = f"{BASE}/blog/article-{content_id}/"
        # Stage 4 made each article's inventory entry; publishing gives it its URL, as here.
        generated_page_publish(content_id=content_id, url=urls[str(content_id)])
    return urls


def score(topics: dict[int, str], dataset: SitePagesDataset, urls: dict[str, str], sibling_topics) -> dict:
    counts = Counter()
    for content in Content.objects.filter(pk__in=list(topics)):
        counts["articles"] += 1
        counts["linked articles"] += bool(content.links)
        for link in content.links:
            counts["links"] += 1
            url = link["url"]
            target = dataset.topic_of(url.removeprefix(BASE)) or sibling_topics.get(url, "")
            counts["right topic"] += target == topics[content.pk]
            counts["self"] += url == urls.get(str(content.pk))
            page = dataset.by_path(url.removeprefix(BASE))
            counts["dead"] += page is not None and page.status != 200
    return counts


def offered(site, topics: dict[int, str], dataset: SitePagesDataset, sibling_topics) -> Counter:
    """What stage 4 offers a model (the openai provider): the candidates of each article, by topic."""
    counts = Counter()
    for content in Content.objects.filter(pk__in=list(topics)):
        text = ai_links.article_text(title=content.title, primary_keyword=content.primary_keyword)
        limit = 3 * ai_links.CANDIDATES_PER_LINK
        for candidate in ai_links.link_candidates(site=site, text=text, limit=limit, content_id=content.pk):
            target = dataset.topic_of(candidate.url.removeprefix(BASE)) or sibling_topics.get(
                candidate.url, ""
            )
            counts["offered"] += 1
            counts["offered right"] += target == topics[content.pk]
    return counts


def measure(*, floor: float, verbose: bool) -> Counter:
    ai_links.LINK_FLOOR = floor  # a bench, not a test: the floor is what it sweeps
    dataset = SitePagesDataset()
    site = make_account(credits=10_000_000).site
    import_pages(site, dataset)
    plan = article_plan()
    first = write_articles(site, plan[0::2])
    urls = publish(site, first)
    sibling_topics = {urls[str(content_id)]: topic for content_id, topic in first.items()}
    second = write_articles(site, plan[1::2])
    SiteKnowledge.objects.create(account=site.account, site=site, links_per_article=5)
    contents_add_links(site=site, content_ids=list(first))
    counts = score({**first, **second}, dataset, urls, sibling_topics)
    counts.update(offered(site, {**first, **second}, dataset, sibling_topics))
    if verbose:
        for content in Content.objects.filter(site=site).order_by("pk")[:3]:
            print(f"   e.g. {content.title!r}: {content.links}")
    return counts


def line(floor: float, counts: Counter) -> str:
    links = counts["links"] or 1
    return (
        f"   floor {floor:.2f}: precision {counts['right topic'] / links:.3f} ({counts['right topic']}/"
        f"{counts['links']}), articles linked {counts['linked articles']}/{counts['articles']}, "
        f"links/article {counts['links'] / max(1, counts['articles']):.2f}, "
        f"self-links {counts['self']}, dead links {counts['dead']}; offered to a model: precision "
        f"{counts['offered right'] / max(1, counts['offered']):.3f} "
        f"({counts['offered right']}/{counts['offered']})"
    )


def main() -> None:
    floors = SWEEP if "--sweep" in sys.argv else (ai_links.LINK_FLOOR,)
    for floor in floors:
        started = time.perf_counter()
        counts = measure(floor=floor, verbose=len(floors) == 1)
        print(line(floor, counts) + f" ({time.perf_counter() - started:.0f} s)")
