"""What text the database can store and people can see, checked in one place.

PostgreSQL refuses NUL characters and unpaired UTF-16 surrogates (which JSON's `\\ud800` escapes
can produce); a value made only of format and space characters (zero-width spaces, BOMs) looks
empty to a person. DRF's CharField already refuses the first two; this module covers the input
that reaches the database without one: CSV cells, bulk keyword lists and query parameters.
"""

import re
import unicodedata

from rest_framework import serializers

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_INVISIBLE_CATEGORIES = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None when it can."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character"
    return "contains an unpaired surrogate character"


def has_visible_characters(value: str) -> bool:
    return any(unicodedata.category(char) not in _INVISIBLE_CATEGORIES for char in value)


def validate_storable_text(value: str) -> None:
    """A DRF validator for text fields that are not CharFields (list items of a JSON field)."""
    problem = text_problem(value)
    if problem:
        raise serializers.ValidationError(f"The text {problem}.")
