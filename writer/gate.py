"""The quality gate applied to stored articles: the text checks when stage 4 saves an article, the
full gate (links and images too) when stage 7 moves it to review.

An article below its site's `SiteKnowledge.quality_threshold` after its one regeneration (which
happens at stage 4, see `ai.functions`) is flagged for review, never held back: nothing is lost.
"""

from collections.abc import Iterable

from planner.models import SiteKnowledge, SitePage
from planner.voice import voice_prompt_for_site
from tenancy.models import Site
from writer.article_html import alt_text
from writer.models import Content, ImageStatus
from writer.quality import ArticleUnderReview, quality_report

DEFAULT_QUALITY_THRESHOLD = SiteKnowledge._meta.get_field("quality_threshold").default


def quality_threshold(*, site_id: int) -> int:
    found = SiteKnowledge.objects.filter(site_id=site_id).values_list("quality_threshold", flat=True).first()
    return DEFAULT_QUALITY_THRESHOLD if found is None else found


def live_urls(*, site_id: int, urls: Iterable[str]) -> frozenset[str]:
    """Those of `urls` that are inventory pages of the site which answered 200 when last checked."""
    urls = [url for url in urls if url]
    if not urls:
        return frozenset()
    pages = SitePage.objects.filter(site_id=site_id, url__in=urls, http_status=200)
    return frozenset(pages.values_list("url", flat=True))


def article_under_review(content: Content, *, voice: dict | None, with_images: bool) -> ArticleUnderReview:
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
        live_urls=live_urls(site_id=content.site_id, urls=[link.get("url", "") for link in links]),
        image_alts=images,
    )


def content_check_text(*, content: Content) -> Content:
    """Stage 4: the text checks of a newly saved article, stored on it (images are not made yet)."""
    voice = voice_prompt_for_site(site=content.site)
    report = quality_report(article_under_review(content, voice=voice, with_images=False))
    content.quality = {**report.as_dict(), "checked": "text"}
    content.save(update_fields=["quality", "updated_at"])
    return content


def contents_gate(*, site: Site, contents: list[Content]) -> None:
    """Stage 7: the full gate on each of `contents` (locked by the caller), stored; flags those below
    the site's threshold. The caller's transaction commits it with their move to review."""
    voice = voice_prompt_for_site(site=site)
    threshold = quality_threshold(site_id=site.pk)
    for content in contents:
        report = quality_report(article_under_review(content, voice=voice, with_images=True))
        content.quality = {
            **report.as_dict(),
            "checked": "full",
            "threshold": threshold,
            "flagged": report.score < threshold,
        }
        content.save(update_fields=["quality", "updated_at"])
