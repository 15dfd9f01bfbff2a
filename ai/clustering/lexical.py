"""Lexical keyword clustering: each keyword filed under the most shared of its words or word pairs.

Needs nothing beyond the standard library. Generic search modifiers ("best", "how to") are left
out, words are stemmed ("shoes"/"shoe", "running"/"run"), and neighbouring word pairs
("running shoes") count more than single words, so look-alike topics that share one word
("running shoes" / "running injuries") stay apart.
"""

import hashlib
import math
import re
from collections import Counter

# Function words and the modifiers searchers add to any topic ("best", "how to", "for beginners"):
# they say nothing about which topic a keyword belongs to.
GENERIC_WORDS = frozenset(
    """a about after all am an and any are as at be before best better by can cheap cheapest do does
    easy for from get good great guide how i ideas in into is it its me more most my near need new
    no not of on online or our should so than that the their this to top under up vs versus was way
    ways what when where which who why will with without worth you your review reviews tips explained
    much many often fast 2023 2024 2025 2026 beginner beginners pros cons avoid choose start""".split()
)
# A shared word pair ("coffee table") is stronger evidence than a shared word; tuned on
# bench/data/home_fitness.csv, see docs/CLUSTERING.md.
PAIR_BONUS = 3.0


def stem(word: str) -> str:
    """A light suffix stripper: 'shoes'→'shoe', 'running'→'run', 'brewing'→'brew', 'puppies'→'puppy'."""
    for suffix, replacement in (
        ("ies", "y"),
        ("sses", "ss"),
        ("ing", ""),
        ("ers", ""),
        ("er", ""),
        ("ed", ""),
        ("es", "e"),
        ("s", ""),
    ):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith(("ss", "us", "is")):
            word = word[: len(word) - len(suffix)] + replacement
            break
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "lsz":
        word = word[:-1]  # runn → run
    return word


def _meaningful(word: str) -> bool:
    return word not in GENERIC_WORDS and len(word) > 1


def words(text: str) -> list[tuple[str, str]]:
    """(stem, surface word) of the meaningful words of a keyword, in order."""
    return [(stem(word), word) for word in re.findall(r"[a-z0-9]+", text.lower()) if _meaningful(word)]


def word_pairs(text: str) -> list[tuple[tuple[str, str], tuple[str, str]]]:
    """Neighbouring meaningful words ('coffee table'); a generic word between two breaks the pair."""
    found = re.findall(r"[a-z0-9]+", text.lower())
    return [
        ((stem(a), a), (stem(b), b))
        for a, b in zip(found, found[1:], strict=False)
        if _meaningful(a) and _meaningful(b) and stem(a) != stem(b)
    ]


def features(text: str) -> list[str]:
    """The stems of a keyword and its neighbouring stem pairs, without repeats."""
    stems = [s for s, _ in words(text)]
    pairs = [f"{a} {b}" for (a, _), (b, _) in word_pairs(text)]
    return list(dict.fromkeys(stems + pairs))


def cluster(texts: list[str], *, pair_bonus: float = PAIR_BONUS) -> list[list[int]]:
    """Groups of indices of `texts`, each keyword filed under its head term.

    The head term of a keyword is the word, or neighbouring word pair, of it that the most other
    keywords share, a pair counting `pair_bonus` times ('running shoes' heads 'trail running shoes'
    even where 'running' alone is more common, so shoes and injuries stay apart). A keyword that
    shares nothing stays alone rather than being forced into a cluster it does not belong to.
    """
    keyword_features = [features(text) for text in texts]
    frequency = Counter(feature for found in keyword_features for feature in found)
    groups: dict[str, list[int]] = {}
    for index, found in enumerate(keyword_features):
        shared = [feature for feature in found if frequency[feature] > 1]
        head = (
            max(
                shared,
                key=lambda f: (frequency[f] * (pair_bonus if " " in f else 1.0), -found.index(f)),
            )
            if shared
            else f"#{index}"
        )
        groups.setdefault(head, []).append(index)
    return sorted(groups.values(), key=lambda group: group[0])


def topic_pairs(texts: list[str]) -> list[frozenset[str]]:
    """For each keyword, its word pairs that some other keyword shares ('travel insurance')."""
    keyword_pairs = [[f for f in features(text) if " " in f] for text in texts]
    frequency = Counter(pair for found in keyword_pairs for pair in found)
    return [frozenset(pair for pair in found if frequency[pair] > 1) for found in keyword_pairs]


def look_alike(left: frozenset[str], right: frozenset[str]) -> bool:
    """Whether two sets of shared word pairs name look-alike topics: different pairs with a word in
    common ('travel insurance' / 'car insurance', 'running shoes' / 'running injuries')."""
    return any(a != b and set(a.split()) & set(b.split()) for a in left for b in right)


def hashed_vector(text: str, dimensions: int = 256) -> list[float]:
    """A deterministic unit vector of a keyword's features, hashed into `dimensions` slots.

    Keywords that share words point the same way, which is all a test of similarity-aware
    batching needs from an embeddings endpoint.
    """
    vector = [0.0] * dimensions
    for feature in features(text) or [text.lower().strip() or "empty"]:
        digest = hashlib.sha256(feature.encode()).digest()
        slot = int.from_bytes(digest[:4], "big") % dimensions
        vector[slot] += (PAIR_BONUS if " " in feature else 1.0) * (1 if digest[4] % 2 else -1)
    norm = math.sqrt(sum(value * value for value in vector)) or 1.0
    return [value / norm for value in vector]
