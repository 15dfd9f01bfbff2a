import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command

from automation.services.control import run_cancel
from automation.services.runs import start_automation
from automation.stages import STAGES
from planner.models import Keyword
from tenancy.models import User
from tests.factories import PASSWORD, make_keywords, make_user
from writer.models import Content, Image

PAGES = [
    "/dashboard/",
    "/dashboard/sites/",
    "/dashboard/runs/",
    "/dashboard/keywords/",
    "/dashboard/review/",
    "/dashboard/publishing/",
    "/dashboard/knowledge/",
    "/dashboard/settings/",
]


def logged_in(client, user):
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_home_sends_a_visitor_to_the_login_and_a_user_to_the_dashboard(client, tenant):
    assert client.get("/")["Location"] == "/login/"
    login = client.post(
        "/login/", {"username": tenant.owner.email, "password": PASSWORD, "next": "/dashboard/"}
    )
    assert login.status_code == 302 and login["Location"] == "/dashboard/"
    assert client.get("/")["Location"] == "/dashboard/"


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_login_and_shows_only_the_callers_sites(path, client, tenant, other_tenant):
    assert client.get(path)["Location"].startswith("/login/")
    logged_in(client, tenant.owner)
    page = client.get(f"{path}?site_id={tenant.site.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert tenant.site.name in html and other_tenant.site.name not in html
    assert 'name="viewport"' in html and "Log out" in html and "Account A" in html
    assert client.get(f"{path}?site_id={other_tenant.site.pk}").status_code == 404


@pytest.mark.django_db
def test_the_chosen_site_is_remembered_across_pages(client, tenant):
    from tenancy.services import site_create

    second = site_create(account=tenant.account, name="Second site", domain="second.example.com")
    logged_in(client, tenant.owner)
    client.get(f"/dashboard/?site_id={second.pk}")
    assert f'data-site-id="{second.pk}"' in client.get("/dashboard/keywords/").content.decode()


@pytest.mark.django_db
def test_a_viewer_gets_every_control_disabled_and_an_admin_the_settings_form(client, tenant):
    logged_in(client, make_user(account=tenant.account, role="viewer"))
    for path in PAGES:
        html = client.get(path).content.decode()
        assert 'data-can-run="false"' in html and "read-only access" in html
    assert "<fieldset disabled>" in client.get("/dashboard/settings/").content.decode()
    keywords = client.get("/dashboard/keywords/").content.decode()
    assert keywords.count("disabled") >= 6
    logged_in(client, tenant.owner)
    settings_page = client.get("/dashboard/settings/").content.decode()
    assert 'data-can-configure="true"' in settings_page and "<fieldset>" in settings_page


@pytest.mark.django_db
def test_the_settings_form_has_a_batch_size_for_each_stage_that_runs_in_batches(client, tenant):
    html = logged_in(client, tenant.owner).get("/dashboard/settings/").content.decode()
    for stage in STAGES:
        assert (f'id="cfg-stage_{stage.number}_batch_size"' in html) is stage.has_batch_size, stage.number


@pytest.mark.django_db
def test_an_article_preview_is_sanitised_and_scoped_to_the_callers_site(client, tenant, other_tenant):
    account, owner, site = tenant.account, tenant.owner, tenant.site
    content = Content.objects.create(
        account=account,
        site=site,
        title="Cold brew at home",
        content_html='<h2>Ratio</h2><p onclick="steal()">One to eight.</p><script>steal()</script>'
        '<a href="javascript:steal()">x</a><img src="https://example.com/a.png" onerror="steal()">',
        status="review",
    )
    logged_in(client, owner)
    html = client.get(f"/dashboard/review/{content.pk}/").content.decode()
    assert "<h2>Ratio</h2>" in html and "One to eight." in html
    assert "steal()" not in html
    logged_in(client, other_tenant.owner)
    assert client.get(f"/dashboard/review/{content.pk}/").status_code == 404


@pytest.mark.django_db
def test_a_generated_image_is_served_to_its_sites_users_only(client, tenant, other_tenant):
    account, owner, site = tenant.account, tenant.owner, tenant.site
    content = Content.objects.create(account=account, site=site, title="With image", status="review")
    path = default_storage.save(f"images/site_{site.pk}/test.png", ContentFile(b"\x89PNG fake"))
    image = Image.objects.create(
        account=account, site=site, content=content, image_path=path, status="generated", position=0
    )
    assert logged_in(client, owner).get(f"/dashboard/images/{image.pk}/").status_code == 200
    assert logged_in(client, other_tenant.owner).get(f"/dashboard/images/{image.pk}/").status_code == 404


@pytest.mark.django_db
def test_the_runs_page_lists_the_history_and_shows_a_runs_results(client, tenant, offline):
    owner, site = tenant.owner, tenant.site
    make_keywords(site=site, texts=["solar panels", "solar roof", "solar cost", "solar tax", "solar grid"])
    run = start_automation(site=site)
    run_cancel(run=run)
    logged_in(client, owner)
    history = client.get("/dashboard/runs/").content.decode()
    assert run.run_id in history and "cancelled" in history and 'datetime="' in history
    detail = client.get(f"/dashboard/runs/{run.run_id}/").content.decode()
    assert "Keywords → Clusters" in detail and "Credits by stage" in detail and 'id="log-filters"' in detail
    assert client.get("/dashboard/runs/run_19990101_000000_manual/").status_code == 404


@pytest.mark.django_db
def test_seed_demo_site_gives_the_demo_site_the_bundled_keywords_once(capsys):
    call_command("seed_demo_site")
    user = User.objects.get(email="demo@example.com")
    seeded = Keyword.objects.filter(site__account_id=user.account_id).count()
    assert seeded == 117
    call_command("seed_demo_site")
    assert Keyword.objects.filter(site__account_id=user.account_id).count() == seeded
    assert "Login: demo@example.com" in capsys.readouterr().out


@pytest.mark.django_db
def test_the_history_shows_twenty_runs_a_page(client, tenant, offline):
    owner, site = tenant.owner, tenant.site
    make_keywords(site=site, texts=[f"solar term {n}" for n in range(5)])
    run_ids = []
    for _ in range(21):
        run = start_automation(site=site)
        run_cancel(run=run)
        run_ids.append(run.run_id)
    logged_in(client, owner)
    first = client.get("/dashboard/runs/").content.decode()
    second = client.get("/dashboard/runs/?page=2").content.decode()
    links = [f'href="/dashboard/runs/{run_id}/"' for run_id in run_ids]
    assert all(link in first for link in links[1:]) and links[0] not in first
    assert links[0] in second and "Older →" in first and "← Newer" in second
