from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.html import strip_tags

from igny8.errors import InvalidTransition, NotFound, ValidationFailed
from planner.inventory import generated_page_create
from planner.models import IdeaStatus, Keyword
from planner.selectors import ideas_ready_for_tasks, inventory_urls_among
from planner.services import ideas_set_status
from tenancy.models import Site
from writer.article_html import article_parts
from writer.gate import content_text_quality, contents_gate
from writer.models import Content, ContentStatus, Image, ImageStatus, ImageType, Task, TaskStatus
from writer.quality import QualityReport
from writer.selectors import contents_ready_for_links, contents_ready_for_review

EDITED_TEXT_FIELDS = {"title", "content_html", "meta_description"}  # what the quality checks read
CONTENT_TRANSITIONS = {
    ContentStatus.DRAFT: {ContentStatus.REVIEW},
    ContentStatus.REVIEW: {ContentStatus.DRAFT, ContentStatus.APPROVED, ContentStatus.PUBLISHED},
    ContentStatus.APPROVED: {ContentStatus.DRAFT, ContentStatus.REVIEW, ContentStatus.PUBLISHED},
    ContentStatus.PUBLISHED: {ContentStatus.DRAFT, ContentStatus.REVIEW, ContentStatus.APPROVED},
}


def content_update(*, content: Content, fields: Mapping) -> Content:
    fields = dict(fields)
    new_status = fields.pop("status", None)
    if new_status and new_status != content.status and new_status not in CONTENT_TRANSITIONS[content.status]:
        raise InvalidTransition(f"Content cannot move from {content.status} to {new_status}.")
    if new_status:
        fields["status"] = new_status
    for name, value in fields.items():
        setattr(content, name, value)
    if EDITED_TEXT_FIELDS & fields.keys():
        _content_check_again(content)
    content.save()
    return content


def _content_check_again(content: Content) -> None:
    """An edited article's link list follows its HTML: the links it no longer holds leave the list,
    and a link typed in by hand to a page of the site's inventory joins it (with its anchor text),
    so the gate checks it as it checks the links the model made. Then the article gets its verdict
    again: the full gate's once it passed the gate, the text checks' before."""
    parts = article_parts(content.content_html)
    hrefs = set(parts.hrefs)
    links = [link for link in content.links or [] if link.get("url") in hrefs]
    listed = {link["url"] for link in links}
    site_pages = inventory_urls_among(site=content.site, urls=hrefs - listed, content_id=content.pk)
    for href, anchor in parts.anchors:
        if href in site_pages and href not in listed:
            links.append({"url": href, "anchor": anchor})
            listed.add(href)
    content.links = links
    if (content.quality or {}).get("checked") == "full":
        contents_gate(site=content.site, contents=[content])
    else:
        content.quality = content_text_quality(content, site=content.site)


@transaction.atomic
def contents_bulk_update_status(*, site: Site, ids: list[int], status: str) -> int:
    """Move the site's content `ids` to `status`, all or none; returns how many changed."""
    contents = list(Content.objects.select_for_update().filter(site=site, pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {content.pk for content in contents})
    if missing:
        raise NotFound(f"Content not found: {missing}.")
    refused = [c.pk for c in contents if c.status != status and status not in CONTENT_TRANSITIONS[c.status]]
    if refused:
        raise InvalidTransition(f"Content {refused} cannot move to {status}.")
    return (
        Content.objects.filter(pk__in=[c.pk for c in contents]).exclude(status=status).update(status=status)
    )


# Writes the pipeline makes ---------------------------------------------------------------------


@transaction.atomic
def ideas_queue_to_writer(*, site: Site, idea_ids: Iterable[int]) -> list[Task]:
    """A task for each of the ideas that is still `new`; those ideas become `queued`.

    Ideas already queued (or not of this site) are passed over, so a repeated call creates nothing.
    """
    ideas = list(
        ideas_ready_for_tasks(site=site)
        .filter(pk__in=list(idea_ids))
        .select_for_update(of=("self",))
        .order_by("pk")
        .prefetch_related(Prefetch("keywords", queryset=Keyword.objects.order_by("-volume", "pk")))
    )
    tasks = Task.objects.bulk_create(
        Task(
            account_id=site.account_id,
            site=site,
            title=idea.idea_title,
            description=idea.description,
            cluster_id=idea.keyword_cluster_id,
            idea=idea,
            content_type=idea.content_type,
            content_structure=idea.content_structure,
            keywords=[keyword.keyword for keyword in idea.keywords.all()],
            word_count=idea.estimated_word_count,
        )
        for idea in ideas
    )
    ideas_set_status(idea_ids=[idea.pk for idea in ideas], status=IdeaStatus.QUEUED)
    return tasks


@dataclass(frozen=True)
class ArticleFields:
    title: str
    content_html: str
    word_count: int
    meta_title: str = ""
    meta_description: str = ""
    primary_keyword: str = ""
    secondary_keywords: Sequence[str] = ()
    tags: Sequence[str] = ()
    categories: Sequence[str] = ()
    links: Sequence[dict] = ()  # the internal links in content_html: [{url, anchor}]


def content_create_for_task(
    *,
    site: Site,
    task: Task,
    article: ArticleFields,
    regenerated: bool = False,
    answer_review: QualityReport | None = None,
) -> Content:
    """The task's article as a `draft`, with its text checks; the task (and its idea) become
    `completed`; the article enters the site's inventory (a generated page, no URL until published).
    Call it in one transaction.

    `regenerated`: the article is the second answer, which replaced a first one below the quality bar.
    `answer_review`: the text checks made of the answer on the call's thread (kept if of this text).
    """
    if task.site_id != site.pk:
        raise ValidationFailed(f"Task {task.pk} is not of site {site.pk}.", code="invalid_ids")
    if Content.objects.filter(task=task).exists():
        raise ValidationFailed(f"Task {task.pk} already has content.", code="conflict")
    content = Content(
        account_id=task.account_id,
        site=site,
        task=task,
        title=" ".join(article.title.split())[:300] or task.title,
        content_html=article.content_html,
        word_count=article.word_count,
        meta_title=article.meta_title[:300],
        meta_description=article.meta_description,
        primary_keyword=article.primary_keyword[:255],
        secondary_keywords=list(article.secondary_keywords),
        tags=list(article.tags),
        categories=list(article.categories),
        links=[dict(link) for link in article.links],
        cluster_id=task.cluster_id,
        content_type=task.content_type,
        content_structure=task.content_structure,
        regenerated=regenerated,
    )
    content.quality = content_text_quality(content, site=site, earlier=answer_review)
    content.save(force_insert=True)
    summary = content.meta_description or " ".join(strip_tags(content.content_html).split())[:300]
    generated_page_create(
        account_id=content.account_id,
        site_id=content.site_id,
        content_id=content.pk,
        title=content.title,
        summary=summary,
    )
    Task.objects.filter(pk=task.pk).update(status=TaskStatus.COMPLETED)
    if task.idea_id:
        ideas_set_status(idea_ids=[task.idea_id], status=IdeaStatus.COMPLETED)
    return content


def image_prompts_create(*, content: Content, prompts: Sequence[str]) -> list[Image]:
    """One `pending` image per prompt: the first is the featured image, the rest in-article."""
    return Image.objects.bulk_create(
        Image(
            account_id=content.account_id,
            site_id=content.site_id,
            content=content,
            image_type=ImageType.FEATURED if position == 0 else ImageType.IN_ARTICLE,
            prompt=prompt,
            position=position,
        )
        for position, prompt in enumerate(prompts)
    )


def image_store(*, image: Image, png: bytes) -> Image:
    """Save the generated file (replacing one a crashed attempt left) and mark the image `generated`."""
    path = f"images/site_{image.site_id}/content_{image.content_id}/image_{image.pk}.png"
    if default_storage.exists(path):
        default_storage.delete(path)
    stored = default_storage.save(path, ContentFile(png))
    image.status, image.image_path, image.image_url, image.error = (
        ImageStatus.GENERATED,
        stored,
        default_storage.url(stored),
        "",
    )
    image.save(update_fields=["status", "image_path", "image_url", "error", "updated_at"])
    return image


def images_mark_failed(*, image_ids: Iterable[int], error: str) -> int:
    """A failed image is final: the article goes to review without it."""
    return Image.objects.filter(pk__in=list(image_ids), status=ImageStatus.PENDING).update(
        status=ImageStatus.FAILED, error=error[:2000]
    )


def images_reset_failed(*, site: Site, image_ids: Iterable[int]) -> int:
    """Failed images back to pending, to be generated again (a retry); returns how many."""
    return Image.objects.filter(site=site, pk__in=list(image_ids), status=ImageStatus.FAILED).update(
        status=ImageStatus.PENDING, error=""
    )


@transaction.atomic
def contents_move_to_review(*, site: Site, content_ids: Iterable[int]) -> int:
    """Drafts whose images are all done pass the quality gate and enter review; returns how many moved.

    Each article's score and findings (`Content.quality`, flagged when below the site's threshold)
    commit with its move: an article in review always carries its gate's verdict.
    """
    contents = list(
        contents_ready_for_review(site=site)
        .filter(pk__in=list(content_ids))
        .select_for_update(of=("self",))
        .select_related("task")
        .prefetch_related("images")
        .order_by("pk")
    )
    contents_gate(site=site, contents=contents)
    now = timezone.now()
    for content in contents:
        content.status, content.updated_at = ContentStatus.REVIEW, now
    return Content.objects.bulk_update(contents, ["quality", "status", "updated_at"])


@transaction.atomic
def content_add_links(*, content: Content, content_html: str, links: Sequence[Mapping]) -> bool:
    """The article's HTML with new links, and those links added to its list: together, or not at all.

    Nothing changes (False) when the article was edited since `content` was read, or has left the
    states that may gain links (published, or on its way to the site).
    """
    current = contents_ready_for_links(site=content.site).select_for_update().filter(pk=content.pk).first()
    if current is None or current.content_html != content.content_html:
        return False
    current.content_html = content_html
    current.links = [*current.links, *(dict(link) for link in links)]
    current.save(update_fields=["content_html", "links", "updated_at"])
    return True
