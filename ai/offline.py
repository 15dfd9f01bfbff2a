"""Deterministic content generators for keyless runs: no network, same input → same output.

They serve the `offline` provider and the local OpenAI-compatible server (`devtools.openai_server`), so
both answer alike. Nothing here imports Django.
"""

import hashlib
import html
import io
import math
import random
import re
import textwrap
from collections.abc import Sequence
from html.parser import HTMLParser

from ai import clustering
from ai.clustering.lexical import stem

STOP_WORDS = frozenset(
    """a an and are as at be by can do does for from get how i in is it its me my near of on or our the
    to what when where which who why will with without you your vs versus best top good cheap free easy
    guide tips ideas review reviews online buy price prices cost 2024 2025 2026 new simple quick
    beginner beginners explained care much high many need worth home training train schedule plan
    system process types type cost costs track cutting way ways make using use""".split()
)


def terms(keyword: str) -> list[tuple[str, str]]:
    """(stem, surface word) of the meaningful words of a keyword, in order."""
    words = re.findall(r"[a-z0-9]+", keyword.lower())
    return [(stem(w), w) for w in words if w not in STOP_WORDS and not w.isdigit() and len(w) > 1]


def _title(text: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in text.split())


def cluster_keywords(keywords: list[str], *, existing_names: Sequence[str] = ()) -> list[dict]:
    """Every keyword in exactly one cluster, by the configured method (see `ai.clustering`)."""
    return [group.as_dict() for group in clustering.cluster_keywords(keywords, existing_names)]


def _structure_for(keyword: str) -> str:
    text = f" {keyword.lower()} "
    if " vs " in text or " versus " in text or " compare" in text:
        return "comparison"
    if " best " in text or " top " in text or " ideas " in text:
        return "listicle"
    if " review" in text:
        return "review"
    if text.startswith(" how ") or " guide " in text or " tips " in text:
        return "guide"
    return "article"


_TITLES = {
    "comparison": "{Kw}: Which One Should You Choose?",
    "listicle": "{Kw}: Our Top Picks Explained",
    "review": "{Kw}: An Honest, Hands-On Review",
    "guide": "{Kw}: A Step-by-Step Guide",
    "article": "{Kw}: Everything You Need to Know",
    "landing_page": "{Kw}",
}


def ideas_for_cluster(
    *, cluster_name: str, description: str, keywords: list[str], count: int = 3
) -> list[dict]:
    """`count` ideas whose covered keywords, together, cover every keyword of the cluster."""
    keywords = list(keywords) or [cluster_name]
    count = max(1, min(count, len(keywords))) if len(keywords) < count else count
    shares: list[list[str]] = [[] for _ in range(count)]
    for index, keyword in enumerate(keywords):
        shares[index % count].append(keyword)
    ideas, titles = [], set()
    for number, share in enumerate(shares):
        lead = share[0] if share else cluster_name
        structure = _structure_for(lead)
        title = _TITLES[structure].format(Kw=_title(lead))
        if title.lower() in titles:
            title = f"{title} ({cluster_name}, part {number + 1})"
        titles.add(title.lower())
        seed = int(hashlib.sha256(title.encode()).hexdigest(), 16)
        ideas.append(
            {
                "title": title,
                "description": (
                    f"Outline: what {lead} means for readers interested in {cluster_name.lower()}; "
                    f"key points on {', '.join(share[:4])}; practical advice; common mistakes; a short FAQ."
                ),
                "content_type": "post",
                "content_structure": structure,
                "estimated_word_count": 800 + (seed % 13) * 100,
                "covered_keywords": share,
            }
        )
    return ideas


_SENTENCES = [
    "{Kw} matters because small choices add up to very different results over time.",
    "Most readers start with {kw} when they want a clear answer they can act on today.",
    "A practical way to think about {kw} is to begin with the goal and work backwards.",
    "Experts often point out that {kw} is easier once the basics are in place.",
    "It helps to compare a few options side by side before settling on {kw}.",
    "Keep notes as you go, because what works for {kw} depends on your situation.",
    "Budget, time and experience all shape how you approach {kw}.",
    "The details below explain where {kw} makes the biggest difference.",
    "Many people overlook how {kw} connects to {other}, yet the two go hand in hand.",
    "If you are unsure, test {kw} on a small scale first and adjust from there.",
    "A common mistake with {kw} is trying to do everything at once.",
    "Consistency beats intensity: a steady routine around {kw} pays off.",
]
_SECTION_HEADINGS = [
    "What {Kw} Really Means",
    "Why {Kw} Matters",
    "How to Get Started With {Kw}",
    "Choosing the Right Approach to {Kw}",
    "Common Mistakes With {Kw}",
    "Advanced Tips for {Kw}",
    "{Kw} on a Budget",
    "Frequently Asked Questions About {Kw}",
]
_SUBHEADINGS = ["The Basics", "What to Look For", "Step by Step", "A Practical Example", "Quick Checklist"]


def _paragraph(rng: random.Random, keywords: list[str], sentences: int) -> str:
    parts = []
    for _ in range(sentences):
        keyword = rng.choice(keywords)
        other = rng.choice(keywords)
        template = rng.choice(_SENTENCES)
        parts.append(template.format(kw=keyword, Kw=keyword[:1].upper() + keyword[1:], other=other))
    return " ".join(parts)


def article(
    *,
    title: str,
    primary_keyword: str,
    secondary_keywords: list[str],
    brief: str,
    word_count: int,
    content_structure: str,
    outline: Sequence[str] = (),
) -> dict:
    """A complete HTML article of about `word_count` words (at least 150) built from the inputs.

    `outline`: the sections the brief asks for, written first, each under its own heading.
    """
    target = max(150, int(word_count))
    rng = random.Random(int(hashlib.sha256(title.encode()).hexdigest(), 16))
    keywords = [primary_keyword] + [k for k in secondary_keywords if k] or [title]
    blocks = [f"<p>{html.escape(_paragraph(rng, keywords, 3))}</p>"]
    headings = rng.sample(_SECTION_HEADINGS, k=len(_SECTION_HEADINGS))
    # The brief's outline first, a section each, so the article has the headings it was asked for.
    outline = [_title(item)[:120] for item in outline]
    section = 0
    while html_word_count("".join(blocks)) < target * 0.85 or section < len(outline):
        keyword = keywords[section % len(keywords)]
        heading = (
            outline[section]
            if section < len(outline)
            else headings[section % len(headings)].format(Kw=_title(keyword))
        )
        blocks.append(f"<h2>{html.escape(heading)}</h2>")
        blocks.append(f"<p>{html.escape(_paragraph(rng, keywords, 4))}</p>")
        blocks.append(f"<h3>{html.escape(_SUBHEADINGS[section % len(_SUBHEADINGS)])}</h3>")
        if section % 2 == 0:
            items = "".join(f"<li>{html.escape(_paragraph(rng, keywords, 1))}</li>" for _ in range(3))
            blocks.append(f"<ul>{items}</ul>")
        else:
            blocks.append(f"<p>{html.escape(_paragraph(rng, keywords, 3))}</p>")
        section += 1
    conclusion = f"In short, {primary_keyword} rewards a clear plan. {_paragraph(rng, keywords, 2)}"
    blocks.append("<h2>Conclusion</h2>")
    blocks.append(f"<p>{html.escape(conclusion)}</p>")
    content_html = "\n".join(blocks)
    while html_word_count(content_html) > target * 1.1 and len(blocks) > 3 + 4 * len(outline):
        blocks.pop(-3)  # trim body blocks, keep the conclusion and the outline's sections
        content_html = "\n".join(blocks)
    meta_title = title if len(title) <= 60 else title[:57].rstrip() + "..."
    summary = f"{_title(primary_keyword)}: {brief or 'a practical guide'}"
    meta_description = summary if len(summary) <= 160 else summary[:157].rstrip() + "..."
    tags = sorted({k.lower() for k in keywords[:5]})
    category = _title(terms(primary_keyword)[-1][1]) if terms(primary_keyword) else "General"
    return {
        "title": title,
        "content_html": content_html,
        "meta_title": meta_title,
        "meta_description": meta_description,
        "primary_keyword": primary_keyword,
        "secondary_keywords": list(secondary_keywords),
        "tags": tags,
        "categories": [category],
    }


_STYLES = [
    "natural light photograph",
    "clean flat illustration",
    "editorial photo, shallow depth of field",
    "isometric 3D render",
    "watercolor illustration",
    "top-down flat lay photo",
]


def image_prompts(*, title: str, primary_keyword: str, summary: str, in_article_count: int) -> dict:
    rng = random.Random(int(hashlib.sha256(title.encode()).hexdigest(), 16))
    styles = rng.sample(_STYLES, k=len(_STYLES))
    featured = f"{styles[0]} illustrating {primary_keyword}, for an article titled '{title}', no text"
    scenes = [
        "a close-up detail",
        "a person in action",
        "the tools involved",
        "a before-and-after view",
        "a calm overview scene",
        "a step in progress",
    ]
    in_article = [
        f"{styles[(n + 1) % len(styles)]} of {scenes[n % len(scenes)]} related to {primary_keyword}, no text"
        for n in range(max(0, in_article_count))
    ]
    return {"featured_prompt": featured, "in_article_prompts": in_article}


def placeholder_png(prompt: str, *, width: int = 1200, height: int = 630) -> bytes:
    """A PNG with a colour gradient derived from the prompt and the prompt written on it."""
    from PIL import Image, ImageDraw, ImageFont

    digest = hashlib.sha256(prompt.encode()).digest()
    start, end = digest[:3], digest[3:6]
    column = Image.new("RGB", (1, height))
    for y in range(height):
        t = y / max(1, height - 1)
        column.putpixel((0, y), tuple(int(a + (b - a) * t) for a, b in zip(start, end, strict=True)))
    image = column.resize((width, height))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default()
    lines = textwrap.wrap(prompt, width=max(20, width // 8))[: max(1, height // 16 - 2)]
    for number, line in enumerate(lines):
        draw.text((16, 16 + number * 14), line, fill=(255, 255, 255), font=font)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class _TextCollector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def html_text(content_html: str) -> str:
    """The text of an HTML fragment, its tags dropped."""
    collector = _TextCollector()
    collector.feed(content_html or "")
    collector.close()
    return " ".join(collector.parts)


def html_word_count(content_html: str) -> int:
    return len(re.findall(r"\w+(?:['’-]\w+)*", html_text(content_html)))


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)
