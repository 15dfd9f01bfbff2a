"""The AI function specs: plain Python that matches the models, and offline answers from structured input."""

import jsonschema
import pytest

from ai import specs
from ai.errors import AIError
from ai.functions import FUNCTIONS
from ai.providers import OfflineProvider
from planner.models import ContentStructure, ContentType


def test_the_idea_spec_offers_exactly_the_planner_choices():
    assert tuple(ContentType.values) == specs.CONTENT_TYPES
    assert tuple(ContentStructure.values) == specs.CONTENT_STRUCTURES


def test_every_function_has_a_spec_and_every_text_spec_an_offline_answer():
    assert set(FUNCTIONS) == set(specs.SPECS)
    for spec in specs.SPECS.values():
        assert spec.is_image or spec.offline_answer is not None, spec.name


@pytest.mark.parametrize(
    ("spec", "data"),
    [
        (specs.AUTO_CLUSTER, {"keywords": ["solar panel cost", "solar panel size", "heat pump"]}),
        (
            specs.GENERATE_IDEAS,
            {"cluster": {"name": "Solar", "description": "", "keywords": ["solar"]}, "count": 2},
        ),
        (
            specs.GENERATE_CONTENT,
            {
                "title": "Solar",
                "primary_keyword": "solar",
                "secondary_keywords": [],
                "brief": "",
                "word_count": 300,
                "content_structure": "article",
            },
        ),
        (
            specs.GENERATE_IMAGE_PROMPTS,
            {"title": "Solar", "primary_keyword": "solar", "summary": "s", "in_article_count": 2},
        ),
    ],
)
def test_the_offline_provider_answers_from_the_structured_input_within_the_schema(spec, data):
    answer = OfflineProvider().complete_json(spec=spec, data=data, model="")
    jsonschema.validate(answer.data, spec.schema)
    assert answer.model.startswith("offline")


def test_reading_an_article_counts_its_real_words_and_refuses_an_empty_one():
    fields = {
        "title": " A  title ",
        "content_html": "<h2>Two words</h2><p>and three more</p>",
        "meta_title": "m",
        "meta_description": "d",
        "primary_keyword": "k",
        "secondary_keywords": [],
        "tags": [],
        "categories": [],
    }
    article = specs.read_article(fields)
    assert (article.title, article.word_count) == ("A title", 5)
    with pytest.raises(AIError):
        specs.read_article({**fields, "content_html": "<p> </p>"})


def test_image_prompts_drop_blanks_and_keep_the_featured_one_first():
    data = {"featured_prompt": " hero ", "in_article_prompts": ["", "one", "two", "three"]}
    assert specs.read_image_prompts(data, limit=3) == ["hero", "one", "two"]
    with pytest.raises(AIError):
        specs.read_image_prompts({"featured_prompt": " ", "in_article_prompts": []}, limit=3)
