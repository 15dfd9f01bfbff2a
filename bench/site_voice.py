"""Brand-voice harness (not a test): offline articles for a few voices × topics, checked as the gate checks.

    .venv/bin/python bench/site_voice.py

For each voice and topic: stage 2's offline ideas, stage 4's offline article for each idea and
stage 5's offline image prompts, all given the voice as the prompts carry it. Reported per voice:
the share of articles holding every required term and no banned one (target: all), ideas and image
prompts free of banned terms, the reading level measured against the target, and the quality score.
Plain Python: no database, no key. docs/SITE-KNOWLEDGE.md records the numbers.
"""

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ai import offline_voice  # noqa: E402
from planner.terms import terms_found, terms_missing  # noqa: E402
from writer.quality import article_from_answer, quality_report  # noqa: E402

TOPICS = {
    "Running shoes": [
        "best running shoes",
        "trail running shoes",
        "running shoes for flat feet",
        "cheap running shoes",
    ],
    "Cold brew": [
        "cold brew coffee ratio",
        "how to make cold brew coffee",
        "easy cold brew recipe",
        "best coffee for cold brew",
    ],
    "Solar power": [
        "solar panels for home",
        "best solar inverter",
        "solar panel cost guide",
        "cheap solar batteries",
    ],
    "Houseplants": [
        "easy houseplants",
        "best low light plants",
        "how to repot a plant",
        "houseplant care tips",
    ],
    "Budget travel": [
        "cheap flights to europe",
        "best travel backpack",
        "travel insurance guide",
        "easy packing tips",
    ],
    "Home office": [
        "best standing desk",
        "ergonomic office chair",
        "home office lighting tips",
        "cheap monitor arm",
    ],
}
VOICES = {
    "outdoor brand": {
        "tone": "upbeat",
        "point_of_view": "second person",
        "reading_level": 6,
        "required_terms": ["Acme Outdoors", "step by step"],
        "banned_terms": ["cheap", "best", "guaranteed"],
    },
    "expert adviser": {
        "tone": "measured",
        "point_of_view": "third person",
        "reading_level": 10,
        "required_terms": ["evidence", "Northwind Advisory"],
        "banned_terms": ["easy", "tips", "hack"],
    },
    "plain speaker": {
        "tone": "plain",
        "reading_level": 8,
        "required_terms": ["in plain words"],
        "banned_terms": ["guide", "top", "simple", "mistakes"],
    },
    "academic": {
        "tone": "formal",
        "point_of_view": "first person",
        "reading_level": 14,
        "required_terms": ["methodology", "peer-reviewed research", "Lumen Institute"],
        "banned_terms": ["best", "cheap", "easy", "you"],
    },
}


def article_text(article: dict) -> str:
    return "\n".join([article["title"], article["content_html"], article["meta_description"]])


def run_voice(voice: dict) -> dict:
    rows = []
    for name, keywords in TOPICS.items():
        cluster = {"name": name, "description": "", "keywords": keywords}
        ideas = offline_voice.ideas_answer({"cluster": cluster, "count": 3, "voice": voice})["ideas"]
        for idea in ideas:
            brief = {
                "title": idea["title"],
                "primary_keyword": idea["covered_keywords"][0],
                "secondary_keywords": idea["covered_keywords"][1:],
                "brief": idea["description"],
                "word_count": idea["estimated_word_count"],
                "content_structure": idea["content_structure"],
                "voice": voice,
            }
            article = offline_voice.article_answer(brief)
            prompts = offline_voice.image_prompts_answer(
                {
                    "title": article["title"],
                    "primary_keyword": article["primary_keyword"],
                    "summary": article["meta_description"],
                    "in_article_count": 2,
                    "voice": voice,
                }
            )
            report = quality_report(
                article_from_answer(
                    article, target_words=brief["word_count"], brief=brief["brief"], voice=voice
                )
            )
            text = article_text(article)
            prompt_text = "\n".join([prompts["featured_prompt"], *prompts["in_article_prompts"]])
            rows.append(
                {
                    "honoured": not terms_missing(text, voice["required_terms"])
                    and not terms_found(text, voice["banned_terms"]),
                    "idea_clean": not terms_found(
                        f"{idea['title']}\n{idea['description']}", voice["banned_terms"]
                    ),
                    "prompts_clean": not terms_found(prompt_text, voice["banned_terms"]),
                    "grade": report.voice["reading_level"],
                    "score": report.score,
                }
            )
    grades = [row["grade"] for row in rows]
    return {
        "articles": len(rows),
        "honoured": sum(row["honoured"] for row in rows) / len(rows),
        "ideas_clean": sum(row["idea_clean"] for row in rows) / len(rows),
        "prompts_clean": sum(row["prompts_clean"] for row in rows) / len(rows),
        "grade_mean": statistics.mean(grades),
        "grade_min": min(grades),
        "grade_max": max(grades),
        "target": voice["reading_level"],
        "score_mean": statistics.mean(row["score"] for row in rows),
        "score_min": min(row["score"] for row in rows),
    }


COLUMNS = [
    "voice",
    "articles",
    "all terms honoured",
    "ideas clean",
    "prompts clean",
    "grade target",
    "grade measured (mean, min–max)",
    "quality (mean, min)",
]


def main() -> None:
    print("| " + " | ".join(COLUMNS) + " |")
    print("|" + "---|" * len(COLUMNS))
    for name, voice in VOICES.items():
        r = run_voice(voice)
        cells = [
            name,
            r["articles"],
            f"{r['honoured']:.0%}",
            f"{r['ideas_clean']:.0%}",
            f"{r['prompts_clean']:.0%}",
            r["target"],
            f"{r['grade_mean']:.1f} ({r['grade_min']:.1f}–{r['grade_max']:.1f})",
            f"{r['score_mean']:.0f}, {r['score_min']}",
        ]
        print("| " + " | ".join(map(str, cells)) + " |")


if __name__ == "__main__":
    main()
