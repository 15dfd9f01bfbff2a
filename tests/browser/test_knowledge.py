"""A marketer imports the site's sitemap, sets the brand voice and releases an idea the guard held back."""

import pytest

from devtools.site_pages import SitemapServer
from planner.models import ContentIdea, IdeaStatus
from planner.voice import voice_get
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import PHONE
from tests.factories import PASSWORD, make_account, make_cluster, make_idea, make_user

pytestmark = pytest.mark.django_db(transaction=True)

CSV_PAGES = (
    b"url,title,summary\nhttps://garden.test/compost-tea/,Compost tea,Brewing it\nnot a url,Broken,Line\n"
)


def held_back_idea(*, site, title: str, duplicate_of: str) -> ContentIdea:
    idea = make_idea(cluster=make_cluster(site=site, name=f"Cluster of {title}"), title=title)
    ContentIdea.objects.filter(pk=idea.pk).update(
        status=IdeaStatus.DUPLICATE, duplicate_of_url=duplicate_of, duplicate_score=0.81
    )
    return idea


def test_a_marketer_imports_a_sitemap_sets_the_voice_and_releases_a_held_back_idea(screen):
    created = make_account(credits=10, name="Garden Press")
    idea = held_back_idea(
        site=created.site, title="Composting for beginners", duplicate_of="https://garden.test/compost/"
    )
    me = screen("knowledge")
    me.login(created.owner.email, PASSWORD)
    page = me.page
    page.click("nav >> text=Site knowledge")
    page.wait_for_selector("#inventory-rows[data-loaded=true]")
    assert "No page here yet" in page.locator("#inventory-rows").inner_text()

    # The sitemap, gardening pages only: the import answers at once and the list shows them.
    with SitemapServer() as site_server:
        page.fill("#sitemap-url", site_server.sitemap_url)
        page.fill("#sitemap-include", "/gardening/*")
        page.click("text=Import sitemap")
        page.wait_for_selector("#inventory-result [data-source=sitemap]")
    assert "50 new" in page.locator("#inventory-result").inner_text()
    page.wait_for_selector("#inventory-count >> text=50 pages in the inventory")
    assert page.locator("#inventory-rows tr").count() == 25
    page.fill("#inventory-search", "compost")
    page.click("#inventory-filters button[type=submit]")
    page.wait_for_selector("#inventory-count >> text=5 pages in the inventory (filtered)")
    me.shot("01-sitemap-imported")

    # A CSV file: its good lines are imported, the others reported by line number.
    page.set_input_files(
        "#inventory-file",
        files=[{"name": "pages.csv", "mimeType": "text/csv", "buffer": CSV_PAGES}],
    )
    page.click("text=Import CSV")
    page.wait_for_selector("#inventory-result [data-source=csv]")
    assert "1 new" in page.locator("#inventory-result").inner_text()
    assert page.locator("#inventory-result table.import-errors tbody tr").count() == 1
    page.select_option("#inventory-source", "csv")
    page.wait_for_selector("#inventory-count >> text=1 page in the inventory (filtered)")
    me.shot("02-csv-imported")

    # A refresh is queued for the worker (none runs here), and says so.
    page.click("#refresh-inventory")
    page.wait_for_selector(".message.success >> text=Refresh queued")

    # An unreadable sitemap: the API's message and code are shown where the result goes.
    page.fill("#sitemap-url", "not a url")
    page.click("text=Import sitemap")
    page.wait_for_selector("#inventory-result .message.error")
    assert page.locator("#sitemap-url-error").inner_text()

    # The voice: a required and a banned term save; a term in both lists is refused on that field.
    page.fill("#voice-tone", "warm, plain-spoken")
    page.select_option("#voice-point_of_view", "second")
    page.fill("#voice-reading_level", "8")
    page.fill("#voice-required_terms", "compost, garden")
    page.fill("#voice-banned_terms", "cheap")
    page.click("text=Save voice")
    page.wait_for_selector(".message.success >> text=Voice saved")
    voice = voice_get(site=created.site)
    assert voice.required_terms == ["compost", "garden"] and voice.banned_terms == ["cheap"]
    page.fill("#voice-banned_terms", "cheap\ncompost")
    page.click("text=Save voice")
    page.wait_for_selector("#voice-banned_terms-error >> text=Also required")
    assert "voice_terms_conflict" in page.locator("#messages").inner_text()
    assert page.get_attribute("#voice-banned_terms", "aria-invalid") == "true"
    assert voice_get(site=created.site).banned_terms == ["cheap"]
    me.shot("03-voice-conflict")

    # The held-back idea: what it duplicates and how closely; released, it is new again.
    row = page.locator(f'#idea-rows tr[data-idea-id="{idea.pk}"]')
    assert "https://garden.test/compost/" in row.inner_text() and "0.81" in row.inner_text()
    page.check(f"#idea-{idea.pk}")
    page.click("#release-ideas")
    page.wait_for_selector(".message.success >> text=1 idea released")
    page.wait_for_selector("#idea-rows >> text=No idea is held back.")
    assert ContentIdea.objects.get(pk=idea.pk).status == IdeaStatus.NEW
    me.shot("04-idea-released")
    check_accessibility(me)
    assert me.errors == []


def test_a_viewer_on_a_phone_reads_the_knowledge_with_every_control_disabled(screen):
    created = make_account(name="Garden Press")
    held_back_idea(site=created.site, title="Raised beds", duplicate_of="https://garden.test/raised-beds/")
    viewer = make_user(account=created.account, role="viewer")
    me = screen("knowledge-viewer", PHONE)
    me.login(viewer.email, PASSWORD)
    page = me.page
    me.go("/dashboard/knowledge/")
    page.wait_for_selector("#idea-rows[data-loaded=true]")
    page.wait_for_selector("#voice-form[data-loaded=true]")
    assert "Raised beds" in page.locator("#idea-rows").inner_text()
    for control in (
        "#sitemap-url",
        "#inventory-file",
        "#refresh-inventory",
        "#release-ideas",
        "#kn-refresh_hours",
        "#voice-tone",
        "#idea-rows input[name=ids]",
    ):
        assert page.locator(control).is_disabled(), control
    assert me.no_sideways_scroll()
    me.shot("01-phone")
    assert me.errors == []
