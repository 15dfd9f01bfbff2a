"""The offline generators: deterministic, and output a person would accept."""

import csv
from pathlib import Path

from ai import offline

DEMO_CSV = Path(__file__).resolve().parents[2] / "automation" / "data" / "demo_keywords.csv"


def test_clusters_follow_topics_and_hold_every_keyword_once():
    keywords = [
        "best running shoes",
        "running shoes for flat feet",
        "trail running shoes",
        "how to brew coffee",
        "cold brew coffee ratio",
        "espresso machine reviews",
        "best espresso beans",
    ]
    clusters = offline.cluster_keywords(keywords)
    assert sorted(k for c in clusters for k in c["keywords"]) == sorted(keywords)
    together = {frozenset(c["keywords"]) for c in clusters}
    assert frozenset(keywords[:3]) in together
    assert not any(set(keywords[:3]) & group and set(keywords[3:]) & group for group in together)
    assert offline.cluster_keywords(keywords) == clusters
    assert next(c["name"] for c in clusters if keywords[0] in c["keywords"]) == "Running Shoes"


def test_demo_keywords_cluster_without_mixing_topics():
    keywords = [row["keyword"] for row in csv.DictReader(DEMO_CSV.open())]
    clusters = offline.cluster_keywords(keywords)
    assert sorted(k for c in clusters for k in c["keywords"]) == sorted(keywords)
    topics = ("solar", "dog", "coffee", "budget")
    for cluster in clusters:
        found = {topic for topic in topics for k in cluster["keywords"] if topic in k}
        assert len(found) <= 1, f"{cluster['name']} mixes {found}"
    assert len(clusters) <= len(keywords) // 3


def test_article_is_real_html_of_the_requested_length():
    for target in (300, 1200):
        article = offline.article(
            title="Cold Brew at Home",
            primary_keyword="cold brew coffee",
            secondary_keywords=["coffee ratio"],
            brief="b",
            word_count=target,
            content_structure="guide",
        )
        words = offline.html_word_count(article["content_html"])
        assert 0.85 * target <= words <= 1.1 * target
        assert all(tag in article["content_html"] for tag in ("<h2>", "<h3>", "<p>", "<ul>"))
        assert len(article["meta_title"]) <= 60 and len(article["meta_description"]) <= 160


def test_ideas_cover_every_keyword_and_prompts_and_png_are_deterministic():
    keywords = ["solar panels cost", "solar battery", "best solar inverter", "solar vs wind"]
    ideas = offline.ideas_for_cluster(cluster_name="Solar", description="", keywords=keywords, count=3)
    assert len({idea["title"] for idea in ideas}) == 3
    assert {k for idea in ideas for k in idea["covered_keywords"]} == set(keywords)
    prompts = offline.image_prompts(title="T", primary_keyword="solar", summary="s", in_article_count=2)
    assert len(prompts["in_article_prompts"]) == 2
    png = offline.placeholder_png("a prompt", width=200, height=100)
    assert png.startswith(b"\x89PNG") and png == offline.placeholder_png("a prompt", width=200, height=100)


def test_html_word_count_reads_visible_text_only():
    assert offline.html_word_count("<h2>Two words</h2><p>and&nbsp;three <b>more</b></p><!-- hidden -->") == 5
