"""The review queue shows each article's quality score, findings and voice check, and orders by score."""

import pytest

from ai.offline import placeholder_png
from planner.voice import voice_update
from tests.browser.a11y import check_accessibility
from tests.factories import PASSWORD, make_content
from writer.services import content_update, contents_move_to_review, image_prompts_create, image_store

pytestmark = pytest.mark.django_db(transaction=True)
PARAGRAPH = "Good trail shoes grip wet rock and keep your feet dry on long runs in the hills."


def article_in_review(site, *, title: str, sections: int, alt_ok: bool = True):
    content = make_content(site=site, title=title)
    html = "".join(
        f"<h2>Part {n} on grip</h2><p>{PARAGRAPH} Point {n} is its own.</p>" for n in range(sections)
    )
    content.task.word_count = 60
    content.task.save()
    content = content_update(content=content, fields={"content_html": html, "meta_description": PARAGRAPH})
    (image,) = image_prompts_create(
        content=content, prompts=["Trail shoes on rock" if alt_ok else ". no alt"]
    )
    image_store(image=image, png=placeholder_png(image.prompt, width=240, height=126))
    contents_move_to_review(site=site, content_ids=[content.pk])
    content.refresh_from_db()
    return content


def test_the_review_queue_shows_scores_findings_and_the_voice_check(screen, tenant):
    voice_update(site=tenant.site, fields={"banned_terms": ["hills"], "reading_level": 8})
    clean = article_in_review(tenant.site, title="Trail shoes that grip", sections=1)
    poor = article_in_review(tenant.site, title="Mud and rock", sections=6, alt_ok=False)
    assert clean.quality["score"] > poor.quality["score"]

    me = screen("reviewer")
    me.login(tenant.owner.email, PASSWORD)
    page = me.go("/dashboard/review/")
    page.wait_for_selector(".review-item .quality .score")
    scores = [
        int(s) for s in page.locator(".review-item .score").evaluate_all("e => e.map(n => n.dataset.score)")
    ]
    assert scores == [clean.quality["score"], poor.quality["score"]]
    poor_item = page.locator(f'.review-item[data-content-id="{poor.pk}"]')
    assert poor_item.locator('.finding[data-code="image_alt_missing"]').is_visible()
    assert poor_item.locator('.finding[data-code="banned_terms"]').is_visible()
    assert "banned terms used: hills" in poor_item.locator(".voice-check").inner_text()
    assert "(target 8)" in poor_item.locator(".voice-check").inner_text()
    me.shot("review-quality")

    page.select_option("#review-ordering", "quality_score")
    page.wait_for_selector(f'.review-item:first-child[data-content-id="{poor.pk}"]')
    check_accessibility(me)

    page.click(f'.review-item[data-content-id="{poor.pk}"] a.title')
    page.wait_for_selector("section.quality .score")
    assert page.locator('section.quality .finding[data-code="too_long"]').is_visible()
    me.shot("article-quality")
    assert me.errors == []
