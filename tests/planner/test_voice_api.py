"""The brand voice endpoint: defaults before the first write, validation, roles and tenancy."""

import pytest

from planner.models import BrandVoice
from tests.conftest import assert_error_envelope

pytestmark = pytest.mark.django_db

VOICE = {
    "tone": "warm",
    "audience": "new runners",
    "point_of_view": "second",
    "reading_level": 8,
    "required_terms": ["trail running"],
    "banned_terms": ["cheap"],
    "sample_paragraph": "You need a path and an hour.",
}


def url(site) -> str:
    return f"/api/v1/planner/voice/?site_id={site.pk}"


def test_a_site_without_a_voice_answers_the_empty_defaults_and_creates_nothing(viewer_client, tenant):
    response = viewer_client.get(url(tenant.site))
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["site"], data["tone"], data["reading_level"], data["required_terms"]) == (
        tenant.site.pk,
        "",
        None,
        [],
    )
    assert not BrandVoice.objects.exists()


def test_put_creates_the_voice_with_terms_trimmed_and_deduplicated(owner_client, tenant):
    body = {**VOICE, "required_terms": ["  trail   running ", "Trail Running", "hydration"]}
    response = owner_client.put(url(tenant.site), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["data"]["required_terms"] == ["trail running", "hydration"]
    voice = BrandVoice.objects.get(site=tenant.site)
    assert (voice.account_id, voice.point_of_view, voice.banned_terms) == (
        tenant.account.pk,
        "second",
        ["cheap"],
    )


def test_put_needs_every_field_and_patch_changes_only_those_named(owner_client, tenant):
    assert_error_envelope(owner_client.put(url(tenant.site), {"tone": "dry"}, format="json"), 400)
    owner_client.put(url(tenant.site), VOICE, format="json")
    response = owner_client.patch(url(tenant.site), {"tone": "dry"}, format="json")
    assert response.status_code == 200
    assert (response.json()["data"]["tone"], response.json()["data"]["audience"]) == ("dry", "new runners")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"point_of_view": "fourth"}, "point_of_view"),
        ({"reading_level": 0}, "reading_level"),
        ({"reading_level": 19}, "reading_level"),
        ({"required_terms": ["ok", ""]}, "required_terms"),
        ({"banned_terms": ["  "]}, "banned_terms"),
        ({"banned_terms": "cheap"}, "banned_terms"),
        ({"required_terms": [3]}, "required_terms"),
        ({"sample_paragraph": "x" * 2001}, "sample_paragraph"),
    ],
)
def test_invalid_values_are_a_400_naming_the_field(owner_client, tenant, body, field):
    body = assert_error_envelope(owner_client.patch(url(tenant.site), body, format="json"), 400)
    assert field in body["errors"]
    assert not BrandVoice.objects.exists()


@pytest.mark.parametrize("banned", [["Trail Running"], ["trail"]])
def test_a_term_both_required_and_banned_is_refused(owner_client, tenant, banned):
    response = owner_client.patch(
        url(tenant.site), {"required_terms": ["trail running"], "banned_terms": banned}, format="json"
    )
    assert "banned_terms" in assert_error_envelope(response, 400, "voice_terms_conflict")["errors"]
    assert not BrandVoice.objects.exists()


def test_a_patch_conflicting_with_the_stored_terms_is_refused(owner_client, tenant):
    owner_client.put(url(tenant.site), VOICE, format="json")
    response = owner_client.patch(url(tenant.site), {"banned_terms": ["running"]}, format="json")
    assert_error_envelope(response, 400, "voice_terms_conflict")
    assert BrandVoice.objects.get(site=tenant.site).banned_terms == ["cheap"]


def test_viewers_and_editors_read_but_only_owners_and_admins_change(viewer_client, editor_client, tenant):
    for client in (viewer_client, editor_client):
        assert_error_envelope(client.patch(url(tenant.site), {"tone": "dry"}, format="json"), 403)
        assert client.get(url(tenant.site)).status_code == 200


def test_another_accounts_site_is_a_404_and_a_missing_site_id_a_400(owner_client, other_tenant):
    assert_error_envelope(owner_client.get(url(other_tenant.site)), 404)
    assert_error_envelope(owner_client.patch(url(other_tenant.site), {"tone": "x"}, format="json"), 404)
    assert_error_envelope(owner_client.get("/api/v1/planner/voice/"), 400)
