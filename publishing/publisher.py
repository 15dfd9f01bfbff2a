"""One article's publish, exactly once: claim it, do the remote work, commit what happened.

The local state machine is `scheduled → publishing → published | failed` (or back to `scheduled`
for a retry). The claim commits before any remote call and the outcome after the last, each in
its own short transaction, fenced by the publication's `claim_token`: a worker that lost its claim
(killed, or too slow) can change nothing. What happened remotely between the two commits is found
again through the markers (see `publishing.wordpress`), so a publish that is repeated after a
crash, a time-out that landed, or a duplicate task delivery updates the one post instead of
making a second.
"""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from events.services import event_emit
from igny8.encryption import SecretUnreadable
from planner.inventory import generated_page_publish
from publishing.models import Destination, DestinationHealth, Publication, PublishedImage
from publishing.remote import Progress, RemoteError, RemoteMedia
from publishing.services import destination_record_health
from writer.models import Content, ContentStatus, SiteStatus

logger = logging.getLogger(__name__)


class ClaimLost(Exception):
    """Another worker claimed this publication after ours expired: stop without writing."""


@dataclass(frozen=True)
class Claim:
    content_id: int
    publication_id: int
    destination_id: int
    token: int
    attempt: int


@dataclass(frozen=True)
class Outcome:
    status: str  # published | retry | failed | held | skipped
    retry_in: float | None = None
    error: str = ""


def is_due(content: Content, publication: Publication | None, now: datetime.datetime) -> bool:
    if content.site_status == SiteStatus.SCHEDULED:
        waiting = (
            publication is not None and publication.next_attempt_at and publication.next_attempt_at > now
        )
        return bool(content.scheduled_publish_at and content.scheduled_publish_at <= now and not waiting)
    if content.site_status == SiteStatus.PUBLISHING:
        return bool(publication and publication.claimed_until and publication.claimed_until < now)
    return False


@transaction.atomic
def publication_claim(*, content_id: int, now: datetime.datetime) -> Claim | None:
    """Claim a due article for this worker (commits `publishing`, a new token and a lease), or None
    when it is not due, already claimed, or its site's destination is missing or broken."""
    content = Content.objects.select_for_update().filter(pk=content_id).first()
    if content is None:
        return None
    publication, _ = Publication.objects.select_for_update().get_or_create(
        content=content, defaults={"account_id": content.account_id, "site_id": content.site_id}
    )
    destination = Destination.objects.filter(site_id=content.site_id).first()
    if destination is None or not destination.accepts_publishing or not is_due(content, publication, now):
        return None
    if publication.attempts >= settings.PUBLISHING_MAX_ATTEMPTS:
        # Workers died on it again and again: stop, say so, keep the article for a manual retry.
        content.site_status = SiteStatus.FAILED
        content.publish_error = f"Gave up after {publication.attempts} attempts that did not finish."
        content.save(update_fields=["site_status", "publish_error", "updated_at"])
        emit_publish_failed(content=content, error=content.publish_error)
        return None
    if publication.destination_id != destination.pk:
        # A new destination: what the old one holds is not this one's post.
        content.external_id, content.external_url = "", ""
        publication.destination_id = destination.pk
    publication.claim_token += 1
    publication.attempts += 1
    publication.claimed_until = now + datetime.timedelta(seconds=settings.PUBLISHING_LEASE_SECONDS)
    publication.save()
    content.site_status = SiteStatus.PUBLISHING
    content.save(update_fields=["site_status", "external_id", "external_url", "updated_at"])
    return Claim(content_id, publication.pk, destination.pk, publication.claim_token, publication.attempts)


def emit_publish_failed(*, content: Content, error: str) -> None:
    event_emit(
        account_id=content.account_id,
        site_id=content.site_id,
        type="publish.failed",
        data={"content_id": content.pk, "title": content.title, "error": error[:500]},
    )


def _fenced(claim: Claim) -> Publication:
    publication = Publication.objects.select_for_update().filter(pk=claim.publication_id).first()
    if publication is None or publication.claim_token != claim.token:
        raise ClaimLost(f"publication {claim.publication_id} was claimed by another worker")
    return publication


def claim_check(claim: Claim) -> None:
    """Raises ClaimLost when another worker took the article over."""
    with transaction.atomic():
        _fenced(claim)


@transaction.atomic
def publication_record_media(*, claim: Claim, image_id: int, media: RemoteMedia) -> None:
    """Record an uploaded image at once (fenced), so no later attempt uploads it again."""
    _fenced(claim)
    PublishedImage.objects.update_or_create(
        destination_id=claim.destination_id,
        image_id=image_id,
        defaults={"external_id": media.external_id, "external_url": media.url},
    )


def progress_for(claim: Claim) -> Progress:
    known = PublishedImage.objects.filter(
        destination_id=claim.destination_id, image__content_id=claim.content_id
    )
    return Progress(
        media={row.image_id: RemoteMedia(row.external_id, row.external_url) for row in known},
        record_media=lambda image_id, media: publication_record_media(
            claim=claim, image_id=image_id, media=media
        ),
        check=lambda: claim_check(claim),
    )


@transaction.atomic
def publication_succeed(*, claim: Claim, external_id: str, external_url: str, now: datetime.datetime) -> None:
    """`published` with the remote id and URL, the content `published`; raises ClaimLost."""
    publication = _fenced(claim)
    Content.objects.filter(pk=claim.content_id).update(
        status=ContentStatus.PUBLISHED,
        site_status=SiteStatus.PUBLISHED,
        external_id=external_id,
        external_url=external_url,
        publish_error="",
        updated_at=now,
    )
    generated_page_publish(content_id=claim.content_id, url=external_url)
    publication.claimed_until, publication.attempts, publication.next_attempt_at = None, 0, None
    publication.published_at, publication.publish_count = now, publication.publish_count + 1
    publication.save()
    event_emit(
        account_id=publication.account_id,
        site_id=publication.site_id,
        type="content.published",
        data={
            "content_id": claim.content_id,
            "external_id": external_id,
            "external_url": external_url,
            "update": publication.publish_count > 1,
        },
    )


def retry_delay(attempt: int) -> float:
    return min(
        settings.PUBLISHING_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.PUBLISHING_RETRY_MAX_SECONDS
    )


@transaction.atomic
def publication_fail(*, claim: Claim, error: RemoteError, now: datetime.datetime) -> Outcome:
    """Settle a failed attempt (fenced): back to `scheduled` with a back-off for a retryable error,
    back to `scheduled` with the destination marked broken for refused credentials (the queue
    waits, nothing is lost), `failed` with the reason otherwise or when the attempts run out."""
    publication = _fenced(claim)
    publication.claimed_until = None
    status, retry_in, site_status = "failed", None, SiteStatus.FAILED
    if error.kind == "auth":
        status, site_status = "held", SiteStatus.SCHEDULED
        publication.attempts -= 1  # the article did nothing wrong
        destination_record_health(destination_id=claim.destination_id, ok=False, error=error.message)
    elif error.kind == "retry" and claim.attempt < settings.PUBLISHING_MAX_ATTEMPTS:
        status, site_status, retry_in = "retry", SiteStatus.SCHEDULED, retry_delay(claim.attempt)
        publication.next_attempt_at = now + datetime.timedelta(seconds=retry_in)
    publication.save()
    message = error.message[:2000]
    Content.objects.filter(pk=claim.content_id).update(site_status=site_status, publish_error=message)
    if status == "failed":
        emit_publish_failed(content=Content.objects.get(pk=claim.content_id), error=message)
    return Outcome(status, retry_in, message)


def publish_content(*, content_id: int, now: datetime.datetime | None = None) -> Outcome:
    """Publish one article if it is due; see the module's docstring for what is guaranteed.

    `now` (default: the clock) is the time the claim, the back-off and `published_at` are read
    against, so a test can walk simulated days.
    """
    from publishing.destinations import publish_remotely

    claim = publication_claim(content_id=content_id, now=now or timezone.now())
    if claim is None:
        return Outcome("skipped")
    try:
        post = publish_remotely(claim=claim, progress=progress_for(claim))
        publication_succeed(
            claim=claim, external_id=post.external_id, external_url=post.url, now=now or timezone.now()
        )
    except ClaimLost:
        logger.warning("publishing content %s: the claim was taken over; this worker stops", content_id)
        return Outcome("skipped")
    except RemoteError as error:
        logger.warning("publishing content %s failed (%s): %s", content_id, error.kind, error.message)
        return publication_fail(claim=claim, error=error, now=now or timezone.now())
    except SecretUnreadable as error:
        failure = RemoteError(str(error), kind="auth")
        return publication_fail(claim=claim, error=failure, now=now or timezone.now())
    except Exception as error:
        logger.exception("publishing content %s failed unexpectedly", content_id)
        failure = RemoteError(f"Unexpected error: {type(error).__name__}", kind="retry")
        return publication_fail(claim=claim, error=failure, now=now or timezone.now())
    if Destination.objects.filter(pk=claim.destination_id, status=DestinationHealth.UNVERIFIED).exists():
        destination_record_health(destination_id=claim.destination_id, ok=True)
    return Outcome("published")
