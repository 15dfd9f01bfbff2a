"""An article's HTML read into what the checks look at, and the outline a brief asks for.

Plain Python, no Django: the offline generator (ai.offline) and the quality gate read alike.
"""

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_BLOCK_TAGS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "td", "th", "figcaption", "pre"}
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_OUTLINE_START = re.compile(r"^\s*outline\s*:\s*", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*•]|\d+[.)])\s+")
_MEANINGLESS = frozenset(
    """a an and are as at be but by can for from how in into is it its of on or our the their this that
    these those to what when where which who why will with you your about more most some than very
    also each such only over been being both like does have has""".split()
)
MAX_OUTLINE_ITEMS = 12


@dataclass
class ArticleParts:
    headings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)  # <p> texts, whitespace collapsed
    blocks: list[str] = field(default_factory=list)  # every block's text, headings and list items too
    image_alts: list[str | None] = field(default_factory=list)  # each <img>'s alt (None: no attribute)
    hrefs: list[str] = field(default_factory=list)  # each <a>'s href
    anchors: list[tuple[str, str]] = field(default_factory=list)  # each closed <a>'s (href, text)

    @property
    def text(self) -> str:
        return "\n".join(self.blocks)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = ArticleParts()
        self.open: list[str] = []  # the block tags open now
        self.buffer: list[str] = []
        self.anchor: tuple[str, list[str]] | None = None  # the open <a>'s href and text so far

    def handle_starttag(self, tag, attrs):
        if tag == "img":
            self.parts.image_alts.append(dict(attrs).get("alt"))
        elif tag == "a":
            self.parts.hrefs.append(dict(attrs).get("href") or "")
            self.anchor = (self.parts.hrefs[-1], [])
        elif tag in _BLOCK_TAGS:
            self.flush()
            self.open.append(tag)

    def handle_endtag(self, tag):
        if tag == "a" and self.anchor is not None:
            href, text = self.anchor
            self.parts.anchors.append((href, " ".join("".join(text).split())))
            self.anchor = None
        elif tag in _BLOCK_TAGS and tag in self.open:
            self.flush()
            while self.open and self.open.pop() != tag:
                pass

    def handle_data(self, data):
        self.buffer.append(data)
        if self.anchor is not None:
            self.anchor[1].append(data)

    def flush(self):
        text = " ".join("".join(self.buffer).split())
        self.buffer = []
        if not text:
            return
        tag = self.open[-1] if self.open else "p"
        self.parts.blocks.append(text)
        if tag in _HEADING_TAGS:
            self.parts.headings.append(text)
        elif tag == "p":
            self.parts.paragraphs.append(text)


def article_parts(content_html: str) -> ArticleParts:
    reader = _Reader()
    reader.feed(content_html or "")
    reader.close()
    reader.flush()
    return reader.parts


def outline_items(brief: str) -> list[str]:
    """The sections a brief asks for: after "Outline:", split on ";" or lines; or its bulleted lines."""
    brief = html.unescape(brief or "").strip()
    if _OUTLINE_START.match(brief):
        items = re.split(r"[;\n]", _OUTLINE_START.sub("", brief, count=1))
    else:
        items = [_BULLET.sub("", line) for line in brief.splitlines() if _BULLET.match(line)]
    items = [" ".join(item.split()).strip(" .") for item in items]
    return [item for item in items if meaningful_words(item)][:MAX_OUTLINE_ITEMS]


def meaningful_words(text: str) -> set[str]:
    """Lower-case words of three letters or more that say something, cut to five letters (a rough stem)."""
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {word[:5] for word in words if len(word) >= 3 and word not in _MEANINGLESS}


def outline_items_missing(items: list[str], headings: list[str]) -> list[str]:
    """Outline items no heading speaks of (no meaningful word in common with any heading)."""
    heading_words = [meaningful_words(heading) for heading in headings]
    return [item for item in items if not any(meaningful_words(item) & words for words in heading_words)]


def alt_text(prompt: str) -> str:
    """An image's alt text, from its prompt: its first sentence, short (alt text is read aloud)."""
    text = re.split(r"[.;\n]", html.unescape(prompt).strip(), maxsplit=1)[0]
    return text[:125].strip()
