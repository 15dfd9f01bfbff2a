"""The schedule: modes, limits in the site's time zone, and a simulated week of publishing."""

import collections
import datetime
import zoneinfo

import pytest

from automation.models import AutomationConfig
from devtools.webhook_receiver import WebhookReceiver
from publishing.models import Publication
from publishing.publisher import publish_content
from publishing.schedule import Schedule, plan
from publishing.services import destination_create, publishing_tick
from tests.publishing.conftest import make_reviewed_article
from writer.models import Content, SiteStatus

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")
MONDAY = datetime.datetime(2026, 3, 2, 8, 30, tzinfo=BERLIN)  # a Monday, 08:30 in Berlin


def at(day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, 3, 2 + day, hour, minute, tzinfo=BERLIN)


def test_immediate_is_now_until_a_daily_limit_pushes_to_the_next_local_midnight():
    schedule = Schedule(mode="immediate", daily_limit=2, zone=BERLIN)
    assert plan(schedule, now=MONDAY, taken=[], count=3) == [MONDAY, MONDAY, at(1, 0)]


def test_time_slots_take_one_article_each_in_the_sites_time_zone():
    schedule = Schedule(mode="time_slots", time_slots=(datetime.time(9), datetime.time(14)), zone=BERLIN)
    assert plan(schedule, now=MONDAY, taken=[at(0, 9)], count=3) == [at(0, 14), at(1, 9), at(1, 14)]


def test_stagger_spaces_articles_after_the_last_one_taken():
    schedule = Schedule(mode="stagger", stagger_minutes=90, zone=BERLIN)
    last = MONDAY - datetime.timedelta(minutes=30)
    assert plan(schedule, now=MONDAY, taken=[last], count=2) == [at(0, 9, 30), at(0, 11)]


def test_weekly_and_monthly_limits_move_articles_to_the_next_window():
    weekly = Schedule(mode="immediate", daily_limit=3, weekly_limit=4, zone=BERLIN)
    assert plan(weekly, now=MONDAY, taken=[], count=5) == [MONDAY] * 3 + [at(1, 0), at(7, 0)]
    monthly = Schedule(mode="immediate", monthly_limit=1, zone=BERLIN)
    assert plan(monthly, now=MONDAY, taken=[MONDAY], count=1) == [
        datetime.datetime(2026, 4, 1, tzinfo=BERLIN)
    ]


@pytest.mark.django_db
def test_a_simulated_week_respects_the_schedule_and_limits_and_sends_each_article_once(tenant, settings):
    settings.PUBLISHING_RETRY_BASE_SECONDS = 60
    AutomationConfig.objects.create(
        account=tenant.account,
        site=tenant.site,
        publish_mode="time_slots",
        time_slots=["09:00", "13:00", "17:00"],
        daily_limit=2,
        weekly_limit=9,
        auto_approve=True,
        time_zone="Europe/Berlin",
    )
    articles = [
        make_reviewed_article(site=tenant.site, title=f"Article {n}", in_article=1) for n in range(12)
    ]
    with WebhookReceiver(secret="week secret", failure_rate=0.25, seed=7) as receiver:
        destination_create(site=tenant.site, kind="webhook", url=receiver.url, secret="week secret")
        now = MONDAY
        while now < MONDAY + datetime.timedelta(days=7):
            _, due = publishing_tick(now=now)
            for content_id in due:
                publish_content(content_id=content_id, now=now)
            now += datetime.timedelta(minutes=30)

    published = Content.objects.filter(pk__in=[a.pk for a in articles], site_status=SiteStatus.PUBLISHED)
    times = {c.pk: c.scheduled_publish_at.astimezone(BERLIN) for c in published}
    per_day = collections.Counter(moment.date() for moment in times.values())
    assert len(times) == 9 and max(per_day.values()) == 2  # the weekly limit, then two a day
    assert {moment.strftime("%H:%M") for moment in times.values()} <= {"09:00", "13:00", "17:00"}
    for publication in Publication.objects.filter(content__in=published):
        assert publication.published_at >= times[publication.content_id]
        assert publication.published_at - times[publication.content_id] < datetime.timedelta(hours=3)
    assert receiver.failed > 0  # some deliveries failed and were retried
    assert len(receiver.applied) == 9 and receiver.rejected == 0  # each applied once, all signed
    event = next(iter(receiver.applied.values()))
    assert event["type"] == "content.published" and event["site"] == tenant.site.pk
    assert event["data"]["title"].startswith("Article ") and len(event["data"]["images"]) == 2
    assert all(image["url"].endswith(".png") for image in event["data"]["images"])
    assert Content.objects.filter(site=tenant.site, site_status=SiteStatus.SCHEDULED).count() == 3
