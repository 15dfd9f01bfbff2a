"""The voice check: terms matched as whole words in any case, and the reading level measured."""

import pytest

from planner.terms import terms_clean, terms_conflicting, terms_found
from writer.voice import syllables, text_statistics, voice_check

EASY = ["The cat sat on the mat.", "It was a big cat.", "We fed the cat."]
HARD = [
    "Comprehensive organizational restructuring necessitates considerable administrative "
    "coordination, institutional accountability and sophisticated communication infrastructure."
]


@pytest.mark.parametrize(
    ("text", "term", "found"),
    [
        ("Try AI tools today", "ai", True),
        ("She said it twice", "ai", False),
        ("Running  SHOES for kids", "running shoes", True),
        ("running-shoes", "running shoes", False),
        ("cheapest deals", "cheap", False),
        ("cheap, fast", "cheap", True),
    ],
)
def test_terms_match_whole_words_in_any_case(text, term, found):
    assert (terms_found(text, [term]) == [term]) is found


def test_terms_are_trimmed_and_deduplicated_case_insensitively():
    assert terms_clean(["  Trail   running ", "trail RUNNING", "", "Hydration"]) == [
        "Trail running",
        "Hydration",
    ]


def test_a_banned_word_inside_a_required_term_conflicts():
    assert terms_conflicting(required=["cheap flights", "hotels"], banned=["Cheap"]) == ["cheap flights"]


@pytest.mark.parametrize(
    ("word", "count"), [("cat", 1), ("make", 1), ("table", 2), ("jumped", 1), ("wanted", 2), ("beautiful", 3)]
)
def test_syllables_follow_spelling(word, count):
    assert syllables(word) == count


def test_reading_level_is_low_for_short_plain_sentences_and_high_for_long_latinate_ones():
    easy, hard = text_statistics(EASY), text_statistics(HARD)
    assert (easy.words, easy.sentences) == (15, 3)
    assert easy.grade == 0 and hard.grade > 16


def test_voice_check_reports_banned_found_required_missing_and_the_reading_level_distance():
    voice = {"banned_terms": ["cat", "dog"], "required_terms": ["mat", "hydration"], "reading_level": 9}
    check = voice_check(text=" ".join(EASY), blocks=EASY, voice=voice)
    assert (check.banned_found, check.required_missing) == (["cat"], ["hydration"])
    assert check.reading_level_target == 9 and check.reading_level_distance < -7
    assert check.reading_level_off_target


def test_without_a_voice_the_check_only_measures():
    check = voice_check(text="x", blocks=EASY, voice=None)
    assert (check.banned_found, check.required_missing, check.reading_level_distance) == ([], [], None)
    assert check.reading_level is not None and not check.reading_level_off_target
