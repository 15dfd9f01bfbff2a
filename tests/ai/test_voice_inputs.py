"""The site's voice reaches the prompts of stages 2, 4 and 5, and the offline answers honour its terms."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai import offline_voice, specs
from ai.engine import run_function
from ai.functions import get_function
from planner.models import SiteKnowledge
from planner.selectors import site_with_settings
from planner.terms import terms_found, terms_missing
from planner.voice import voice_update
from tests.factories import make_cluster, make_content, make_idea
from writer.article_html import article_parts
from writer.models import Content
from writer.selectors import tasks_ready_for_content
from writer.services import ideas_queue_to_writer

VOICE = {
    "tone": "dry",
    "reading_level": 9,
    "required_terms": ["Acme", "cold brew"],
    "banned_terms": ["best", "easy"],
}
CLUSTER = {"name": "Coffee", "description": "", "keywords": ["best coffee grinder", "easy cold brew"]}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("function", "options"),
    [
        ("generate_ideas", {"count": 2}),
        ("generate_content", {}),
        ("generate_image_prompts", {"images_per_content": 3}),
    ],
)
def test_each_function_of_stages_2_4_and_5_tells_the_model_the_voice(tenant, function, options):
    site = tenant.site
    content = make_content(site=site, title="Cold brew at home")
    subject = {
        "generate_ideas": lambda: make_cluster(site=site, name="Coffee", keywords=["cold brew ratio"]),
        "generate_content": lambda: tasks_ready_for_content(site=site).first() or content.task,
        "generate_image_prompts": lambda: content,
    }[function]()
    ai_function = get_function(function)
    assert "voice" not in ai_function.build_input(subject, site=site, options=options)
    voice_update(site=site, fields=VOICE)
    data = ai_function.build_input(subject, site=site, options=options)
    assert data["voice"] == {
        "tone": "dry",
        "reading_level": 9,
        **{k: VOICE[k] for k in ("required_terms", "banned_terms")},
    }
    prompt = ai_function.spec.prompt(data)
    assert specs.VOICE_INSTRUCTIONS in prompt and '"banned_terms"' in prompt


def test_the_offline_article_has_every_required_term_and_no_banned_one():
    data = {
        "title": "The Best Easy Cold Brew",
        "primary_keyword": "easy cold brew",
        "secondary_keywords": ["best coffee grinder"],
        "brief": "Outline: ratios; grind size; a short FAQ",
        "word_count": 600,
        "content_structure": "guide",
        "voice": {**VOICE, "required_terms": ["Acme", "step by step"]},
    }
    article = offline_voice.article_answer(data)
    text = "\n".join(
        [article["title"], *article_parts(article["content_html"]).blocks, article["meta_description"]]
    )
    assert (
        terms_missing(text, ["Acme", "step by step"]) == [] and terms_found(text, VOICE["banned_terms"]) == []
    )
    assert {"Ratios", "Grind Size", "A Short FAQ"} <= set(article_parts(article["content_html"]).headings)
    assert article == offline_voice.article_answer(data)  # still deterministic


def test_offline_ideas_and_image_prompts_leave_banned_terms_out():
    ideas = offline_voice.ideas_answer({"cluster": CLUSTER, "count": 2, "voice": VOICE})["ideas"]
    assert not any(terms_found(f"{idea['title']} {idea['description']}", ["best", "easy"]) for idea in ideas)
    assert {k for idea in ideas for k in idea["covered_keywords"]} == set(
        CLUSTER["keywords"]
    )  # matched back exactly
    prompts = offline_voice.image_prompts_answer(
        {
            "title": "Best cold brew",
            "primary_keyword": "easy cold brew",
            "summary": "",
            "in_article_count": 2,
            "voice": VOICE,
        }
    )
    assert not any(
        terms_found(p, ["best", "easy"]) for p in [prompts["featured_prompt"], *prompts["in_article_prompts"]]
    )


def answer(text: str) -> dict:
    return {
        "title": "Grinders",
        "content_html": f"<h2>Grinders</h2><p>{text}</p>",
        "meta_description": "How to choose a coffee grinder for cold brew without wasting money on features.",
        "meta_title": "Grinders",
        "primary_keyword": "coffee grinder",
        "secondary_keywords": [],
        "tags": [],
        "categories": [],
    }


@pytest.mark.django_db
def test_a_models_answer_is_kept_as_written_and_one_below_the_bar_is_asked_again(fake_openai, tenant):
    site = tenant.site
    voice_update(site=site, fields=VOICE)
    idea = make_idea(cluster=make_cluster(site=site, name="Coffee"), title="Grinders")
    (task,) = ideas_queue_to_writer(site=site, idea_ids=[idea.pk])
    task.word_count = 12
    task.save()
    first = answer("As an AI, I think the best grinder is a burr grinder for cold brew.")
    second = answer("The best grinder for cold brew is a burr grinder from Acme, kept clean.")
    fake_openai.configure(respond_next=[first, second])

    result = run_function("generate_content", {"ids": [task.pk]}, account=tenant.account, site=site)

    content = Content.objects.get(task=task)
    assert content.content_html == second["content_html"] and content.regenerated  # "best" not rewritten
    codes = {item["code"] for item in content.quality["findings"]}
    assert "banned_terms" in codes and not codes & {"leaked_prompt", "required_terms_missing"}
    assert content.quality["voice"]["banned_found"] == ["best"]
    assert result.credits_used == 2 and result.details["regenerated"] == 1


@pytest.mark.django_db
def test_the_inputs_of_a_stage_read_the_sites_settings_and_voice_once(tenant):
    """A stage's site is read with its settings and voice (`site_with_settings`): its items reread neither."""
    site = tenant.site
    voice_update(site=site, fields={"tone": "dry"})
    SiteKnowledge.objects.create(account=tenant.account, site=site, links_per_article=2, quality_threshold=70)
    cluster = make_cluster(site=site, name="Coffee")
    ideas = [make_idea(cluster=cluster, title=f"Cold brew {n}").pk for n in range(3)]
    tasks = ideas_queue_to_writer(site=site, idea_ids=ideas)
    site = site_with_settings(site_id=site.pk)

    with CaptureQueriesContext(connection) as queries:
        units = get_function("generate_content").units(tasks, site=site, options={})

    read = " ".join(query["sql"] for query in queries)
    assert "planner_siteknowledge" not in read and "planner_brandvoice" not in read, read
    assert len(queries) == len(tasks)  # whether the site has pages to link to: none here
    assert [(unit.input["voice"], unit.context["quality_threshold"]) for unit in units] == [
        ({"tone": "dry"}, 70)
    ] * len(tasks)
