"""A run on a site with a brand voice, through the API and a real worker: the terms are honoured,
every article reaches review with its quality verdict, and the gate's regeneration is charged once."""

import math

import pytest

from ai.models import AITaskLog
from billing.models import CreditTransaction
from planner.models import ContentIdea, SiteKnowledge
from planner.terms import terms_found, terms_missing
from tests.integration.pipeline import assert_exactly_once, setup_site, start_run, wait_until_ended
from writer.article_html import article_parts
from writer.models import Content, Image, Task

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]
VOICE = {
    "tone": "friendly, practical",
    "audience": "weekend runners and home baristas",
    "point_of_view": "second",
    "reading_level": 7,
    "required_terms": ["Acme Outdoors", "step by step"],
    "banned_terms": ["best", "cheap", "guaranteed"],
    "sample_paragraph": "You don't need much to start. Pick one thing, do it well, and build from there.",
}


def article_text(content: Content) -> str:
    return "\n".join([content.title, *article_parts(content.content_html).blocks, content.meta_description])


def run_with_voice(client, site, voice) -> None:
    response = client.put(f"/api/v1/planner/voice/?site_id={site.pk}", voice, format="json")
    assert response.status_code == 200, response.json()
    run = wait_until_ended(start_run(client, site))
    assert run.status == "completed", run.error_message
    return run


def test_articles_of_a_site_with_a_voice_honour_its_terms_and_reach_review_scored(fake_openai, worker):
    account, site, client = setup_site()
    run = run_with_voice(client, site, VOICE)
    contents = list(Content.objects.filter(site=site))
    assert contents and {content.status for content in contents} == {"review"}
    for content in contents:
        text = article_text(content)
        assert terms_missing(text, VOICE["required_terms"]) == [], content.title
        assert terms_found(text, VOICE["banned_terms"]) == [], content.title
        assert content.quality["checked"] == "full" and 0 <= content.quality["score"] <= 100
        assert content.quality["voice"]["reading_level_target"] == 7
    for idea in ContentIdea.objects.filter(site=site):
        assert terms_found(f"{idea.idea_title}\n{idea.description}", VOICE["banned_terms"]) == []
    prompts = Image.objects.filter(site=site).values_list("prompt", flat=True)
    assert prompts and not any(terms_found(prompt, VOICE["banned_terms"]) for prompt in prompts)
    assert_exactly_once(site, run)

    listed = client.get(f"/api/v1/writer/content/?site_id={site.pk}&status=review").json()["results"]
    assert {item["id"] for item in listed} == {content.pk for content in contents}
    assert all(isinstance(item["quality"]["score"], int) and "findings" in item["quality"] for item in listed)


def test_an_article_below_the_threshold_is_written_once_more_charged_for_both_and_flagged(
    fake_openai, worker
):
    account, site, client = setup_site()
    # Offline articles read near grade 6: a target of 16 costs each one a warning, so none reaches 100.
    SiteKnowledge.objects.create(account=account, site=site, quality_threshold=100)
    run = run_with_voice(client, site, {**VOICE, "reading_level": 16})

    contents = list(Content.objects.filter(site=site))
    assert len(contents) == Task.objects.filter(site=site).count() > 0
    assert all(content.regenerated for content in contents)
    assert all(content.quality["flagged"] and content.status == "review" for content in contents)
    asked = [r for r in fake_openai.requests if r["schema_name"] == "generate_content" and r["status"] == 200]
    assert len(asked) == 2 * len(contents)
    # Each answer priced on its own, as the reference prices a regeneration: 1 credit per 100 words.
    ledger = CreditTransaction.objects.filter(automation_run_id=run.run_id, stage=4)
    assert ledger.count() == len(contents)
    expected = sum(2 * math.ceil(content.word_count / 100) for content in contents)
    assert -sum(ledger.values_list("amount", flat=True)) == expected == run.stage_4_result["credits_used"]
    logs = AITaskLog.objects.filter(automation_run_id=run.run_id, function="generate_content")
    assert sum(logs.values_list("credits_used", flat=True)) == expected
    assert run.stage_4_result["content_created"] == run.stage_4_result["regenerated"] == len(contents)
