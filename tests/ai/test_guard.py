"""The cannibalization guard: ideas against pages, earlier ideas and the ideas of the same answer."""

import pytest

from ai.guard import idea_text, ideas_check
from planner import inventory
from planner.models import SitePage
from planner.services import IdeaFields, idea_create
from tests.factories import make_cluster

pytestmark = pytest.mark.django_db

PAGES = (
    b"url,title,summary\n"
    b"https://shop.test/crate,A beginner's guide to crate training,How to crate train a puppy calmly.\n"
    b"https://shop.test/gone,Pruning roses step by step,When and how to prune roses.\n"
)


def text(title: str) -> str:
    return idea_text(title=title, description=f"Outline: {title.lower()}; practical advice.", keywords=[])


def test_an_idea_close_to_a_live_page_is_held_back_with_its_url_and_a_new_subject_passes(tenant, offline):
    inventory.inventory_import_csv(site=tenant.site, data=PAGES)
    SitePage.objects.filter(url="https://shop.test/gone").update(http_status=404)
    titles = [
        "Crate training for beginners: where to start",
        "Pruning roses: a step-by-step guide",
        "Choosing a siphon coffee brewer",
    ]
    checked = ideas_check([text(title) for title in titles], titles=titles, site=tenant.site)
    assert checked[0].match.target == "https://shop.test/crate" and checked[0].match.score >= 0.65
    assert checked[1].match is None  # the only close page answers 404
    assert checked[2].match is None
    assert {item.model for item in checked} == {"offline-semantic"}


def test_ideas_are_compared_with_earlier_ideas_and_with_the_ideas_before_them(tenant, offline, settings):
    settings.GUARD_IDEA_THRESHOLD = 0.9
    cluster = make_cluster(site=tenant.site, name="Gardening")
    first = ideas_check([text("Raised beds for small gardens")], titles=["x"], site=tenant.site)[0]
    idea_create(
        cluster=cluster,
        fields=IdeaFields(
            title="Raised beds for small gardens", embedding=first.vector, embedding_model=first.model
        ),
    )
    titles = ["Raised beds for small gardens", "Composting kitchen scraps", "Composting kitchen scraps"]
    checked = ideas_check([text(title) for title in titles], titles=titles, site=tenant.site)
    assert checked[0].match.target == "Raised beds for small gardens"
    assert checked[1].match is None
    assert (checked[2].match.target, checked[2].match.score) == ("Composting kitchen scraps", 1.0)
