"""The publishing API: destinations, publish/unschedule under writer, settings in the config."""

import logging

import pytest

from igny8.encryption import decrypt_secret
from publishing.models import Destination
from publishing.services import destination_create
from tests.conftest import assert_error_envelope
from tests.factories import make_content
from tests.publishing.conftest import make_reviewed_article
from writer.models import Content

pytestmark = pytest.mark.django_db
SECRET = "abcd EFGH ijkl MNOP"
DESTINATIONS = "/api/v1/publishing/destinations/"


def wordpress_body(**fields):
    return {
        "kind": "wordpress",
        "url": "https://blog.example.com",
        "username": "editor",
        "secret": SECRET,
        **fields,
    }


def test_a_destination_is_created_with_its_secret_encrypted_and_never_returned(owner_client, tenant, caplog):
    caplog.set_level(logging.DEBUG)
    response = owner_client.post(f"{DESTINATIONS}?site_id={tenant.site.pk}", wordpress_body(), format="json")

    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert "secret" not in data and SECRET not in response.content.decode()
    assert (data["site"], data["status"], data["post_status"]) == (tenant.site.pk, "unverified", "draft")
    stored = Destination.objects.get(pk=data["id"])
    assert SECRET not in stored.secret_encrypted and decrypt_secret(stored.secret_encrypted) == SECRET
    listed = owner_client.get(f"{DESTINATIONS}?site_id={tenant.site.pk}")
    assert SECRET not in listed.content.decode() and listed.json()["count"] == 1
    assert not [record for record in caplog.records if SECRET in record.getMessage()]


def test_a_second_destination_for_a_site_is_refused(owner_client, tenant):
    owner_client.post(f"{DESTINATIONS}?site_id={tenant.site.pk}", wordpress_body(), format="json")
    response = owner_client.post(f"{DESTINATIONS}?site_id={tenant.site.pk}", wordpress_body(), format="json")
    assert_error_envelope(response, 409, "destination_exists")


def test_bad_destination_fields_are_named_one_by_one(owner_client, tenant):
    body = wordpress_body(kind="ftp", url="ftp://blog.example.com", post_status="later")
    errors = assert_error_envelope(
        owner_client.post(f"{DESTINATIONS}?site_id={tenant.site.pk}", body, format="json"), 400
    )["errors"]
    assert {"kind", "url", "post_status"} <= errors.keys()
    no_user = wordpress_body(username="")
    errors = assert_error_envelope(
        owner_client.post(f"{DESTINATIONS}?site_id={tenant.site.pk}", no_user, format="json"), 400
    )["errors"]
    assert "username" in errors


def test_changing_the_secret_makes_the_destination_unverified_again(owner_client, tenant):
    destination = destination_create(
        site=tenant.site, kind="webhook", url="https://hooks.example.com", secret="a"
    )
    Destination.objects.filter(pk=destination.pk).update(status="broken", last_error="401")
    response = owner_client.patch(f"{DESTINATIONS}{destination.pk}/", {"secret": "new secret"}, format="json")
    assert response.status_code == 200
    assert (response.json()["data"]["status"], response.json()["data"]["last_error"]) == ("unverified", "")
    assert decrypt_secret(Destination.objects.get(pk=destination.pk).secret_encrypted) == "new secret"


def test_other_accounts_destinations_answer_404_and_roles_are_enforced(
    owner_client, other_client, viewer_client, editor_client, tenant
):
    destination = destination_create(
        site=tenant.site, kind="webhook", url="https://hooks.example.com", secret="a"
    )
    url = f"{DESTINATIONS}{destination.pk}/"
    for response in (
        other_client.get(url),
        other_client.patch(url, {"url": "https://evil.example.com"}, format="json"),
        other_client.delete(url),
        other_client.post(f"{url}verify/"),
    ):
        assert_error_envelope(response, 404, "not_found")
    assert_error_envelope(other_client.get(f"{DESTINATIONS}?site_id={tenant.site.pk}"), 404)
    assert viewer_client.get(url).status_code == 200
    assert_error_envelope(viewer_client.post(f"{url}verify/"), 403)
    assert_error_envelope(editor_client.patch(url, {"post_status": "publish"}, format="json"), 403)
    assert_error_envelope(editor_client.delete(url), 403)
    assert owner_client.delete(url).status_code == 204
    assert not Destination.objects.filter(pk=destination.pk).exists()


def test_verify_answers_what_is_wrong(owner_client, tenant, wordpress):
    destination = destination_create(
        site=tenant.site, kind="wordpress", url=wordpress.url, username="admin", secret="wrong wrong wrong"
    )
    response = owner_client.post(f"{DESTINATIONS}{destination.pk}/verify/")
    assert response.status_code == 200
    data = response.json()["data"]
    assert (data["ok"], data["code"], data["destination"]["status"]) == (False, "wrong_password", "broken")
    owner_client.patch(f"{DESTINATIONS}{destination.pk}/", {"secret": wordpress.password()}, format="json")
    data = owner_client.post(f"{DESTINATIONS}{destination.pk}/verify/").json()["data"]
    assert (data["ok"], data["code"], data["destination"]["status"]) == (True, "ok", "ok")


def publish(client, site, body):
    return client.post(f"/api/v1/writer/content/publish/?site_id={site.pk}", body, format="json")


def test_publish_schedules_reviewed_articles_and_the_content_json_shows_it(editor_client, tenant):
    destination_create(site=tenant.site, kind="webhook", url="https://hooks.example.com", secret="a")
    article = make_reviewed_article(site=tenant.site, title="Scheduled one", in_article=0)

    response = publish(editor_client, tenant.site, {"ids": [article.pk], "when": "2030-01-02T09:00:00Z"})

    assert response.status_code == 200, response.content
    (item,) = response.json()["data"]["scheduled"]
    assert (item["id"], item["site_status"]) == (article.pk, "scheduled")
    content = editor_client.get(f"/api/v1/writer/content/{article.pk}/").json()["data"]
    assert (content["status"], content["site_status"]) == ("approved", "scheduled")
    assert content["scheduled_publish_at"].startswith("2030-01-02T09:00:00")
    assert (content["external_id"], content["external_url"], content["publish_error"]) == ("", "", "")

    response = editor_client.post(
        f"/api/v1/writer/content/unschedule/?site_id={tenant.site.pk}", {"ids": [article.pk]}, format="json"
    )
    assert response.json()["data"] == {"unscheduled": 1}
    assert Content.objects.get(pk=article.pk).site_status == "not_published"


def test_publish_refuses_drafts_sites_without_destination_other_accounts_and_viewers(
    editor_client, viewer_client, other_tenant, tenant
):
    article = make_reviewed_article(site=tenant.site, title="Ready", in_article=0)
    assert_error_envelope(publish(editor_client, tenant.site, {"ids": [article.pk]}), 400, "no_destination")
    destination_create(site=tenant.site, kind="webhook", url="https://hooks.example.com", secret="a")
    draft = make_content(site=tenant.site, title="Still a draft")
    assert_error_envelope(publish(editor_client, tenant.site, {"ids": [draft.pk]}), 400, "invalid_transition")
    foreign = make_reviewed_article(site=other_tenant.site, title="Theirs", in_article=0)
    assert_error_envelope(publish(editor_client, tenant.site, {"ids": [foreign.pk]}), 404)
    assert_error_envelope(publish(editor_client, other_tenant.site, {"ids": [foreign.pk]}), 404)
    assert_error_envelope(publish(viewer_client, tenant.site, {"ids": [article.pk]}), 403)
    assert_error_envelope(publish(editor_client, tenant.site, {"ids": []}), 400, "validation_error")
    assert Content.objects.get(pk=article.pk).site_status == "not_published"


CONFIG = "/api/v1/automation/update_config/"


def test_publishing_settings_live_in_the_config_with_per_field_errors(owner_client, tenant):
    url = f"{CONFIG}?site_id={tenant.site.pk}"
    bad = {"publish_mode": "hourly", "time_slots": ["25:00"], "time_zone": "Mars/Olympus", "daily_limit": 0}
    errors = assert_error_envelope(owner_client.patch(url, bad, format="json"), 400)["errors"]
    assert {"publish_mode", "time_slots", "time_zone", "daily_limit"} <= errors.keys()
    for slots in ([], ["09:00", "09:00"]):
        errors = assert_error_envelope(owner_client.patch(url, {"time_slots": slots}, format="json"), 400)
        assert "time_slots" in errors["errors"]

    good = {"publish_mode": "time_slots", "time_slots": ["14:00", "09:30"], "time_zone": "Europe/Berlin"}
    data = owner_client.patch(url, {**good, "weekly_limit": 5, "auto_approve": True}, format="json").json()[
        "data"
    ]
    assert (data["publish_mode"], data["time_slots"], data["time_zone"]) == (
        "time_slots",
        ["09:30", "14:00"],
        "Europe/Berlin",
    )
    assert (data["weekly_limit"], data["daily_limit"], data["auto_approve"]) == (5, None, True)


def test_the_admin_never_shows_a_destinations_secret(admin_client, tenant):
    destination = destination_create(
        site=tenant.site, kind="webhook", url="https://hooks.example.com", secret=SECRET
    )
    page = admin_client.get(f"/admin/publishing/destination/{destination.pk}/change/")
    assert page.status_code == 200
    stored = Destination.objects.get(pk=destination.pk).secret_encrypted
    assert SECRET not in page.content.decode() and stored not in page.content.decode()
