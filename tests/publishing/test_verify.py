"""`verify`: each thing that can be wrong with a destination is named, and the health recorded."""

import json

import pytest

from devtools.webhook_receiver import WebhookReceiver
from publishing.services import destination_create
from publishing.verify import verify_destination
from tests.http_servers import Answer, LocalServer
from tests.publishing.conftest import wordpress_destination

pytestmark = pytest.mark.django_db


def verified(destination):
    result = verify_destination(destination=destination)
    destination.refresh_from_db()
    return result


def test_a_working_administrator_is_ok(tenant, wordpress):
    destination = wordpress_destination(site=tenant.site, wordpress=wordpress)
    result = verified(destination)
    assert (result.ok, result.code, result.warnings) == (True, "ok", [])
    assert {"edit_posts", "upload_files"} <= set(result.capabilities)
    assert destination.status == "ok" and destination.verified_at and not destination.last_error


def test_a_wrong_password_is_named_and_breaks_the_destination(tenant, wordpress):
    destination = destination_create(
        site=tenant.site, kind="wordpress", url=wordpress.url, username="admin", secret="abcd efgh ijkl mnop"
    )
    result = verified(destination)
    assert (result.ok, result.code) == (False, "wrong_password")
    assert destination.status == "broken" and "credentials" in destination.last_error


def test_a_user_who_cannot_post_lacks_a_capability(tenant, wordpress):
    destination = wordpress_destination(site=tenant.site, wordpress=wordpress, role="subscriber")
    result = verified(destination)
    assert (result.ok, result.code) == (False, "missing_capability")
    assert "edit_posts" in result.message and "upload_files" in result.message


def test_an_author_may_publish_but_is_warned_about_new_terms(tenant, wordpress):
    destination = wordpress_destination(
        site=tenant.site, wordpress=wordpress, role="author", post_status="publish"
    )
    result = verified(destination)
    assert (result.ok, result.code) == (True, "ok")
    assert "categories" in result.warnings[0]


@pytest.mark.parametrize(
    ("answer", "code"),
    [
        (Answer(body=b"<html><body>Hello from a plain site</body></html>"), "not_wordpress"),
        (Answer(body=b'<html><link href="/wp-content/themes/x.css"></html>'), "rest_disabled"),
        (Answer(401, json.dumps({"code": "rest_login_required", "message": "No"}).encode()), "rest_disabled"),
    ],
    ids=["plain-site", "wordpress-page-without-rest", "rest-blocked"],
)
def test_a_site_that_is_not_wordpress_or_hides_its_rest_api_is_named(tenant, answer, code):
    with LocalServer(lambda *request: answer) as server:
        destination = destination_create(
            site=tenant.site, kind="wordpress", url=server.url, username="admin", secret="x"
        )
        assert verified(destination).code == code
    assert destination.status == "broken"


def test_an_address_nothing_answers_at_is_a_bad_url(tenant):
    with LocalServer(lambda *request: Answer()) as server:
        url = server.url
    destination = destination_create(site=tenant.site, kind="wordpress", url=url, username="a", secret="x")
    assert verified(destination).code == "bad_url"


def test_a_private_address_is_a_bad_url_when_private_urls_are_off(tenant, wordpress, settings):
    settings.ALLOW_PRIVATE_URLS = False
    destination = wordpress_destination(site=tenant.site, wordpress=wordpress)
    result = verified(destination)
    assert (result.code, "loopback" in result.message) == ("bad_url", True)


def test_a_webhook_is_verified_with_a_signed_ping(tenant):
    with WebhookReceiver(secret="shared secret") as receiver:
        destination = destination_create(
            site=tenant.site, kind="webhook", url=receiver.url, secret="shared secret"
        )
        assert verified(destination).code == "ok"
    assert destination.status == "ok"
    assert receiver.rejected == 0 and len(receiver.applied) == 1


def test_a_webhook_with_the_wrong_secret_is_named(other_tenant):
    with WebhookReceiver(secret="shared secret") as receiver:
        destination = destination_create(
            site=other_tenant.site, kind="webhook", url=receiver.url, secret="nope"
        )
        assert verified(destination).code == "wrong_secret"
    assert receiver.rejected == 1 and destination.status == "broken"
