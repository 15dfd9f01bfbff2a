"""Accessibility basics checked in the page itself (see a11y.js)."""

from pathlib import Path

CHECKS = Path(__file__).with_name("a11y.js")


def check_accessibility(screen) -> None:
    page = screen.page
    page.add_script_tag(path=str(CHECKS))
    unlabelled = page.evaluate("window.a11yChecks.unlabelledControls()")
    assert unlabelled == [], f"{page.url}: controls without a label: {unlabelled}"
    low_contrast = page.evaluate("window.a11yChecks.contrastFailures()")
    assert low_contrast == [], f"{page.url}: contrast below WCAG AA: {low_contrast}"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("window.a11yChecks.focusIsVisible()"), f"{page.url}: keyboard focus is not visible"
