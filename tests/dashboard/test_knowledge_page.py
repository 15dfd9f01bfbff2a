"""The site knowledge page: what each role may touch, and another account's site."""

import re

import pytest

from tests.factories import make_user

pytestmark = pytest.mark.django_db

FORMS = ("sitemap-form", "knowledge-form", "voice-form")


def fieldset_disabled(html: str, form_id: str) -> bool:
    form = re.search(rf'<form id="{form_id}".*?</form>', html, re.S).group(0)
    return bool(re.search(r"<fieldset[^>]*\sdisabled", form))


def test_a_viewer_sees_the_page_with_every_control_disabled(client, tenant):
    client.force_login(make_user(account=tenant.account, role="viewer"))
    response = client.get(f"/dashboard/knowledge/?site_id={tenant.site.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "dashboard/knowledge.js" in html and 'aria-current="page">Site knowledge<' in html
    assert all(fieldset_disabled(html, form) for form in FORMS)
    for control in (
        'id="inventory-file"',
        'id="refresh-inventory"',
        'id="release-ideas"',
        'id="ideas-select-all"',
    ):
        assert re.search(rf"{control}[^>]*\sdisabled", html), control


def test_an_editor_imports_and_releases_but_only_an_admin_changes_settings_and_voice(client, tenant):
    client.force_login(make_user(account=tenant.account, role="editor"))
    html = client.get("/dashboard/knowledge/").content.decode()
    assert not fieldset_disabled(html, "sitemap-form")
    assert not re.search(r'id="release-ideas"[^>]*\sdisabled', html)
    assert fieldset_disabled(html, "knowledge-form") and fieldset_disabled(html, "voice-form")
    client.force_login(tenant.owner)
    html = client.get("/dashboard/knowledge/").content.decode()
    assert not any(fieldset_disabled(html, form) for form in FORMS)


def test_another_accounts_site_answers_404(client, tenant, other_tenant):
    client.force_login(tenant.owner)
    assert client.get(f"/dashboard/knowledge/?site_id={other_tenant.site.pk}").status_code == 404
