"""Publishing through real Celery workers to the real WordPress, with workers SIGKILLed in the
middle of each step, WordPress failing and timing out, and a wrong password: every article ends
as exactly one post with one set of media."""

import os
import random
import uuid

import pytest

from devtools.fault_proxy import FaultProxy
from publishing.models import Destination, Publication
from publishing.services import contents_publish, destination_update
from publishing.tasks import publish_content_task, publish_due_task
from publishing.wordpress import media_marker, post_marker
from tests.publishing.conftest import PUBLISHING_WORKER_ENV, make_reviewed_article, wordpress_destination
from tests.waiting import wait_for
from writer.models import Content, SiteStatus

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
# Every step of a publish that talks to WordPress: (method, route, what identifies the article).
STEPS = [
    ("GET", "/wp/v2/media", "key"),  # looking for media that landed earlier
    ("POST", "/wp/v2/media", "key"),  # uploading an image
    ("GET", "/wp/v2/tags", "tag"),  # looking up a tag
    ("POST", "/wp/v2/tags", "tag"),  # creating it
    ("GET", "/wp/v2/posts", "key"),  # looking for a post that landed earlier
    ("POST", "/wp/v2/posts", "key"),  # creating the post (after: created, our commit never came)
]
KILL_ROUNDS = int(os.environ.get("PUBLISHING_KILL_ROUNDS", "2"))


def published(ids) -> bool:
    return Content.objects.filter(pk__in=ids, site_status=SiteStatus.PUBLISHED).count() == len(ids)


def beat_until_published(ids, *, timeout: float = 120) -> None:
    """What beat does every few minutes, every second: send what is due (abandoned claims too)."""

    def tick_and_check():
        if published(ids):
            return True
        publish_due_task.delay()
        return False

    wait_for(tick_and_check, timeout=timeout, interval=1.0, what=f"articles {ids} to be published")


def assert_once_each(wordpress, articles) -> dict:
    """One post and one media item per image for each article, read back from WordPress."""
    counts = {"posts": 0, "media": 0, "duplicates": 0}
    for article in articles:
        article.refresh_from_db()
        key = Publication.objects.get(content=article).remote_key
        posts = wordpress.posts_with(post_marker(key))
        assert [str(post["id"]) for post in posts] == [article.external_id], (article.title, posts)
        for image in article.images.all():
            found = wordpress.media_with(media_marker(key, image.pk))
            assert len(found) == 1, (article.title, image.pk, [item["id"] for item in found])
            counts["media"] += 1
        counts["posts"] += 1
    return counts


def test_twenty_articles_are_published_once_each_with_images_terms_and_meta(tenant, wordpress, start_worker):
    start_worker(concurrency=4, **PUBLISHING_WORKER_ENV)
    wordpress_destination(site=tenant.site, wordpress=wordpress)
    run = uuid.uuid4().hex[:6]
    articles = [
        make_reviewed_article(
            site=tenant.site,
            title=f"Twenty {run} {n}",
            in_article=1,
            tags=(f"t{run}-{n % 3}",),
            categories=(f"C{run}",),
        )
        for n in range(20)
    ]
    ids = [article.pk for article in articles]
    contents_publish(site=tenant.site, ids=ids)  # the default schedule: immediately
    for content_id in ids:  # every article delivered twice besides the beat's sending
        publish_content_task.delay(content_id)
        publish_content_task.delay(content_id)

    beat_until_published(ids)

    counts = assert_once_each(wordpress, articles)
    assert counts == {"posts": 20, "media": 40, "duplicates": 0}
    for article in articles:
        post = wordpress.get(f"/wp/v2/posts/{article.external_id}")
        assert (post["title"]["raw"], post["excerpt"]["raw"]) == (article.title, article.meta_description)
        assert post["featured_media"] and post["content"]["raw"].count("<img ") == 1
        assert wordpress.term_names("tags", post["tags"]) == set(article.tags)
        assert wordpress.term_names("categories", post["categories"]) == {f"C{run}"}


def kill_round(*, tenant, wordpress, start_worker, proxy, combos, label) -> list:
    """One worker publishes an article per (step, phase); each is held there; the worker is killed."""
    articles = [
        make_reviewed_article(
            site=tenant.site, title=f"Kill {label} {n}", in_article=1, tags=(f"k{label}-{n}",)
        )
        for n in range(len(combos))
    ]
    contents_publish(site=tenant.site, ids=[a.pk for a in articles])
    holds = []
    for article, ((method, route, needle), phase) in zip(articles, combos, strict=True):
        key = Publication.objects.get(content=article).remote_key
        holds.append(
            proxy.hold(method, route, needle=key if needle == "key" else article.tags[0], phase=phase)
        )
    victim = start_worker(concurrency=len(combos), **PUBLISHING_WORKER_ENV)
    for article in articles:
        publish_content_task.delay(article.pk)
    for hold in holds:
        assert hold.engaged.wait(60), f"no request reached {hold.method} {hold.route} ({hold.phase})"
    victim.kill()
    for hold in holds:
        hold.released.set()
    return articles


def test_workers_killed_in_the_middle_of_each_step_leave_no_duplicate(tenant, wordpress, start_worker):
    with FaultProxy(wordpress.url) as proxy:
        wordpress_destination(site=tenant.site, wordpress=wordpress, url=proxy.url)
        every_step = [(step, phase) for step in STEPS for phase in ("before", "after")]
        seeded = random.Random(2126)
        rounds = [every_step] + [
            [(seeded.choice(STEPS), seeded.choice(["before", "after"])) for _ in range(6)]
            for _ in range(KILL_ROUNDS - 1)
        ]
        killed = []
        label = uuid.uuid4().hex[:6]
        for number, combos in enumerate(rounds):
            killed += kill_round(
                tenant=tenant,
                wordpress=wordpress,
                start_worker=start_worker,
                proxy=proxy,
                combos=combos,
                label=f"{label}-{number}",
            )
        start_worker(concurrency=4, **PUBLISHING_WORKER_ENV)
        beat_until_published([article.pk for article in killed])

    counts = assert_once_each(wordpress, killed)
    print(f"\nkill trials: {len(rounds)} SIGKILLs, {len(killed)} articles held mid-step, {counts}")
    assert counts["posts"] == len(killed)


def test_wordpress_failing_and_timing_out_for_a_while_publishes_once_it_recovers(
    tenant, wordpress, start_worker
):
    with FaultProxy(wordpress.url) as proxy:
        wordpress_destination(site=tenant.site, wordpress=wordpress, url=proxy.url)
        start_worker(concurrency=2, **{**PUBLISHING_WORKER_ENV, "OUTBOUND_TIMEOUT": "1.5"})
        articles = [
            make_reviewed_article(site=tenant.site, title=f"Flaky {n}", in_article=1) for n in range(3)
        ]
        proxy.fail_next(4, status=500)
        proxy.hang_next(3, seconds=3, forward=True)  # WordPress did the work; the answer never came
        proxy.hang_next(2, seconds=3, forward=False)
        proxy.fail_next(2, status=503)
        contents_publish(site=tenant.site, ids=[a.pk for a in articles])

        beat_until_published([a.pk for a in articles])

        faults = {outcome: proxy.counted(outcome) for outcome in ("injected", "landed-then-hung", "hung")}
    assert faults == {"injected": 6, "landed-then-hung": 3, "hung": 2}
    counts = assert_once_each(wordpress, articles)
    print(f"\nfault trials: {sum(faults.values())} failed calls retried, {counts}")


def test_a_wrong_password_holds_the_queue_until_the_destination_is_fixed(tenant, wordpress, start_worker):
    destination = wordpress_destination(site=tenant.site, wordpress=wordpress)
    destination_update(destination=destination, fields={"secret": "not the password at all"})
    start_worker(concurrency=2, **PUBLISHING_WORKER_ENV)
    articles = [make_reviewed_article(site=tenant.site, title=f"Held {n}", in_article=1) for n in range(3)]
    contents_publish(site=tenant.site, ids=[a.pk for a in articles])
    publish_due_task.delay()

    wait_for(
        lambda: Destination.objects.get(pk=destination.pk).status == "broken", what="the destination to break"
    )
    publish_due_task.delay()  # a broken destination's articles are not sent
    wait_for(
        lambda: (
            not Content.objects.filter(
                pk__in=[a.pk for a in articles], site_status=SiteStatus.PUBLISHING
            ).exists()
        ),
        what="no article in flight",
    )
    statuses = set(
        Content.objects.filter(pk__in=[a.pk for a in articles]).values_list("site_status", flat=True)
    )
    assert statuses == {SiteStatus.SCHEDULED}
    assert Destination.objects.get(pk=destination.pk).last_error  # WordPress's reason, shown as is

    destination_update(destination=destination, fields={"secret": wordpress.password()})
    beat_until_published([a.pk for a in articles])
    assert assert_once_each(wordpress, articles)["posts"] == 3
    assert Destination.objects.get(pk=destination.pk).status == "ok"
