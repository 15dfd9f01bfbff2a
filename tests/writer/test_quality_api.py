"""Quality verdicts on content: set when an article is saved and at the review gate, shown and filtered."""

from unittest.mock import ANY

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner.models import PageSource, SiteKnowledge, SitePage
from tenancy.models import Site
from tests.conftest import assert_error_envelope
from tests.factories import make_content
from writer.article_html import alt_text
from writer.gate import article_under_review, live_urls
from writer.models import Content
from writer.quality import ArticleUnderReview, quality_report
from writer.services import (
    ArticleFields,
    content_create_for_task,
    content_update,
    contents_move_to_review,
    image_prompts_create,
    image_store,
)

pytestmark = pytest.mark.django_db
BASE = "/api/v1/writer/content/"
PARAGRAPH = "Good trail shoes grip wet rock and keep your feet dry on long runs in the hills."


def long_article(content, *, sections: int):
    """The content rewritten as a fuller article, close to its task's target."""
    html = "".join(
        f"<h2>Part {n} on grip</h2><p>{PARAGRAPH} Point {n} is its own.</p>" for n in range(sections)
    )
    content.task.word_count = len(html.split())
    content.task.save()
    return content_update(
        content=content,
        fields={"content_html": html, "meta_description": PARAGRAPH},
    )


def test_a_saved_article_carries_its_text_checks(owner_client, tenant):
    content = make_content(site=tenant.site, title="Tiny")
    data = owner_client.get(f"{BASE}{content.pk}/").json()["data"]
    assert data["quality"]["checked"] == "text"
    assert {"too_short", "meta_description_missing"} <= {item["code"] for item in data["quality"]["findings"]}
    assert data["quality"]["score"] == content.quality["score"] < 60
    assert data["regenerated"] is False


def test_content_is_filtered_below_a_score_and_ordered_by_it(owner_client, tenant, other_tenant):
    poor = make_content(site=tenant.site, title="Tiny")
    fine = make_content(site=tenant.site, title="Full")
    fine.quality = {"score": 95, "findings": []}
    fine.save()
    listed = owner_client.get(f"{BASE}?site_id={tenant.site.pk}&quality_below=90").json()["results"]
    assert [item["id"] for item in listed] == [poor.pk]
    ordered = owner_client.get(f"{BASE}?site_id={tenant.site.pk}&ordering=-quality_score").json()["results"]
    assert [item["id"] for item in ordered] == [fine.pk, poor.pk]
    assert_error_envelope(owner_client.get(f"{BASE}?site_id={tenant.site.pk}&quality_below=abc"), 400)
    assert_error_envelope(owner_client.get(f"{BASE}?site_id={other_tenant.site.pk}&quality_below=90"), 404)


def test_the_review_gate_stores_the_full_verdict_and_flags_an_article_below_the_threshold(
    owner_client, tenant
):
    SiteKnowledge.objects.create(account=tenant.account, site=tenant.site, quality_threshold=95)
    content = make_content(site=tenant.site, title="Trail shoes")
    content = long_article(content, sections=4)
    featured, untitled = image_prompts_create(content=content, prompts=["Trail shoes on wet rock", ". blank"])
    image_store(image=featured, png=b"png")
    image_store(image=untitled, png=b"png")
    assert alt_text(untitled.prompt) == ""

    assert contents_move_to_review(site=tenant.site, content_ids=[content.pk]) == 1
    content.refresh_from_db()
    assert content.status == "review"
    assert (content.quality["checked"], content.quality["threshold"]) == ("full", 95)
    assert [item["code"] for item in content.quality["findings"]] == ["image_alt_missing"]
    assert (content.quality["score"], content.quality["flagged"]) == (75, True)
    for flagged, expected in (("true", [content.pk]), ("false", [])):
        listed = owner_client.get(f"{BASE}?site_id={tenant.site.pk}&flagged={flagged}").json()["results"]
        assert [item["id"] for item in listed] == expected


def test_an_article_at_or_above_the_threshold_is_not_flagged(tenant):
    content = long_article(make_content(site=tenant.site, title="Trail shoes"), sections=4)
    (image,) = image_prompts_create(content=content, prompts=["Trail shoes on wet rock"])
    image_store(image=image, png=b"png")
    contents_move_to_review(site=tenant.site, content_ids=[content.pk])
    content.refresh_from_db()
    assert (content.quality["score"], content.quality["flagged"], content.quality["threshold"]) == (
        100,
        False,
        60,
    )
    voice = content.quality["voice"]
    assert (voice["banned_found"], voice["required_missing"], voice["reading_level_target"]) == ([], [], None)
    assert isinstance(voice["reading_level"], float)


def test_the_review_gate_makes_as_many_queries_for_six_articles_as_for_two(tenant):
    """Images, live links, settings and the verdicts are read and written once a batch, not per article."""
    site = tenant.site
    live = "https://client.example/trail-guide"
    SitePage.objects.create(
        account=tenant.account,
        site=site,
        url=live,
        title="Trail guide",
        source=PageSource.SITEMAP,
        http_status=200,
    )

    def ready(count: int) -> list[int]:
        ids = []
        for n in range(count):
            content = long_article(make_content(site=site, title=f"Trail shoes {n}"), sections=4)
            (image,) = image_prompts_create(content=content, prompts=["Trail shoes on wet rock"])
            image_store(image=image, png=b"png")
            links = [
                {"url": live, "anchor": "trail"},
                {"url": f"https://client.example/gone-{n}", "anchor": "x"},
            ]
            Content.objects.filter(pk=content.pk).update(links=links)
            ids.append(content.pk)
        return ids

    counts = []
    for count in (2, 6):
        ids = ready(count)
        with CaptureQueriesContext(connection) as queries:
            moved = contents_move_to_review(site=Site.objects.get(pk=site.pk), content_ids=ids)
        assert moved == count
        counts.append(len(queries))
    assert counts[0] == counts[1]
    for content in Content.objects.filter(status="review"):
        assert content.quality["checked"] == "full"
        (finding,) = content.quality["findings"]
        assert finding["code"] == "invalid_links" and "1 link(s)" in finding["message"], finding
        assert live not in finding["message"]


# A finding no check of these texts makes: kept, it shows a verdict's text findings were not made again.
PLANTED = {"code": "reading_level", "message": "planted", "severity": "warning"}


def plant(content) -> None:
    """Adds PLANTED to the article's stored text findings (its digest unchanged)."""
    quality = {**content.quality, "findings": [*content.quality["findings"], PLANTED]}
    Content.objects.filter(pk=content.pk).update(quality=quality)


def test_the_gate_keeps_the_text_checks_of_an_unchanged_article_and_reads_a_changed_one_again(tenant):
    site = tenant.site
    unchanged = long_article(make_content(site=site, title="Trail shoes"), sections=4)
    changed = long_article(make_content(site=site, title="Road shoes"), sections=4)
    for content in (unchanged, changed):
        (image,) = image_prompts_create(content=content, prompts=["Shoes on wet rock"])
        image_store(image=image, png=b"png")
        plant(content)
    # After their text checks: a link to no live page (checked at the gate whatever the text), and a
    # text changed behind the verdict's back.
    Content.objects.filter(pk=unchanged.pk).update(
        links=[{"url": "https://client.example/gone", "anchor": "x"}]
    )
    leak = "<p>As an AI language model, I cannot run on trails myself.</p>"
    Content.objects.filter(pk=changed.pk).update(content_html=changed.content_html + leak)

    assert (
        contents_move_to_review(site=Site.objects.get(pk=site.pk), content_ids=[unchanged.pk, changed.pk])
        == 2
    )

    unchanged, changed = (Content.objects.select_related("task").get(pk=c.pk) for c in (unchanged, changed))
    assert unchanged.quality["findings"] == [
        {"code": "invalid_links", "message": ANY, "severity": "error"},
        PLANTED,
    ]
    assert unchanged.quality["score"] == 100 - 25 - 10
    assert [item["code"] for item in changed.quality["findings"]] == ["leaked_prompt"]
    live = live_urls(site_id=site.pk, contents=[changed])
    afresh = quality_report(article_under_review(changed, voice=None, live=live, with_images=True))
    assert (changed.quality["score"], changed.quality["findings"], changed.quality["voice"]) == (
        afresh.score,
        afresh.findings,
        afresh.voice,
    )


def test_an_article_keeps_the_text_checks_made_of_its_answer_only_when_they_are_of_its_text(tenant):
    """The save keeps the call thread's review of the answer when its digest is the stored text's."""
    site = tenant.site
    task_of = {title: make_content(site=site, title=title).task for title in ("Trail shoes", "Road shoes")}
    for content in Content.objects.all():
        content.delete()  # their tasks are queued again for the articles below
    article = ArticleFields(title="Trail shoes", content_html="<p>Trail shoes grip.</p>", word_count=3)
    review = quality_report(
        ArticleUnderReview(
            title=article.title,
            content_html=article.content_html,
            meta_description="",
            target_words=task_of["Trail shoes"].word_count,
            brief=task_of["Trail shoes"].description,
        )
    )
    review.findings.append(PLANTED)

    kept = content_create_for_task(
        site=site, task=task_of["Trail shoes"], article=article, answer_review=review
    )
    other = ArticleFields(title="Road shoes", content_html="<p>Road shoes cushion.</p>", word_count=3)
    read_again = content_create_for_task(
        site=site, task=task_of["Road shoes"], article=other, answer_review=review
    )

    assert PLANTED in kept.quality["findings"] and kept.quality["text_digest"] == review.text_digest
    assert PLANTED not in read_again.quality["findings"]


def test_an_edit_checks_the_article_again_and_its_link_list_follows_its_html(owner_client, tenant):
    site = tenant.site
    kept, dropped = "https://client.example/trail-guide", "https://client.example/rain-jackets"
    for url in (kept, dropped):
        SitePage.objects.create(
            account=tenant.account, site=site, url=url, title=url, source=PageSource.SITEMAP, http_status=200
        )
    content = long_article(make_content(site=site, title="Trail shoes"), sections=4)
    with_one_link = content.content_html.replace("wet rock", f'<a href="{kept}">wet rock</a>', 1)
    with_two_links = with_one_link.replace("long runs", f'<a href="{dropped}">long runs</a>', 1)
    # A draft's edit gets the text checks again: here, a paragraph pasted twice.
    content = content_update(
        content=content, fields={"content_html": with_two_links + f"<p>{PARAGRAPH} Point 0 is its own.</p>"}
    )
    assert content.quality["checked"] == "text"
    assert [item["code"] for item in content.quality["findings"]] == ["repeated_paragraph"]
    links = [{"url": kept, "anchor": "wet rock"}, {"url": dropped, "anchor": "long runs"}]
    Content.objects.filter(pk=content.pk).update(links=links)
    (image,) = image_prompts_create(content=content, prompts=["Trail shoes on wet rock"])
    image_store(image=image, png=b"png")
    contents_move_to_review(site=site, content_ids=[content.pk])

    # In review, an edit gets the full gate again, and the link taken out of the HTML leaves the list.
    response = owner_client.patch(f"{BASE}{content.pk}/", {"content_html": with_one_link}, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    assert (data["quality"]["checked"], data["quality"]["score"], data["quality"]["flagged"]) == (
        "full",
        100,
        False,
    )
    assert data["links"] == [{"url": kept, "anchor": "wet rock"}]


def test_a_link_typed_into_the_html_to_a_page_of_the_site_joins_the_link_list(owner_client, tenant):
    site = tenant.site
    page, gone = "https://client.example/trail-guide", "https://client.example/old-sale"
    SitePage.objects.create(
        account=tenant.account, site=site, url=page, title="Guide", source=PageSource.SITEMAP, http_status=200
    )
    SitePage.objects.create(
        account=tenant.account, site=site, url=gone, title="Sale", source=PageSource.CSV, http_status=404
    )
    content = long_article(make_content(site=site, title="Trail shoes"), sections=4)
    typed = (
        content.content_html.replace("wet rock", f'<a href="{page}">wet <em>rock</em></a>', 1)
        .replace("long runs", f'<a href="{page}">long runs</a>', 1)
        .replace("hills", f'<a href="{gone}">hills</a> and <a href="https://elsewhere.example/">more</a>', 1)
    )

    response = owner_client.patch(f"{BASE}{content.pk}/", {"content_html": typed}, format="json")

    assert response.status_code == 200, response.json()
    data = response.json()["data"]
    # Each page once, with its first anchor; the page that answered 404 is listed too, for the gate
    # to flag. The link elsewhere is not the site's.
    assert data["links"] == [{"url": page, "anchor": "wet rock"}, {"url": gone, "anchor": "hills"}]
    untyped = {"content_html": content.content_html}
    assert owner_client.patch(f"{BASE}{content.pk}/", untyped, format="json").json()["data"]["links"] == []
