"""A marketer's day and a viewer's look, in Debian's Chromium (see conftest.py)."""

import pytest
from django.utils import timezone

from automation.models import AutomationRun
from automation.services.runs import start_automation
from automation.stages import STAGES
from billing.services import credits_grant
from tests.browser.a11y import check_accessibility
from tests.browser.conftest import PHONE
from tests.dashboard.test_pages import PAGES
from tests.factories import PASSWORD, make_account, make_keywords, make_user
from writer.models import Content

pytestmark = pytest.mark.django_db(transaction=True)

CSV = """keyword,volume,difficulty,intent
best running shoes,900,40,commercial
trail running shoes,700,35,commercial
running shoes for flat feet,400,30,commercial
marathon training plan,1200,50,informational
half marathon training schedule,800,45,informational
cold brew coffee ratio,600,20,informational
how to make cold brew coffee,1500,25,informational
best coffee grinder,1100,55,commercial
Best Running Shoes,10,10,commercial
coffee beans subscription,300,150,transactional
,100,10,informational
"""


def test_a_marketer_imports_keywords_runs_the_pipeline_and_approves_an_article(
    screen, browser_worker, openai_server, tmp_path
):
    # Slow enough answers that progress, pause and resume can be seen; cheap enough for two cores.
    openai_server.reset()
    openai_server.configure(latency_ms=250)
    created = make_account(credits=1, name="Solar Marketing")
    account, owner, site = created.account, created.owner, created.site
    me = screen("marketer")
    me.login(owner.email, PASSWORD)
    page = me.page
    page.wait_for_selector("#stages li")
    assert page.locator("header").get_by_text("Solar Marketing").is_visible()
    me.shot("01-empty-pipeline")

    # Settings: a bad value is refused next to its field, then small batches and a short delay are saved.
    page.click("nav >> text=Settings")
    page.wait_for_selector("#config-form[data-loaded=true]")
    page.fill("#cfg-stage_1_batch_size", "0")
    page.fill("#cfg-within_stage_delay", "4000")
    page.click("text=Save settings")
    page.wait_for_selector("#cfg-stage_1_batch_size-error:not(:empty)")
    assert page.get_attribute("#cfg-within_stage_delay", "aria-invalid") == "true"
    me.shot("02-settings-inline-errors")
    for field, value in {
        "stage_1_batch_size": "5",
        "within_stage_delay": "1",
        "between_stage_delay": "0",
        "images_per_content": "2",
    }.items():
        page.fill(f"#cfg-{field}", value)
    page.click("text=Save settings")
    page.wait_for_selector(".message.success >> text=Settings saved.")
    assert page.locator(".field-error:not(:empty)").count() == 0

    # Keywords: a CSV with bad lines imports the good ones and names each bad line; one more is added.
    page.click("nav >> text=Keywords")
    csv_file = tmp_path / "keywords.csv"
    csv_file.write_text(CSV)
    page.set_input_files("#import-file", str(csv_file))
    page.click("#import-form button[type=submit]")
    errors = page.locator("table.import-errors tbody tr")
    errors.first.wait_for()
    lines = {int(row.locator("td").first.inner_text()) for row in errors.all()}
    assert lines == {10, 11, 12}, lines
    page.wait_for_selector("#keyword-pager >> text=8 keywords")
    page.fill("#add-keyword", "trail running shoes")
    page.click("#add-form button[type=submit]")
    page.wait_for_selector("#add-keyword-error:not(:empty)")
    page.fill("#add-keyword", "espresso grind size")
    page.click("#add-form button[type=submit]")
    page.wait_for_selector("#keyword-pager >> text=9 keywords")
    page.select_option("#filter-intent", "commercial")
    page.wait_for_selector("#keyword-pager >> text=4 keywords")
    me.shot("03-keywords-import-errors")

    # The estimate says the balance is short; starting is refused, and the refusal stays on screen.
    page.click("nav >> text=Pipeline")
    page.wait_for_selector('#estimate [data-sufficient="false"]')
    assert page.locator("#stages > li").count() == len(STAGES)
    page.click("button[data-action=run_now]")
    refusal = page.locator(".message.error")
    refusal.wait_for()
    assert "credit" in refusal.inner_text().lower()
    me.wait_for_refreshes(3)
    assert refusal.is_visible()
    me.shot("04-refused-for-credits")
    assert page.is_disabled("button[data-action=pause]") and page.is_disabled("button[data-action=cancel]")

    credits_grant(account=account, amount=20_000, description="top-up by the operator")
    page.wait_for_selector('#estimate [data-sufficient="true"]')
    assert page.inner_text("#balance") == "20001"
    page.click("button[data-action=run_now]")
    page.wait_for_selector(".message.success >> text=Automation run started")
    page.wait_for_selector("#run-state[data-state=running] [role=progressbar]")
    page.wait_for_selector("button[data-action=pause]:enabled")
    assert page.is_disabled("button[data-action=run_now]") and page.is_disabled("button[data-action=resume]")
    assert f" of {len(STAGES)}: " in page.inner_text("#run-stage")
    first = page.inner_text("#run-count") + page.inner_text("#run-stage")
    page.wait_for_function(
        "first => (document.querySelector('#run-count')?.innerText || '') +"
        " (document.querySelector('#run-stage')?.innerText || '') !== first",
        arg=first,
    )
    me.shot("05-running-progress")
    bar = page.locator("[role=progressbar]")
    processed, total = (int(bar.get_attribute(name)) for name in ("aria-valuenow", "aria-valuemax"))
    assert 0 <= processed <= total and bar.get_attribute("aria-valuemin") == "0"

    page.click("button[data-action=pause]")
    page.wait_for_selector("#run-state[data-state=paused]")
    page.wait_for_selector("button[data-action=resume]:enabled")
    assert page.is_disabled("button[data-action=pause]")
    me.shot("06-paused")
    me.accept_dialogs = False
    page.click("button[data-action=cancel]")
    assert me.dialogs and me.dialogs[-1].startswith("Cancel run")
    me.wait_for_refreshes(1)
    assert page.locator("#run-state[data-state=paused]").count() == 1
    assert AutomationRun.objects.get(site=site).status == "paused"
    page.click("button[data-action=resume]")
    page.wait_for_selector(".message.success >> text=Run resumed")
    page.wait_for_selector("#run-state[data-state=idle] [data-last-status=completed]", timeout=180_000)
    me.shot("07-completed")
    run = AutomationRun.objects.get(site=site)
    assert run.status == "completed" and run.resumed_at is not None

    # The run page: results per stage, the credit breakdown and a log filtered by stage.
    page.click(f"#run-state >> text={run.run_id}")
    page.wait_for_selector("#run-log li")
    assert page.locator("text=Credits by stage").is_visible()
    page.select_option("#log-stage", "1")
    page.wait_for_function(
        "() => [...document.querySelectorAll('#run-log li')].every(li => li.innerText.includes('Stage 1:'))"
    )
    me.shot("08-run-page")
    page.click("nav >> text=Runs")
    page.wait_for_selector(f"text={run.run_id}")
    me.shot("09-history")

    # The review queue: thumbnails, an article opened and approved, the rest sent back at once.
    in_review = Content.objects.filter(site=site, status="review").count()
    assert in_review >= 2
    page.click("nav >> text=Review")
    page.wait_for_selector(".review-item .thumbs img")
    page.wait_for_function(
        "[...document.querySelectorAll('.thumbs img')].every(i => i.complete && i.naturalWidth)"
    )
    me.shot("10-review-queue")
    page.click(".review-item a.title >> nth=0")
    page.wait_for_selector(".article-body h2")
    page.wait_for_function(
        "[...document.querySelectorAll('.images img')].every(i => i.complete && i.naturalWidth)"
    )
    page.click("text=Approve and publish")
    page.wait_for_selector("#article-status >> text=published")
    me.shot("11-article-approved")

    # At 390 px every page, the queue with its thumbnails included, fits without sideways scrolling.
    phone = screen("marketer-phone", PHONE)
    phone.login(owner.email, PASSWORD)
    names = ["pipeline", "sites", "runs", "keywords", "review", "publishing", "knowledge", "settings"]
    phone_pages = [*zip(PAGES, names, strict=True)]
    phone_pages.append((f"/dashboard/runs/{run.run_id}/", "run-page"))
    for number, (path, label) in enumerate(phone_pages, start=1):
        phone.go(path)
        phone.page.wait_for_load_state("networkidle")
        assert phone.no_sideways_scroll(), f"{path} scrolls sideways at 390 px"
        phone.shot(f"{number:02d}-{label}")
    page.click("text=← Review queue")
    page.wait_for_selector(".review-item")
    page.check("#select-all")
    page.click("text=Send back to draft")
    page.wait_for_selector(f".message.success >> text={in_review - 1} articles sent back to draft.")
    assert Content.objects.filter(site=site, status="published").count() == 1
    assert Content.objects.filter(site=site, status="draft").count() == in_review - 1

    # Every page: accessible basics at desktop width.
    for path in PAGES:
        me.go(path)
        page.wait_for_load_state("networkidle")
        check_accessibility(me)
    assert me.errors == [] and phone.errors == []


def test_a_viewer_sees_a_queued_run_a_silent_worker_and_no_enabled_control(screen, transactional_db):
    created = make_account(credits=10_000, name="Viewer Co")
    account, site = created.account, created.site
    make_keywords(site=site, texts=[f"garden tool {n}" for n in range(8)])
    viewer = make_user(account=account, role="viewer")
    run = start_automation(site=site)  # no worker is running: nobody claims it

    eyes = screen("viewer")
    eyes.login(viewer.email, PASSWORD)
    page = eyes.page
    page.wait_for_selector("#run-state[data-state=queued]")
    assert "waiting for a worker" in page.inner_text("#run-state")
    assert all(button.is_disabled() for button in page.locator("button[data-action]").all())
    eyes.shot("01-queued-run-read-only")

    # An executor claimed the run, then went silent for ten minutes.
    AutomationRun.objects.filter(pk=run.pk).update(
        heartbeat_at=timezone.now() - timezone.timedelta(minutes=10), fencing_token=1
    )
    page.wait_for_selector("#heartbeat-warning")
    assert "has not reported" in page.inner_text("#heartbeat-warning")
    assert page.locator("#run-state[data-state=running]").count() == 1
    eyes.shot("02-silent-worker-warning")

    page.click("nav >> text=Keywords")
    page.wait_for_selector("#keyword-pager >> text=8 keywords")
    for control in ["#import-file", "#import-form button", "#add-keyword", "#add-form button"]:
        assert page.is_disabled(control), control
    page.click("nav >> text=Review")
    page.wait_for_selector("#review-list li")
    assert all(b.is_disabled() for b in page.locator("#review-form button, #select-all").all())
    page.click("nav >> text=Settings")
    page.wait_for_selector("#config-form[data-loaded=true]")
    assert page.locator("#read-only").is_visible()
    enabled = page.locator(
        "#config-form input:enabled, #config-form select:enabled, #config-form button:enabled"
    )
    assert enabled.count() == 0
    eyes.shot("03-settings-read-only")

    phone = screen("viewer-phone", PHONE)
    phone.go("/").wait_for_selector("#id_username")
    check_accessibility(phone)
    assert phone.no_sideways_scroll()
    phone.shot("00-login")
    phone.login(viewer.email, PASSWORD)
    phone.page.wait_for_selector("#heartbeat-warning")
    assert phone.no_sideways_scroll()
    phone.shot("01-pipeline")
    eyes.page.click("text=Log out")
    eyes.page.wait_for_url("**/login/")
    assert eyes.go("/dashboard/").url.endswith("/login/?next=/dashboard/")
    assert eyes.errors == [] and phone.errors == []
