"""The voice check of one article: banned terms found, required terms missing, reading level measured.

Pure and deterministic (plain Python, no Django, no key). The reading level is the Flesch-Kincaid
grade of the article's text, with syllables counted by a spelling heuristic (good to about one
syllable in ten words of ordinary English, which moves a grade by well under one).
"""

import re
from dataclasses import asdict, dataclass
from functools import lru_cache

from planner.terms import terms_found, terms_missing

_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")
_SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)")
_VOWEL_GROUP = re.compile(r"[aeiouy]+")
READING_LEVEL_TOLERANCE = 2  # grades either side of the target that still count as on target


@lru_cache(maxsize=20_000)  # an article repeats its words; the pipeline checks each one up to 3 times
def syllables(word: str) -> int:
    """Syllables of one English word, by its spelling."""
    word = re.sub(r"[^a-z]", "", word.lower())
    if not word:
        return 1  # a number is read as at least one syllable
    count = len(_VOWEL_GROUP.findall(word))
    if len(word) > 2 and word.endswith("e") and not word.endswith(("le", "ee", "ye")):
        count -= 1  # a silent final e: "make", "stone"
    elif re.search(r"[^aeiouy](?<![td])ed$", word) or re.search(r"[^aeiouysxzhcg]es$", word):
        count -= 1  # "-ed" after other than t/d, "-es" after other than a sibilant: no syllable of their own
    return max(1, count)


@dataclass(frozen=True)
class TextStatistics:
    words: int
    sentences: int
    syllables: int

    @property
    def grade(self) -> float | None:
        """The Flesch-Kincaid grade level (0 at the lowest), or None for a text without words."""
        if not self.words:
            return None
        grade = 0.39 * self.words / max(1, self.sentences) + 11.8 * self.syllables / self.words - 15.59
        return round(max(0.0, grade), 1)


def text_statistics(blocks: list[str]) -> TextStatistics:
    """Counted over blocks of text (paragraphs, headings, list items): a block ends a sentence."""
    words = sentences = syllable_count = 0
    for block in blocks:
        found = _WORD.findall(block)
        if not found:
            continue
        words += len(found)
        syllable_count += sum(syllables(word) for word in found)
        stripped = block.strip()
        sentences += len(_SENTENCE_END.findall(stripped)) + (0 if _SENTENCE_END.search(stripped[-1:]) else 1)
    return TextStatistics(words=words, sentences=sentences, syllables=syllable_count)


@dataclass(frozen=True)
class VoiceCheck:
    banned_found: list[str]
    required_missing: list[str]
    reading_level: float | None  # measured grade
    reading_level_target: int | None
    reading_level_distance: float | None  # measured minus target: positive is harder than asked

    @property
    def reading_level_off_target(self) -> bool:
        distance = self.reading_level_distance
        return distance is not None and abs(distance) > READING_LEVEL_TOLERANCE

    def as_dict(self) -> dict:
        return asdict(self)


def voice_check(*, text: str, blocks: list[str], voice: dict | None) -> VoiceCheck:
    """`text` is all the article's words (title, body, meta description); `blocks` its body blocks."""
    voice = voice or {}
    grade = text_statistics(blocks).grade
    target = voice.get("reading_level")
    return VoiceCheck(
        banned_found=terms_found(text, voice.get("banned_terms") or []),
        required_missing=terms_missing(text, voice.get("required_terms") or []),
        reading_level=grade,
        reading_level_target=target,
        reading_level_distance=round(grade - target, 1) if target and grade is not None else None,
    )
