"""The quality gate applied to stored articles: the text checks when stage 4 saves an article, the
full gate (links and images too) when stage 7 moves it to review.

A stored verdict carries its text's digest: while an article's text, brief and the site's voice are
unchanged, the gate keeps its text findings and checks again only its links and images.

An article below its site's `SiteKnowledge.quality_threshold` after its one regeneration (which
happens at stage 4, see `ai.functions`) is flagged for review, never held back: nothing is lost.
"""

from collections.abc import Iterable

from planner.models import SitePage
from planner.selectors import site_setting
from planner.voice import voice_prompt_for_site
from tenancy.models import Site
from writer.article_html import alt_text
from writer.models import Content, ImageStatus
from writer.quality import ArticleUnderReview, QualityReport, quality_report


def quality_threshold(*, site: Site) -> int:
    return site_setting(site=site, name="quality_threshold")


def live_urls(*, site_id: int, contents: Iterable[Content]) -> frozenset[str]:
    """The URLs `contents` link to that are inventory pages of the site which answered 200 when
    last checked (one query for all of them)."""
    urls = {link.get("url", "") for content in contents for link in content.links or []} - {""}
    if not urls:
        return frozenset()
    pages = SitePage.objects.filter(site_id=site_id, url__in=sorted(urls), http_status=200)
    return frozenset(pages.values_list("url", flat=True))


def article_under_review(
    content: Content, *, voice: dict | None, live: frozenset[str], with_images: bool
) -> ArticleUnderReview:
    task = content.task
    images = None
    if with_images:
        images = [
            alt_text(image.prompt) for image in content.images.all() if image.status == ImageStatus.GENERATED
        ]
    links = list(content.links or [])
    return ArticleUnderReview(
        title=content.title,
        content_html=content.content_html,
        meta_description=content.meta_description,
        target_words=task.word_count if task else None,
        brief=task.description if task else "",
        voice=voice,
        links=links,
        live_urls=live,
        image_alts=images,
    )


def content_text_quality(content: Content, *, site: Site, earlier: QualityReport | None = None) -> dict:
    """The text checks of an article before the gate (a new one at stage 4, whose images are not
    made yet, or a draft edited), to store with it.

    `earlier`: a report made before (on the answer the article is saved from, on the call's
    thread): when it was made on this very text, its text findings stand and only the links are
    checked against the site's live pages.
    """
    voice = voice_prompt_for_site(site=site)
    live = live_urls(site_id=site.pk, contents=[content])
    article = article_under_review(content, voice=voice, live=live, with_images=False)
    report = quality_report(article, earlier=earlier)
    return {**report.as_dict(), "checked": "text"}


def contents_gate(*, site: Site, contents: list[Content]) -> None:
    """Stage 7: the full gate on each of `contents` (locked by the caller), set on each (`quality`):
    those below the site's threshold are flagged. The caller stores it with their move to review."""
    voice = voice_prompt_for_site(site=site)
    threshold = quality_threshold(site=site)
    live = live_urls(site_id=site.pk, contents=contents)
    for content in contents:
        article = article_under_review(content, voice=voice, live=live, with_images=True)
        report = quality_report(article, earlier=QualityReport.stored(content.quality))
        content.quality = {
            **report.as_dict(),
            "checked": "full",
            "threshold": threshold,
            "flagged": report.score < threshold,
        }
