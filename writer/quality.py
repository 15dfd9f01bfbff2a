"""The quality gate: an article's score (0-100) and findings, deterministic and keyless.

Pure (plain Python, no Django): the caller gathers what the checks need (`ArticleUnderReview`).
Each finding costs its severity's points; the score is 100 minus their sum, never below 0.
Links are checked only when the caller knows the site's live pages, images only once they exist.
"""

import hashlib
import html
import json
import re
from collections import Counter
from dataclasses import dataclass, field

from writer.article_html import article_parts, outline_items, outline_items_missing
from writer.voice import voice_check

PENALTY = {"error": 25, "warning": 10, "info": 0}
TOO_SHORT, SHORT, TOO_LONG = 0.7, 0.8, 1.5  # words written as a share of the target
HEADINGS_FROM_WORDS = 300  # an article this long needs sections
META_DESCRIPTION_CHARS = (50, 160)  # what search results show without cutting
REPEAT_MIN_WORDS = 8  # shorter paragraphs ("Read on.") may repeat
_LEAKS = [
    (re.compile(r"\bas an ai\b|\bas a (?:large )?language model\b", re.I), "an AI disclaimer"),
    (re.compile(r"\{\s*\"|\"\s*:\s*[\"\[{]"), "a JSON fragment"),
    (re.compile(r"```"), "a markdown code fence"),
    (
        re.compile(
            r"(?:^|\n)\s*(?:title|meta title|meta description|primary keyword|content_html)\s*:", re.I
        ),
        "a prompt label",
    ),
    (
        re.compile(r"\{\{[^}]*\}\}|\{[a-z_]{2,30}\}|\[(?:insert|your|placeholder|keyword)[^\]]*\]", re.I),
        "a template placeholder",
    ),
    (re.compile(r"\blorem ipsum\b", re.I), "placeholder text"),
]


@dataclass(frozen=True, kw_only=True)
class ArticleUnderReview:
    title: str
    content_html: str
    meta_description: str
    target_words: int | None  # the task's word count
    brief: str = ""  # the task's description: its outline, if it has one
    voice: dict | None = None  # the site's voice as prompts are told it
    links: list[dict] = field(default_factory=list)  # Content.links
    live_urls: frozenset[str] | None = None  # the site's inventory URLs that answered 200; None: unchecked
    image_alts: list[str] | None = None  # alt text of the article's generated images; None: not made yet

    def text_digest(self) -> str:
        """What the text checks read, digested: equal digests, equal text findings and voice check."""
        read = [
            self.title,
            self.content_html,
            self.meta_description,
            self.target_words,
            self.brief,
            self.voice,
        ]
        return hashlib.blake2b(json.dumps(read, sort_keys=True).encode(), digest_size=16).hexdigest()


def article_from_answer(answer: dict, *, target_words: int | None, brief: str, voice: dict | None):
    """An article as the model answered it (title, content_html, meta_description), before it is stored."""
    return ArticleUnderReview(
        title=answer["title"],
        content_html=answer["content_html"],
        meta_description=answer["meta_description"],
        target_words=target_words,
        brief=brief,
        voice=voice,
    )


# Findings that depend on the site's live pages and the article's images as well as on its text: the
# only ones checked again when the text's own findings are carried over (`quality_report(earlier=)`).
SITE_FINDINGS = frozenset({"invalid_links", "image_alt_missing"})
FINDING_ORDER = (
    "too_short", "short", "too_long", "no_headings", "outline_sections_missing", "leaked_prompt",
    "repeated_paragraph", "invalid_links", "meta_description_missing", "meta_description_length",
    "image_alt_missing", "banned_terms", "required_terms_missing", "reading_level",
)  # fmt: skip


@dataclass
class QualityReport:
    score: int
    findings: list[dict]
    voice: dict
    text_digest: str = ""  # ArticleUnderReview.text_digest of the article checked

    def as_dict(self) -> dict:
        return {
            "score": self.score,
            "findings": self.findings,
            "voice": self.voice,
            "text_digest": self.text_digest,
        }

    @classmethod
    def stored(cls, quality: dict | None) -> "QualityReport | None":
        """The report an article's stored verdict (`Content.quality`) holds, or None before any."""
        if not quality or "score" not in quality:
            return None
        return cls(
            score=quality["score"],
            findings=list(quality.get("findings") or []),
            voice=quality.get("voice") or {},
            text_digest=quality.get("text_digest", ""),
        )


def finding(code: str, message: str, severity: str) -> dict:
    return {"code": code, "message": message, "severity": severity}


def quality_report(article: ArticleUnderReview, *, earlier: QualityReport | None = None) -> QualityReport:
    """The article's score and findings.

    `earlier`: a report made before (the article's stored verdict, or the one of the answer it is
    saved from). When it was made on this very text (same `text_digest`), its text findings and
    voice check are kept and only the links and images are checked again: an article's text is
    read once, however many times its verdict is made.
    """
    digest = article.text_digest()
    parts = article_parts(article.content_html)
    if earlier is None or earlier.text_digest != digest:
        findings, voice = _text_findings(article, parts)
    else:
        findings = [item for item in earlier.findings if item["code"] not in SITE_FINDINGS]
        voice = earlier.voice
    findings = [
        *findings,
        *_link_findings(article.links, article.live_urls),
        *_image_findings(article.image_alts, parts.image_alts),
    ]
    findings.sort(key=lambda item: FINDING_ORDER.index(item["code"]))  # stable: leaks keep their order
    score = max(0, 100 - sum(PENALTY[item["severity"]] for item in findings))
    return QualityReport(score=score, findings=findings, voice=voice, text_digest=digest)


def _text_findings(article: ArticleUnderReview, parts) -> tuple[list[dict], dict]:
    """What the article's text alone says: every finding but those of SITE_FINDINGS, and its voice check."""
    text = "\n".join([article.title, *parts.blocks, article.meta_description])
    voice = voice_check(text=text, blocks=parts.blocks, voice=article.voice)
    findings = [
        *_length_findings(
            len(re.findall(r"\w+(?:['’-]\w+)*", "\n".join(parts.blocks))), article.target_words
        ),
        *_structure_findings(parts, article.brief),
        *_leak_findings(html.unescape(text)),
        *_repeat_findings(parts.paragraphs),
        *_meta_findings(article.meta_description),
        *_voice_findings(voice),
    ]
    return findings, voice.as_dict()


def _length_findings(words: int, target: int | None) -> list[dict]:
    if not target:
        return []
    share = words / target
    said = f"{words} words for a target of {target}"
    if share < TOO_SHORT:
        return [finding("too_short", f"Too short: {said}.", "error")]
    if share < SHORT:
        return [finding("short", f"Short: {said}.", "warning")]
    if share > TOO_LONG:
        return [finding("too_long", f"Too long: {said}.", "warning")]
    return []


def _structure_findings(parts, brief: str) -> list[dict]:
    words = len("\n".join(parts.blocks).split())
    if not parts.headings and words >= HEADINGS_FROM_WORDS:
        return [finding("no_headings", f"No section headings in {words} words.", "error")]
    missing = outline_items_missing(outline_items(brief), parts.headings)
    if missing:
        listed = "; ".join(missing[:5])
        return [finding("outline_sections_missing", f"No heading for the outline's: {listed}.", "warning")]
    return []


def _leak_findings(text: str) -> list[dict]:
    found = []
    for pattern, what in _LEAKS:
        match = pattern.search(text)
        if match:
            excerpt = " ".join(text[max(0, match.start() - 20) : match.end() + 20].split())
            found.append(finding("leaked_prompt", f"The text holds {what}: “{excerpt}”.", "error"))
    return found


def _repeat_findings(paragraphs: list[str]) -> list[dict]:
    counts = Counter(" ".join(p.lower().split()) for p in paragraphs if len(p.split()) >= REPEAT_MIN_WORDS)
    repeated = [paragraph for paragraph, count in counts.items() if count > 1]
    if not repeated:
        return []
    first = repeated[0][:80]
    return [
        finding("repeated_paragraph", f"{len(repeated)} paragraph(s) repeated, e.g. “{first}…”.", "error")
    ]


def _link_findings(links: list[dict], live_urls: frozenset[str] | None) -> list[dict]:
    if live_urls is None:
        return []
    dead = [link.get("url", "") for link in links if link.get("url", "") not in live_urls]
    if not dead:
        return []
    listed = ", ".join(dead[:3])
    return [
        finding("invalid_links", f"{len(dead)} link(s) not to a live page of the site: {listed}.", "error")
    ]


def _meta_findings(meta_description: str) -> list[dict]:
    length = len(" ".join(meta_description.split()))
    low, high = META_DESCRIPTION_CHARS
    if length == 0:
        return [finding("meta_description_missing", "No meta description.", "error")]
    if not low <= length <= high:
        message = f"Meta description of {length} characters (search results show {low} to {high})."
        return [finding("meta_description_length", message, "warning")]
    return []


def _image_findings(image_alts: list[str] | None, inline_alts: list[str | None]) -> list[dict]:
    missing = sum(1 for alt in inline_alts if not (alt or "").strip())
    if image_alts is not None:
        missing += sum(1 for alt in image_alts if not alt.strip())
    if not missing:
        return []
    return [finding("image_alt_missing", f"{missing} image(s) without alt text.", "error")]


def _voice_findings(voice) -> list[dict]:
    found = []
    if voice.banned_found:
        found.append(finding("banned_terms", f"Banned terms used: {', '.join(voice.banned_found)}.", "error"))
    if voice.required_missing:
        missing = ", ".join(voice.required_missing)
        found.append(finding("required_terms_missing", f"Required terms missing: {missing}.", "error"))
    if voice.reading_level_off_target:
        message = (
            f"Reading level {voice.reading_level} for a target of {voice.reading_level_target} "
            f"({voice.reading_level_distance:+} grades)."
        )
        found.append(finding("reading_level", message, "warning"))
    return found
