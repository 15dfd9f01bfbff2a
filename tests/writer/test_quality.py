"""The quality gate, finding by finding: each defect costs its points and says what it is."""

import dataclasses

import pytest

from writer.quality import PENALTY, ArticleUnderReview, quality_report

SENTENCE = "Good trail shoes grip wet rock and keep your feet dry on long runs."


def body(sections: int = 3, *, paragraph: str | None = None) -> str:
    blocks = []
    for number in range(sections):
        blocks.append(f"<h2>Section {number} on grip</h2>")
        text = paragraph or f"{SENTENCE} Part {number} adds its own point about mud number {number}."
        blocks.append(f"<p>{text} {SENTENCE}</p>")
    return "\n".join(blocks)


GOOD = ArticleUnderReview(
    title="Trail shoes",
    content_html=body(),
    meta_description="How to pick trail shoes that grip wet rock and keep your feet dry on long runs.",
    target_words=100,
    brief="Outline: grip on rock; the sections",
    links=[{"url": "https://example.com/a", "anchor": "a"}],
    live_urls=frozenset({"https://example.com/a"}),
    image_alts=["Featured photo of trail shoes"],
)


def codes(article: ArticleUnderReview) -> dict[str, str]:
    return {item["code"]: item["severity"] for item in quality_report(article).findings}


def test_a_clean_article_scores_100_with_no_findings():
    report = quality_report(GOOD)
    assert (report.score, report.findings) == (100, [])
    assert report.as_dict()["voice"]["reading_level"] is not None


@pytest.mark.parametrize(
    ("change", "code", "severity"),
    [
        ({"target_words": 1000}, "too_short", "error"),
        ({"target_words": 170}, "short", "warning"),
        ({"target_words": 60}, "too_long", "warning"),
        ({"content_html": body(12).replace("h2", "p"), "target_words": 450}, "no_headings", "error"),
        ({"brief": "Outline: grip; a short FAQ"}, "outline_sections_missing", "warning"),
        ({"content_html": body() + "<p>As an AI language tool I cannot run.</p>"}, "leaked_prompt", "error"),
        ({"content_html": body() + '<p>{"title": "Trail shoes"}</p>'}, "leaked_prompt", "error"),
        ({"content_html": body() + "<p>Meta description: shoes</p>"}, "leaked_prompt", "error"),
        ({"content_html": body() + "<pre>```html</pre>"}, "leaked_prompt", "error"),
        ({"content_html": body() + "<p>Buy [insert product] now.</p>"}, "leaked_prompt", "error"),
        (
            {"content_html": body(paragraph="The same paragraph of words, said twice over here.")},
            "repeated_paragraph",
            "error",
        ),
        ({"links": [{"url": "https://example.com/gone", "anchor": "x"}]}, "invalid_links", "error"),
        ({"meta_description": ""}, "meta_description_missing", "error"),
        ({"meta_description": "Too short."}, "meta_description_length", "warning"),
        ({"meta_description": "x" * 161}, "meta_description_length", "warning"),
        ({"image_alts": ["Photo", " "]}, "image_alt_missing", "error"),
        ({"content_html": body() + '<figure><img src="/a.png"></figure>'}, "image_alt_missing", "error"),
        ({"voice": {"banned_terms": ["mud"]}}, "banned_terms", "error"),
        ({"voice": {"required_terms": ["Acme Outdoors"]}}, "required_terms_missing", "error"),
        ({"voice": {"reading_level": 16}}, "reading_level", "warning"),
    ],
)
def test_each_defect_is_a_finding_that_costs_its_severitys_points(change, code, severity):
    article = dataclasses.replace(GOOD, **change)
    found = codes(article)
    assert found.get(code) == severity, found
    assert quality_report(article).score == 100 - sum(PENALTY[level] for level in found.values())


def test_links_and_images_not_known_yet_are_not_judged():
    article = dataclasses.replace(GOOD, live_urls=None, image_alts=None, links=[{"url": "https://x.test/"}])
    assert quality_report(article).findings == []


def test_an_empty_link_list_passes_and_the_score_never_goes_below_zero():
    assert codes(dataclasses.replace(GOOD, links=[], live_urls=frozenset())) == {}
    awful = dataclasses.replace(
        GOOD,
        content_html="<p>As an AI, {keyword}</p>",
        meta_description="",
        target_words=5000,
        voice={"banned_terms": ["AI"], "required_terms": ["trail"]},
        links=[{"url": "https://nowhere.test/"}],
        image_alts=[""],
    )
    assert quality_report(awful).score == 0
