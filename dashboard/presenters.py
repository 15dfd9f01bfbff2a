"""Plain data for the dashboard's templates: durations, stage results, sanitised article HTML."""

import re
from datetime import timedelta
from urllib.parse import urlencode

import nh3
from django.urls import reverse
from django.utils import timezone

from automation.models import AutomationRun
from automation.stages import STAGES

NAV = [
    ("sites", "All sites", "dashboard-sites"),
    ("pipeline", "Pipeline", "dashboard"),
    ("runs", "Runs", "dashboard-runs"),
    ("keywords", "Keywords", "dashboard-keywords"),
    ("review", "Review", "dashboard-review"),
    ("publishing", "Publishing", "dashboard-publishing"),
    ("knowledge", "Site knowledge", "dashboard-knowledge"),
    ("settings", "Settings", "dashboard-settings"),
]
# What an article may keep: text structure, links and images; never scripts, styles or handlers.
ARTICLE_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "ul", "ol", "li", "strong", "em", "b", "i",
    "blockquote", "a", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
    "code", "pre",
}  # fmt: skip
ARTICLE_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
HIDDEN_RESULT_KEYS = {"seconds"}
# The config form: (field, label, kind, attributes); the API validates, the page shows its errors inline.
CONFIG_FIELDS = [
    ("is_enabled", "Run on a schedule", "checkbox", {}),
    ("frequency", "Frequency", "select", {"options": ["daily", "weekly", "monthly"]}),
    ("scheduled_time", "Time of day (HH:MM)", "time", {}),
    *[
        (
            f"stage_{stage.number}_batch_size",
            f"Stage {stage.number} batch size",
            "number",
            {"min": 1, "max": 100},
        )
        for stage in STAGES
        if stage.has_batch_size
    ],
    ("within_stage_delay", "Delay between batches (seconds)", "number", {"min": 0, "max": 3600}),
    ("between_stage_delay", "Delay between stages (seconds)", "number", {"min": 0, "max": 3600}),
    ("images_per_content", "Images per article", "number", {"min": 1}),
    *[
        (
            f"max_{what}_per_run",
            f"Most {what} per run (empty: no cap)",
            "number",
            {"min": 1, "optional": True},
        )
        for what in ("keywords", "clusters", "ideas", "tasks", "content", "images", "credits")
    ],
]


def config_fields() -> list[dict]:
    return [
        {"name": name, "label": label, "kind": kind, **attributes}
        for name, label, kind, attributes in CONFIG_FIELDS
    ]


def nav_links(current: str) -> list[dict]:
    return [
        {"label": label, "url": reverse(url_name), "current": key == current} for key, label, url_name in NAV
    ]


def format_duration(delta: timedelta | None) -> str:
    if delta is None:
        return ""
    seconds = max(int(delta.total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


def run_row(run: AutomationRun) -> dict:
    """A run as the history shows it: when it ended, how long it took, what it cost."""
    ended = run.completed_at or run.cancelled_at
    if ended is None and run.status in ("running", "paused"):
        ended = run.paused_at if run.status == "paused" else timezone.now()
    return {
        "run": run,
        "ended_at": run.completed_at or run.cancelled_at,
        "duration": format_duration(ended - run.started_at if ended and run.started_at else None),
        "stage_name": STAGES[run.current_stage - 1].name,
    }


def stage_results(run: AutomationRun) -> list[dict]:
    stages = []
    for stage in STAGES:
        result = run.stage_result(stage.number)
        items = (
            [(key.replace("_", " "), value) for key, value in result.items() if key not in HIDDEN_RESULT_KEYS]
            if result
            else []
        )
        stages.append(
            {
                "number": stage.number,
                "name": stage.name,
                "items": items,
                "ran": result is not None,
                "initial": (run.initial_snapshot or {}).get(f"stage_{stage.number}_initial"),
            }
        )
    return stages


def sanitized_article_html(html: str) -> str:
    return nh3.clean(
        html or "", tags=ARTICLE_TAGS, attributes=ARTICLE_ATTRIBUTES, url_schemes={"http", "https"}
    )


SITE_COLUMNS = [
    ("name", "Site"),
    ("last_run_at", "Last run"),
    ("next_run_at", "Next run"),
    ("failed_items", "Failed items"),
    ("review_queue", "Review queue"),
    ("", "Publishing"),
    ("credits_this_month", "Credits this month / budget"),
]
BULK_LABELS = [
    ("run_now", "Run now"),
    ("pause", "Pause"),
    ("resume", "Resume"),
    ("retry_failed", "Retry failed"),
]


def site_columns(*, ordering: str, search: str, needs_attention: bool) -> list[dict]:
    """The table's headers, each a link that sorts by it (again: the other way)."""
    columns = []
    for key, label in SITE_COLUMNS:
        if not key:
            columns.append({"key": "", "label": label})
            continue
        sorted_now = ordering.lstrip("-") == key
        descending = ordering.startswith("-")
        query = {"ordering": f"-{key}" if sorted_now and not descending else key, "search": search}
        if needs_attention:
            query["needs_attention"] = "true"
        columns.append(
            {
                "key": key,
                "label": label,
                "query": urlencode({name: value for name, value in query.items() if value}),
                "sorted": ("descending" if descending else "ascending") if sorted_now else "",
            }
        )
    return columns


def article_links(links: list[dict]) -> list[dict]:
    """An article's internal links for its page; `safe` when the URL may be a link (http(s) or a path)."""
    return [
        {
            "url": str(link.get("url", "")),
            "anchor": str(link.get("anchor", "")),
            "safe": re.match(r"(?i)^(https?://|/(?!/))", str(link.get("url", ""))) is not None,
        }
        for link in links or []
    ]
