"""The quality gate's one regeneration at stage 4: whether a first article is written once more.

Hooks of the `generate_content` AI function (`ai.functions`): the context read with each task's input,
the review of each answer on the call's thread, and the decision made on it before anything is
saved (no database work). The save keeps the review as the article's text verdict.
"""

from ai.links import checked_links
from ai.specs import one_line
from writer.gate import quality_threshold
from writer.quality import QualityReport, article_from_answer, quality_report


def content_context(task, *, site) -> dict:
    return {"quality_threshold": quality_threshold(site=site)}


def content_review(data: dict, unit) -> QualityReport:
    """The text checks of an answer as the save will store it (one line of title, links checked
    against those offered): its digest lets the save keep them instead of checking again."""
    brief = unit.input
    stored = {
        **data,
        "title": one_line(data["title"], 300),
        "content_html": checked_links(data["content_html"], brief).html,
    }
    return quality_report(
        article_from_answer(
            stored, target_words=brief["word_count"], brief=brief["brief"], voice=brief.get("voice")
        )
    )


def content_again(data: dict, unit, review: QualityReport) -> dict | None:
    """A first article below the site's quality bar is written once more, told what the gate found.

    The second answer replaces the first whatever its score, and both are charged in the commit that
    saves it (`ai.functions`, generate_content).
    """
    if review.score >= unit.context["quality_threshold"]:
        return None
    return {**unit.input, "fix": [item["message"] for item in review.findings]}
