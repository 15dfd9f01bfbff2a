"""The offline answers of the functions a site's voice and a task's outline shape: every required term
in the article, no banned term in an idea, an article or an image prompt, the outline's sections as
headings. Plain Python, no Django; `ai.offline` makes the answers, this module fits them.

Only the offline provider (and the local OpenAI-compatible server, which answers alike) rewrites its
own answers this way; a real model's answer is kept as written and the voice check reports it.
"""

import html
import re

from ai import offline
from planner.terms import term_remove, terms_found, terms_missing
from writer.article_html import article_parts, outline_items
from writer.voice import text_statistics

_TAG = re.compile(r"(<[^>]+>)")
_REQUIRED_SENTENCES = [
    "Throughout, {term} stays central to how we approach {topic}.",
    "That is also why {term} comes up again and again when people ask about {topic}.",
    "Keep {term} in mind at every step.",
]


def without_banned(text: str, banned: list[str]) -> str:
    """One line of text without the banned terms."""
    return " ".join(_text_without(text, banned).split())


def html_without_banned(content_html: str, banned: list[str]) -> str:
    """The HTML with banned terms removed from its text; tags are left as they are."""
    parts = _TAG.split(content_html)
    return "".join(part if part.startswith("<") else _text_without(part, banned) for part in parts)


def _text_without(text: str, banned: list[str]) -> str:
    for term in terms_found(text, banned):
        text = term_remove(text, term)
    return text


_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
_SENTENCE_BREAK = re.compile(r"(?<=[a-z0-9])\. (?=[A-Z])")
_JOINS = ["; ", ", and "]
MAX_SENTENCES_JOINED = 4


def joined_sentences(paragraph: str, every: int) -> str:
    """The paragraph with each run of `every` sentences made one (longer sentences read at a higher grade)."""
    pieces = _SENTENCE_BREAK.split(paragraph)
    out = pieces[0]
    for number, piece in enumerate(pieces[1:], start=1):
        if number % every:
            out += _JOINS[number % len(_JOINS)] + piece[:1].lower() + piece[1:]
        else:
            out += ". " + piece
    return out


def at_reading_level(content_html: str, voice: dict | None) -> str:
    """The article with its paragraphs' sentences joined as far as brings its grade nearest the target.

    The offline templates read near grade 6: a lower target is left as it is.
    """
    target = (voice or {}).get("reading_level")
    if not target:
        return content_html
    versions = [
        _PARAGRAPH.sub(lambda match, k=every: f"<p>{joined_sentences(match.group(1), k)}</p>", content_html)
        for every in range(1, MAX_SENTENCES_JOINED + 1)
    ]
    return min(versions, key=lambda html: abs(text_statistics(article_parts(html).blocks).grade - target))


def required_paragraph(terms: list[str], *, topic: str) -> str:
    sentences = [
        _REQUIRED_SENTENCES[number % len(_REQUIRED_SENTENCES)].format(term=term, topic=topic)
        for number, term in enumerate(terms)
    ]
    text = " ".join(sentences)
    return text[:1].upper() + text[1:]


def _terms(voice: dict | None) -> tuple[list[str], list[str]]:
    voice = voice or {}
    return list(voice.get("required_terms") or []), list(voice.get("banned_terms") or [])


def article(answer: dict, voice: dict | None) -> dict:
    """The offline article with a paragraph naming each required term it lacks, and no banned term."""
    required, banned = _terms(voice)
    if not (required or banned or (voice or {}).get("reading_level")):
        return answer
    content_html = answer["content_html"]
    missing = terms_missing(content_html, required)
    if missing:
        paragraph = required_paragraph(missing, topic=answer["primary_keyword"] or answer["title"])
        # Before the conclusion: the article still ends the way it was written to.
        head, marker, tail = content_html.rpartition("<h2>Conclusion</h2>")
        block = f"<p>{html.escape(paragraph)}</p>\n"
        content_html = f"{head}{block}{marker}{tail}" if marker else f"{content_html}\n{block}"
    answer = dict(answer)
    answer["content_html"] = html_without_banned(at_reading_level(content_html, voice), banned)
    for name in ("title", "meta_title", "meta_description"):
        answer[name] = without_banned(answer[name], banned)
    for name in ("tags", "categories"):
        answer[name] = [kept for kept in (without_banned(item, banned) for item in answer[name]) if kept]
    return answer


def ideas(proposed: list[dict], voice: dict | None) -> list[dict]:
    """The ideas with banned terms out of their titles and outlines (covered keywords stay exact)."""
    _, banned = _terms(voice)
    if not banned:
        return proposed
    return [
        {
            **idea,
            "title": without_banned(idea["title"], banned),
            "description": without_banned(idea["description"], banned),
        }
        for idea in proposed
    ]


def image_prompts(answer: dict, voice: dict | None) -> dict:
    _, banned = _terms(voice)
    if not banned:
        return answer
    return {
        "featured_prompt": without_banned(answer["featured_prompt"], banned),
        "in_article_prompts": [without_banned(prompt, banned) for prompt in answer["in_article_prompts"]],
    }


def ideas_answer(data: dict) -> dict:
    cluster = data["cluster"]
    proposed = offline.ideas_for_cluster(
        cluster_name=cluster["name"],
        description=cluster["description"],
        keywords=cluster["keywords"],
        count=data["count"],
    )
    return {"ideas": ideas(proposed, data.get("voice"))}


def article_answer(data: dict) -> dict:
    written = offline.article(
        title=data["title"],
        primary_keyword=data["primary_keyword"],
        secondary_keywords=data["secondary_keywords"],
        brief=data["brief"],
        word_count=data["word_count"],
        content_structure=data["content_structure"],
        outline=outline_items(data["brief"]),
    )
    return article(written, data.get("voice"))


def image_prompts_answer(data: dict) -> dict:
    written = offline.image_prompts(
        title=data["title"],
        primary_keyword=data["primary_keyword"],
        summary=data["summary"],
        in_article_count=data["in_article_count"],
    )
    return image_prompts(written, data.get("voice"))
