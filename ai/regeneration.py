"""The quality gate's one regeneration at stage 4: whether a first article is written once more.

Hooks of the `generate_content` AI function (`ai.functions`): the context read with each task's input,
and the decision made on the provider's answer before anything is saved (no database work).
"""

from writer.gate import quality_threshold
from writer.quality import article_from_answer, quality_report


def content_context(task, *, site) -> dict:
    return {"quality_threshold": quality_threshold(site=site)}


def content_again(data: dict, unit) -> dict | None:
    """A first article below the site's quality bar is written once more, told what the gate found.

    The second answer replaces the first whatever its score, and both are charged in the commit that
    saves it (`ai.functions`, generate_content).
    """
    brief = unit.input
    report = quality_report(
        article_from_answer(
            data, target_words=brief["word_count"], brief=brief["brief"], voice=brief.get("voice")
        )
    )
    if report.score >= unit.context["quality_threshold"]:
        return None
    return {**brief, "fix": [item["message"] for item in report.findings]}
