from collections.abc import Mapping

from django.db import transaction

from igny8.errors import InvalidTransition, NotFound
from tenancy.models import Site
from writer.models import Content, ContentStatus

CONTENT_TRANSITIONS = {
    ContentStatus.DRAFT: {ContentStatus.REVIEW},
    ContentStatus.REVIEW: {ContentStatus.DRAFT, ContentStatus.PUBLISHED},
    ContentStatus.PUBLISHED: {ContentStatus.DRAFT, ContentStatus.REVIEW},
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
    content.save()
    return content


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
