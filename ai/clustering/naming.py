"""Cluster names: the head term a marketer would file the keywords under ('Running Shoes')."""

import math
from collections import Counter, defaultdict

from ai.clustering.lexical import words


def _title(text: str) -> str:
    return " ".join(part[:1].upper() + part[1:] for part in text.split())


def _phrases(text: str) -> dict[str, str]:
    """Stem phrase → surface phrase for the meaningful words and adjacent word pairs of a keyword."""
    pairs = words(text)
    found = {stem: surface for stem, surface in pairs}
    for (stem_a, surface_a), (stem_b, surface_b) in zip(pairs, pairs[1:], strict=False):
        if stem_a != stem_b:
            found.setdefault(f"{stem_a} {stem_b}", f"{surface_a} {surface_b}")
    return found


def head_terms(keywords: list[str]) -> list[str]:
    """Candidate names for a group of keywords, best first.

    A word pair shared by at least 60% as many keywords as the most shared word wins over that
    word ('Coffee Table' over 'Table'); a keyword alone is named after its meaningful words.
    """
    counts: Counter[str] = Counter()
    surfaces: dict[str, Counter[str]] = defaultdict(Counter)
    for keyword in keywords:
        for stem, surface in _phrases(keyword).items():
            counts[stem] += 1
            surfaces[stem][surface] += 1
    if not counts:
        return [_title(keywords[0]) if keywords else "General"]
    top_word = max((c for p, c in counts.items() if " " not in p), default=0)
    floor = max(2, math.ceil(top_word * 0.6)) if len(keywords) > 1 else 1

    def rank(phrase: str) -> tuple:
        is_pair = " " in phrase
        strong_pair = is_pair and counts[phrase] >= floor
        return (not strong_pair, -counts[phrase], is_pair, phrase)

    ranked = sorted(counts, key=rank)
    names = []
    if len(keywords) == 1:
        names.append(_title(" ".join(surface for _, surface in words(keywords[0])[:4])))
    for phrase in ranked:
        surface = max(sorted(surfaces[phrase]), key=lambda s: surfaces[phrase][s])
        names.append(_title(surface))
    return list(dict.fromkeys(names))


def existing_match(candidates: list[str], existing: list[str]) -> str | None:
    """The existing cluster name whose words cover the group's head term ('Brew' → 'Home Brewing')."""
    if not candidates:
        return None
    head = {stem for stem, _ in words(candidates[0])}
    if not head:
        return None
    for name in existing:
        if head <= {stem for stem, _ in words(name)}:
            return name
    return None


def describe(name: str, keywords: list[str]) -> str:
    return f"Search topics around {name.lower()}, such as {', '.join(keywords[:3])}."
