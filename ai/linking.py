"""Internal links in an article's HTML: inserted with anchors drawn from its text, or checked.

Plain Python, no Django, deterministic. The HTML is walked with the standard library's parser and
only the text runs that change are rewritten; every other byte of the article stays as it was.
An anchor is the longest run of the article's words whose meaningful words (stemmed, stop words
left out) also run, in that order, in the target's title: two meaningful words at least, since a
one-word anchor ("coffee") says nothing of the page it leads to; a run that does not cut a phrase
in two comes first. No such run, no link.
"""

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser

from ai.clustering.lexical import stem

# Words that may sit inside an anchor but never count towards it (nor start or end it): function
# words, and the stock words of titles ("common mistakes", "a beginner's guide"), which say nothing
# of what one page is about.
LINK_STOP_WORDS = frozenset(
    """a an and are as at be by can do does for from how i in is it its of on or our that the this
    to what when where which who why will with you your vs more most very than then into about
    guide guides beginner beginners beginner's tips ideas best top review reviews mistake mistakes
    common step steps budget small explained problems fixes troubleshooting ultimate complete
    everything know need things ways way""".split()
)
HEADINGS = frozenset("h1 h2 h3 h4 h5 h6".split())
# Text inside these is never linked: headings, links, captions and code.
FORBIDDEN = HEADINGS | frozenset("a figcaption caption code pre script style button label title".split())
BLOCKS = frozenset("p li td th dd dt blockquote".split())  # the "paragraphs" a link may sit in
VOID = frozenset("area base br col embed hr img input link meta param source track wbr".split())
MIN_ANCHOR_WORDS = 2
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_JOINER = re.compile(r"[ \t\n\r\-–]+")  # what may separate two words of one anchor


@dataclass(frozen=True)
class Candidate:
    url: str
    title: str
    keywords: Sequence[str] = ()
    score: float = 0.0


@dataclass
class Linked:
    html: str
    links: list[dict] = field(default_factory=list)  # [{url, anchor}], in the order they were placed


def url_key(url: str) -> str:
    """A URL as compared for "the same page": case of scheme and host, a trailing slash ignored."""
    url = url.strip()
    scheme, separator, rest = url.partition("://")
    if separator:
        host, slash, path = rest.partition("/")
        url = f"{scheme.lower()}://{host.lower()}{slash}{path}"
    return url.rstrip("/")


def is_linkable(url: str) -> bool:
    return url.lower().startswith(("http://", "https://")) or (
        url.startswith("/") and not url.startswith("//")
    )


@dataclass
class _TextRun:
    start: int
    end: int
    text: str
    block: int | None  # the innermost paragraph-like element around it; None: not in one
    forbidden: bool


@dataclass
class _LinkTag:
    start: int  # the start tag's span
    start_end: int
    href: str
    in_heading: bool
    nested: bool
    end: int | None = None  # the end tag's span, when it has one
    end_end: int | None = None
    text: list[str] = field(default_factory=list)


class _Walker(HTMLParser):
    """Text runs and links of an HTML fragment, with their offsets in the source."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=True)
        self.source = source
        self.line_starts = [0] + [match.end() for match in re.finditer("\n", source)]
        self.stack: list[tuple[str, int | None, bool]] = []  # (tag, block id, is a caption)
        self.runs: list[_TextRun] = []
        self.links: list[_LinkTag] = []
        self.open_links: list[_LinkTag] = []
        self.blocks = 0
        self.feed(source)
        self.close()
        self._end_run(len(source))

    def source_offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _end_run(self, offset: int) -> None:
        if self.runs and self.runs[-1].end < 0:
            self.runs[-1].end = offset

    def _inside(self, tags: frozenset) -> bool:
        return any(tag in tags or caption for tag, _, caption in self.stack)

    def handle_starttag(self, tag, attrs):
        start = self.source_offset()
        self._end_run(start)
        raw = self.get_starttag_text() or ""
        if tag == "a":
            link = _LinkTag(
                start=start,
                start_end=start + len(raw),
                href=(dict(attrs).get("href") or "").strip(),
                in_heading=self._inside(HEADINGS),
                nested=bool(self.open_links),
            )
            self.links.append(link)
            self.open_links.append(link)
        if tag in VOID:
            return
        block = None
        if tag in BLOCKS:
            self.blocks += 1
            block = self.blocks
        caption = "caption" in (dict(attrs).get("class") or "").lower()
        self.stack.append((tag, block, caption))

    def handle_startendtag(self, tag, attrs):
        self._end_run(self.source_offset())

    def handle_endtag(self, tag):
        start = self.source_offset()
        self._end_run(start)
        if tag == "a" and self.open_links:
            link = self.open_links.pop()
            link.end = start
            link.end_end = self.source.index(">", start) + 1
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth][0] == tag:
                del self.stack[depth:]
                break

    def handle_data(self, data):
        start = self.source_offset()
        self._end_run(start)
        for link in self.open_links:
            link.text.append(data)
        block = next((block for _, block, _ in reversed(self.stack) if block is not None), None)
        self.runs.append(_TextRun(start, -1, data, block, self._inside(FORBIDDEN)))

    def handle_comment(self, data):
        self._end_run(self.source_offset())

    handle_decl = handle_pi = unknown_decl = handle_comment


def _terms(text: str) -> list[str]:
    """The stems of a text's meaningful words, in order."""
    words = (word.lower() for word in _WORD.findall(text))
    return [stem(word) for word in words if word not in LINK_STOP_WORDS and not word.isdigit()]


def _shared_runs(phrases: list[list[str]]) -> set[tuple[str, ...]]:
    """Every contiguous run (of two stems or more) of the target's phrases."""
    runs = set()
    for phrase in phrases:
        for start in range(len(phrase)):
            for end in range(start + MIN_ANCHOR_WORDS, len(phrase) + 1):
                runs.add(tuple(phrase[start:end]))
    return runs


@dataclass(frozen=True)
class _Anchor:
    weight: int  # meaningful words
    run: int  # index in the runs
    start: int  # character span in the run's text
    end: int
    whole: bool  # no meaningful word runs on right before or after it ("pull-up bars small | apartments")

    @property
    def rank(self) -> tuple[bool, int]:
        return self.whole, self.weight


def _runs_on(text: str, words: list, index: int, *, after: bool) -> bool:
    """Whether a meaningful word joins the word `index` directly (after it, or before it)."""
    other = index + 1 if after else index - 1
    if not 0 <= other < len(words) or words[other].group().lower() in LINK_STOP_WORDS:
        return False
    left, right = (words[index], words[other]) if after else (words[other], words[index])
    return bool(_JOINER.fullmatch(text[left.end() : right.start()]))


def _best_anchor(text: str, run_index: int, shared: set[tuple[str, ...]]) -> _Anchor | None:
    """The run of `text` among `shared`: a whole phrase before a cut one, then the longest, then the first."""
    words = list(_WORD.finditer(text))
    best = None
    for first, word in enumerate(words):
        if word.group().lower() in LINK_STOP_WORDS:
            continue
        stems: list[str] = []
        for last in range(first, len(words)):
            if last > first and not _JOINER.fullmatch(text[words[last - 1].end() : words[last].start()]):
                break
            surface = words[last].group().lower()
            if surface in LINK_STOP_WORDS:
                continue
            stems.append(stem(surface))
            if tuple(stems) not in shared and not any(run[: len(stems)] == tuple(stems) for run in shared):
                break
            if tuple(stems) in shared:
                whole = not _runs_on(text, words, first, after=False) and not _runs_on(
                    text, words, last, after=True
                )
                found = _Anchor(len(stems), run_index, word.start(), words[last].end(), whole)
                if best is None or found.rank > best.rank:
                    best = found
    return best


def _target_phrases(candidate: Candidate) -> list[list[str]]:
    return [terms for terms in map(_terms, [candidate.title, *candidate.keywords]) if terms]


def insert_links(
    content_html: str, candidates: Sequence[Candidate], *, max_links: int, self_url: str = ""
) -> Linked:
    """Up to `max_links` links to `candidates` (best first), each with an anchor from the article.

    At most one link per target and one new link per paragraph; never in headings, existing links,
    captions or code; never to `self_url` nor to a target the article already links to.
    """
    walker = _Walker(content_html)
    taken = {url_key(link.href) for link in walker.links} | ({url_key(self_url)} if self_url else set())
    used_blocks: set[int] = set()
    placed: list[tuple[_Anchor, str]] = []
    for candidate in candidates:
        if len(placed) >= max_links:
            break
        if url_key(candidate.url) in taken or not is_linkable(candidate.url):
            continue
        shared = _shared_runs(_target_phrases(candidate))
        best = None
        for index, run in enumerate(walker.runs):
            if run.forbidden or run.block is None or run.block in used_blocks:
                continue
            found = _best_anchor(run.text, index, shared)
            if found and (best is None or found.rank > best.rank):
                best = found
        if best is None:
            continue
        taken.add(url_key(candidate.url))
        used_blocks.add(walker.runs[best.run].block)
        placed.append((best, candidate.url))
    return _rewrite(content_html, walker.runs, placed)


def _rewrite(source: str, runs: list[_TextRun], placed: list[tuple[_Anchor, str]]) -> Linked:
    if not placed:
        return Linked(html=source)
    by_run = {anchor.run: (anchor, url) for anchor, url in placed}
    parts, cursor = [], 0
    for index in sorted(by_run):
        anchor, url = by_run[index]
        run = runs[index]
        text = run.text
        parts.append(source[cursor : run.start])
        parts.append(html.escape(text[: anchor.start], quote=False))
        parts.append(f'<a href="{html.escape(url, quote=True)}">')
        parts.append(html.escape(text[anchor.start : anchor.end], quote=False) + "</a>")
        parts.append(html.escape(text[anchor.end :], quote=False))
        cursor = run.end
    parts.append(source[cursor:])
    links = [
        {"url": url, "anchor": runs[anchor.run].text[anchor.start : anchor.end]} for anchor, url in placed
    ]
    return Linked(html="".join(parts), links=links)


def check_links(
    content_html: str, allowed_urls: Sequence[str], *, max_links: int, self_url: str = ""
) -> Linked:
    """The model's links kept where valid; every other link unwrapped to its plain text.

    Valid: it points at one of `allowed_urls` (not `self_url`), outside headings and other links,
    the first to its target, and among the first `max_links` such links.
    """
    allowed = {url_key(url) for url in allowed_urls if is_linkable(url)} - {url_key(self_url)}
    walker = _Walker(content_html)
    kept, seen, cuts = [], set(), []
    for link in walker.links:
        key = url_key(link.href)
        anchor = " ".join("".join(link.text).split())
        valid = key in allowed and key not in seen and not link.in_heading and not link.nested and anchor
        if valid and len(kept) < max_links and link.end is not None:
            seen.add(key)
            kept.append({"url": link.href, "anchor": anchor})
            continue
        cuts.append((link.start, link.start_end))
        if link.end is not None:
            cuts.append((link.end, link.end_end))
    if not cuts:
        return Linked(html=content_html, links=kept)
    parts, cursor = [], 0
    for start, end in sorted(cuts):
        parts.append(content_html[cursor:start])
        cursor = end
    parts.append(content_html[cursor:])
    return Linked(html="".join(parts), links=kept)
