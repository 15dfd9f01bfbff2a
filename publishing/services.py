"""Publishing writes: destinations, scheduling articles, taking them off the schedule.

The remote side (WordPress, webhooks) and a publish's own state machine are in `publisher`.
"""

import datetime
from collections.abc import Mapping

from django.db import transaction
from django.utils import timezone

from events.services import event_emit
from igny8.encryption import SecretUnreadable, encrypt_secret, reencrypt_secret
from igny8.errors import NotFound
from publishing.errors import DestinationExists, NoDestination, NotPublishable
from publishing.models import Destination, DestinationHealth, Publication
from publishing.schedule import Schedule, plan
from publishing.selectors import contents_awaiting_auto_approval, contents_due, publishing_config, taken_times
from tenancy.models import Site
from writer.models import Content, ContentStatus, SiteStatus

PUBLISHABLE = {ContentStatus.REVIEW, ContentStatus.APPROVED, ContentStatus.PUBLISHED}
# What changes how we reach the destination: changing it needs a new verification.
CONNECTION_FIELDS = {"kind", "url", "username", "secret"}


def destination_create(
    *, site: Site, kind: str, url: str, secret: str, username: str = "", post_status: str = "draft"
) -> Destination:
    """The site's destination, `unverified` until verified; raises DestinationExists."""
    if Destination.objects.filter(site=site).exists():
        raise DestinationExists()
    return Destination.objects.create(
        account_id=site.account_id,
        site=site,
        kind=kind,
        url=url.rstrip("/"),
        username=username,
        secret_encrypted=encrypt_secret(secret),
        post_status=post_status,
    )


def destination_update(*, destination: Destination, fields: Mapping) -> Destination:
    """Change a destination; new credentials or a new address make it `unverified` (which lets a
    broken destination's queue go again: the next publish tells whether the fix worked)."""
    fields = dict(fields)
    if "secret" in fields:
        destination.secret_encrypted = encrypt_secret(fields.pop("secret"))
        fields["secret"] = None
    if "url" in fields:
        fields["url"] = fields["url"].rstrip("/")
    if CONNECTION_FIELDS & fields.keys():
        destination.status, destination.last_error, destination.verified_at = (
            DestinationHealth.UNVERIFIED,
            "",
            None,
        )
    for name, value in fields.items():
        if name != "secret":
            setattr(destination, name, value)
    destination.save()
    return destination


def destination_secrets_reencrypt() -> tuple[int, list[int]]:
    """Every destination's secret under the current (first) key, each row on its own; returns how
    many were re-encrypted and the ids of those no configured key opens (to be entered again)."""
    done, unreadable = 0, []
    for destination in Destination.objects.order_by("pk").only("pk", "secret_encrypted"):
        try:
            token = reencrypt_secret(destination.secret_encrypted)
        except SecretUnreadable:
            unreadable.append(destination.pk)
            continue
        done += Destination.objects.filter(
            pk=destination.pk, secret_encrypted=destination.secret_encrypted
        ).update(secret_encrypted=token)
    return done, unreadable


def destination_delete(*, destination: Destination) -> None:
    destination.delete()


@transaction.atomic
def destination_record_health(*, destination_id: int, ok: bool, error: str = "") -> None:
    """Record what a verification or a publish learned about the destination's credentials.

    A destination that turns broken emits `destination.broken` in the same transaction (once per
    breakage: a destination already broken emits nothing more).
    """
    destination = Destination.objects.select_for_update().filter(pk=destination_id).first()
    if destination is None:
        return
    if not ok and destination.status != DestinationHealth.BROKEN:
        event_emit(
            account_id=destination.account_id,
            site_id=destination.site_id,
            type="destination.broken",
            data={"destination_id": destination.pk, "kind": destination.kind, "error": error[:500]},
        )
    Destination.objects.filter(pk=destination_id).update(
        status=DestinationHealth.OK if ok else DestinationHealth.BROKEN,
        last_error="" if ok else error[:2000],
        verified_at=timezone.now() if ok else None,
    )


def _locked_contents(*, site: Site, ids: list[int]) -> list[Content]:
    contents = list(Content.objects.select_for_update().filter(site=site, pk__in=ids).order_by("pk"))
    missing = sorted(set(ids) - {content.pk for content in contents})
    if missing:
        raise NotFound(f"Content not found: {missing}.")
    return contents


def _schedule_rows(*, contents: list[Content], times: list[datetime.datetime]) -> None:
    for content, moment in zip(contents, times, strict=True):
        Publication.objects.get_or_create(
            content=content, defaults={"account_id": content.account_id, "site_id": content.site_id}
        )
        Publication.objects.filter(content=content).update(
            attempts=0, next_attempt_at=None, claimed_until=None
        )
        if content.status != ContentStatus.PUBLISHED:
            content.status = ContentStatus.APPROVED
        content.site_status, content.scheduled_publish_at, content.publish_error = (
            SiteStatus.SCHEDULED,
            moment,
            "",
        )
        content.save(
            update_fields=["status", "site_status", "scheduled_publish_at", "publish_error", "updated_at"]
        )


@transaction.atomic
def contents_publish(
    *, site: Site, ids: list[int], when: datetime.datetime | None = None, now: datetime.datetime | None = None
) -> list[Content]:
    """Approve the site's articles `ids` and schedule them, all or none.

    With `when`, each goes out at that time (an editor's explicit choice: the slots and limits are
    not applied, though the article counts toward them). Without it, each takes the next time the
    site's schedule allows. An article already published is updated in place when it goes out
    again. Raises NoDestination, NotFound, NotPublishable (a draft, or one being published now).
    """
    destination = Destination.objects.select_for_update().filter(site=site).first()
    if destination is None:
        raise NoDestination()
    now = now or timezone.now()
    contents = _locked_contents(site=site, ids=ids)
    refused = [
        c.pk for c in contents if c.status not in PUBLISHABLE or c.site_status == SiteStatus.PUBLISHING
    ]
    if refused:
        raise NotPublishable(f"Content {refused} cannot be published now (a draft, or being published).")
    contents = [c for c in contents if not (c.site_status == SiteStatus.SCHEDULED and when is None)]
    if when is not None:
        times = [when] * len(contents)
    else:
        schedule = Schedule.of(publishing_config(site=site))
        taken = taken_times(site=site, since=schedule.history_start(now))
        times = plan(schedule, now=now, taken=taken, count=len(contents))
    _schedule_rows(contents=contents, times=times)
    return contents


@transaction.atomic
def contents_unschedule(*, site: Site, ids: list[int]) -> int:
    """Take scheduled (or failed) articles off the schedule; they stay approved. Articles being
    published right now cannot be stopped. Raises NotFound, NotPublishable."""
    contents = _locked_contents(site=site, ids=ids)
    busy = [c.pk for c in contents if c.site_status == SiteStatus.PUBLISHING]
    if busy:
        raise NotPublishable(f"Content {busy} is being published right now.")
    waiting = [c.pk for c in contents if c.site_status in (SiteStatus.SCHEDULED, SiteStatus.FAILED)]
    return Content.objects.filter(pk__in=waiting).update(
        site_status=SiteStatus.NOT_PUBLISHED, scheduled_publish_at=None, publish_error=""
    )


def contents_auto_approve(*, now: datetime.datetime | None = None) -> int:
    """Approve and schedule the review gate's articles of every auto-approving site; returns how
    many. Each site commits on its own, so one site's problem never holds another's."""
    approved = 0
    site_ids = sorted(set(contents_awaiting_auto_approval().values_list("site_id", flat=True)))
    for site in Site.objects.filter(pk__in=site_ids).order_by("pk"):
        ids = list(contents_awaiting_auto_approval().filter(site=site).values_list("pk", flat=True))
        approved += len(contents_publish(site=site, ids=ids, now=now))
    return approved


def publishing_tick(*, now: datetime.datetime) -> tuple[int, list[int]]:
    """The beat's work at `now`: auto-approve what waits in review, then name what is due to go out
    (the caller sends each to a worker). Returns (articles approved, article ids due)."""
    approved = contents_auto_approve(now=now)
    return approved, list(contents_due(now=now).values_list("pk", flat=True))
