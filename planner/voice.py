"""A site's brand voice: read it (defaults when the site has none), change it, and give it to prompts."""

from collections.abc import Mapping

from django.db import transaction

from igny8.errors import ValidationFailed
from planner.models import BrandVoice
from planner.selectors import site_voice
from planner.terms import terms_clean, terms_conflicting
from tenancy.models import Site

POINTS_OF_VIEW = ("first", "second", "third")
MAX_SAMPLE_PARAGRAPH = 2000
VOICE_FIELDS = (
    "tone",
    "audience",
    "point_of_view",
    "reading_level",
    "required_terms",
    "banned_terms",
    "sample_paragraph",
)


def voice_get(*, site: Site) -> BrandVoice:
    """The site's voice; an unsaved one with the empty defaults when it has none yet."""
    voice = BrandVoice.objects.filter(site=site).first()
    return voice or BrandVoice(account_id=site.account_id, site=site)


@transaction.atomic
def voice_update(*, site: Site, fields: Mapping) -> BrandVoice:
    """Change the named fields of the site's voice (created on first write); one commit.

    Term lists are stored trimmed and de-duplicated case-insensitively. Raises ValidationFailed
    (`voice_terms_conflict`) when a required term is also banned, or holds a banned word.
    """
    voice, _ = BrandVoice.objects.select_for_update().get_or_create(
        site=site, defaults={"account_id": site.account_id}
    )
    for name, value in fields.items():
        if name in ("required_terms", "banned_terms"):
            value = terms_clean(value)
        setattr(voice, name, value)
    conflicts = terms_conflicting(required=voice.required_terms, banned=voice.banned_terms)
    if conflicts:
        raise ValidationFailed(
            f"Terms cannot be both required and banned: {', '.join(conflicts)}.",
            code="voice_terms_conflict",
            errors={"banned_terms": [f"Also required (or inside a required term): {', '.join(conflicts)}."]},
        )
    voice.save()
    return voice


def voice_for_prompt(voice: BrandVoice | None) -> dict | None:
    """What the AI is told of the voice: the fields that are set, or None when none is."""
    if voice is None:
        return None
    told = {
        "tone": voice.tone,
        "audience": voice.audience,
        "point_of_view": f"{voice.point_of_view} person" if voice.point_of_view else "",
        "reading_level": voice.reading_level,
        "required_terms": list(voice.required_terms),
        "banned_terms": list(voice.banned_terms),
        "sample_paragraph": voice.sample_paragraph,
    }
    told = {name: value for name, value in told.items() if value}
    return told or None


def voice_prompt_for_site(*, site: Site) -> dict | None:
    return voice_for_prompt(site_voice(site=site))
