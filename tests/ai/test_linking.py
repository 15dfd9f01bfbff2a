"""Inserting internal links into an article's HTML, and checking the links a model wrote."""

from ai.linking import Candidate, check_links, insert_links

GRIND = Candidate(url="https://shop.example/grind-size", title="Coffee Grind Size Chart")
KETTLE = Candidate(url="https://shop.example/kettles", title="Choosing a Pour Over Kettle")
TEA = Candidate(url="https://shop.example/tea", title="Green Tea Basics")


def test_a_link_goes_on_the_longest_phrase_shared_with_the_target_title():
    article = "<p>Pick the coffee grind size first, then the water.</p>"

    linked = insert_links(article, [GRIND], max_links=3)

    assert linked.html == (
        f'<p>Pick the <a href="{GRIND.url}">coffee grind size</a> first, then the water.</p>'
    )
    assert linked.links == [{"url": "https://shop.example/grind-size", "anchor": "coffee grind size"}]


def test_stemmed_words_match_and_stop_words_may_sit_inside_an_anchor():
    target = Candidate(url="/grinders", title="Grinders for Coffee Beans")
    linked = insert_links("<p>Good grinders of coffee bean blends matter.</p>", [target], max_links=1)

    assert linked.links == [{"url": "/grinders", "anchor": "grinders of coffee bean"}]


def test_a_whole_phrase_is_preferred_to_a_longer_one_that_cuts_the_text_in_two():
    target = Candidate(url="/bars", title="Pull-up bars for narrow doorways")
    article = "<p>Pull-up bars narrow doorframes allow.</p><p>Fit the pull-up bars on any door.</p>"

    linked = insert_links(article, [target], max_links=1)

    assert linked.links == [{"url": "/bars", "anchor": "pull-up bars"}]
    assert '<p>Fit the <a href="/bars">pull-up bars</a> on any door.</p>' in linked.html


def test_generic_title_words_never_make_an_anchor_alone():
    target = Candidate(url="/mistakes", title="7 common mistakes with bodyweight squats")

    linked = insert_links("<p>A common mistake is rushing.</p>", [target], max_links=1)

    assert linked.links == []


def test_no_link_without_a_phrase_of_two_meaningful_words_shared_with_the_target():
    article = "<p>Coffee is great. Size matters, and a chart helps.</p><p>Green is a colour.</p>"

    linked = insert_links(article, [GRIND, TEA], max_links=3)

    assert linked.links == []
    assert linked.html == article


def test_headings_existing_links_captions_and_code_are_never_linked():
    article = (
        "<h2>Coffee grind size</h2>"
        '<p><a href="https://else.example/">coffee grind size</a> elsewhere</p>'
        "<figure><img src='x.png' alt='coffee grind size'><figcaption>coffee grind size</figcaption></figure>"
        '<div class="wp-caption-text">coffee grind size</div>'
        "<pre>coffee grind size</pre>"
    )

    assert insert_links(article, [GRIND], max_links=3).links == []


def test_each_target_is_linked_once_and_each_paragraph_holds_one_new_link():
    article = (
        "<p>Coffee grind size and a pour over kettle.</p>"
        "<p>Again coffee grind size.</p>"
        "<ul><li>A pour over kettle helps.</li></ul>"
    )

    linked = insert_links(article, [GRIND, KETTLE, GRIND], max_links=5)

    assert linked.links == [
        {"url": GRIND.url, "anchor": "Coffee grind size"},
        {"url": KETTLE.url, "anchor": "pour over kettle"},
    ]
    assert linked.html.count(GRIND.url) == 1
    assert linked.html == (
        f'<p><a href="{GRIND.url}">Coffee grind size</a> and a pour over kettle.</p>'
        "<p>Again coffee grind size.</p>"
        f'<ul><li>A <a href="{KETTLE.url}">pour over kettle</a> helps.</li></ul>'
    )


def test_at_most_max_links_are_inserted_best_candidate_first():
    article = "<p>Coffee grind size.</p><p>Pour over kettle.</p>"

    linked = insert_links(article, [KETTLE, GRIND], max_links=1)

    assert linked.links == [{"url": KETTLE.url, "anchor": "Pour over kettle"}]
    assert insert_links(article, [KETTLE, GRIND], max_links=0).html == article


def test_never_links_to_itself_nor_again_to_a_target_already_linked():
    article = f'<p>Coffee grind size.</p><p>See <a href="{KETTLE.url}/">kettles</a>; pour over kettle.</p>'

    linked = insert_links(article, [GRIND, KETTLE], max_links=3, self_url="HTTPS://Shop.example/grind-size/")

    assert linked.links == []


def test_inserted_text_and_urls_are_escaped_and_unsafe_schemes_refused():
    article = "<p>Fish &amp; coffee grind size &lt;here&gt;.</p>"
    quoted = Candidate(url='https://shop.example/a"b?x=1&y=2', title="Coffee Grind Size")
    script = Candidate(url="javascript:alert(1)", title="Coffee Grind Size")

    assert insert_links(article, [script], max_links=1).links == []
    linked = insert_links(article, [quoted], max_links=1)

    assert linked.html == (
        '<p>Fish &amp; <a href="https://shop.example/a&quot;b?x=1&amp;y=2">coffee grind size</a>'
        " &lt;here&gt;.</p>"
    )


def test_an_anchor_does_not_run_across_punctuation():
    target = Candidate(url="/grind", title="Coffee Grind")

    assert insert_links("<p>Buy coffee. Grind it fine.</p>", [target], max_links=1).links == []
    assert insert_links("<p>Buy coffee grind.</p>", [target], max_links=1).links != []


def test_checking_keeps_valid_links_and_unwraps_the_others_to_text():
    answer = (
        f'<h2>About <a href="{GRIND.url}">grind</a></h2>'
        f'<p>The <a href="{GRIND.url}">coffee grind size</a> chart and <a href="{GRIND.url}/">again</a>.</p>'
        '<p>An <a href="https://invented.example/">invented page</a> and '
        f'<a href="{KETTLE.url}">a kettle</a> and <a href="{TEA.url}">tea</a>.</p>'
    )

    checked = check_links(answer, [GRIND.url, KETTLE.url, TEA.url], max_links=2)

    assert checked.links == [
        {"url": GRIND.url, "anchor": "coffee grind size"},
        {"url": KETTLE.url, "anchor": "a kettle"},
    ]
    assert checked.html == (
        "<h2>About grind</h2>"
        f'<p>The <a href="{GRIND.url}">coffee grind size</a> chart and again.</p>'
        f'<p>An invented page and <a href="{KETTLE.url}">a kettle</a> and tea.</p>'
    )


def test_checking_drops_links_to_the_article_itself():
    checked = check_links(
        f'<p><a href="{GRIND.url}">grind</a></p>', [GRIND.url], max_links=3, self_url=GRIND.url
    )

    assert (checked.html, checked.links) == ("<p>grind</p>", [])
