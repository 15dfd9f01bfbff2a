"""Brand-voice terms as text: cleaning a list of them and finding them in text. Plain Python, no Django.

A term matches whole words only, case-insensitively, with any run of spaces between its words:
"AI" is found in "AI tools" but not in "said"; "running shoes" in "Running  shoes".
"""

import re
from collections.abc import Iterable
from functools import lru_cache

MAX_TERMS = 50
MAX_TERM_LENGTH = 100


def terms_clean(values: Iterable[str]) -> list[str]:
    """Trimmed (inner spaces collapsed), blanks dropped, the first spelling of each term kept."""
    kept: dict[str, str] = {}
    for value in values:
        term = " ".join(str(value).split())
        if term and term.casefold() not in kept:
            kept[term.casefold()] = term
    return list(kept.values())


@lru_cache(maxsize=512)
def term_pattern(term: str) -> re.Pattern:
    words = [re.escape(word) for word in term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def term_in(text: str, term: str) -> bool:
    return bool(term.strip()) and term_pattern(term).search(text or "") is not None


def terms_found(text: str, terms: Iterable[str]) -> list[str]:
    """The terms that occur in `text`, in the order given."""
    return [term for term in terms if term_in(text, term)]


def terms_missing(text: str, terms: Iterable[str]) -> list[str]:
    return [term for term in terms if term.strip() and not term_in(text, term)]


def term_remove(text: str, term: str) -> str:
    """`text` without the term's whole-word occurrences, spaces left tidy."""
    without = term_pattern(term).sub("", text)
    without = re.sub(r"[ \t]{2,}", " ", without)
    return re.sub(r" ([,.;:!?])", r"\1", without)


def terms_conflicting(*, required: Iterable[str], banned: Iterable[str]) -> list[str]:
    """Required terms that a banned term matches (the same term, or a banned word inside it)."""
    banned = list(banned)
    return [term for term in required if any(term_in(term, ban) for ban in banned)]
