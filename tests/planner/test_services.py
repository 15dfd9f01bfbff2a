"""Planner services the pipeline writes through."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from planner.models import ContentIdea
from planner.services import IdeaFields, ideas_create
from tests.factories import make_cluster, make_keywords

pytestmark = pytest.mark.django_db


def test_a_clusters_ideas_are_saved_in_as_many_statements_for_five_as_for_one(tenant):
    site = tenant.site
    cluster = make_cluster(
        site=site, name="Grinders", keywords=["burr grinder", "hand grinder", "blade grinder"]
    )
    burr, hand, blade = cluster.keywords.order_by("pk").values_list("pk", flat=True)
    (elsewhere,) = make_keywords(site=site, texts=["espresso machine"])

    counts = []
    for ideas in (
        [IdeaFields(title="Burr or blade", keyword_ids=(burr, blade))],
        [
            IdeaFields(title=" Hand  grinders ", keyword_ids=(hand, elsewhere.pk)),
            IdeaFields(title="", estimated_word_count=90_000),
            IdeaFields(
                title="Best grinder", duplicate_of="https://client.example/best", duplicate_score=0.93
            ),
            IdeaFields(title="Blade grinders", keyword_ids=(blade,)),
            IdeaFields(title="Grinder care", keyword_ids=(burr, hand, blade)),
        ],
    ):
        with CaptureQueriesContext(connection) as queries:
            created = ideas_create(cluster=cluster, ideas=ideas)
        counts.append(len(queries))
        assert len(created) == len(ideas)
    assert counts == [3, 3]

    saved = {idea.idea_title: idea for idea in ContentIdea.objects.filter(keyword_cluster=cluster)}
    links = {title: sorted(idea.keywords.values_list("pk", flat=True)) for title, idea in saved.items()}
    # A keyword of another cluster is not linked; every idea gets its own.
    assert links == {
        "Burr or blade": [burr, blade],
        "Hand grinders": [hand],
        "Grinders": [],
        "Best grinder": [],
        "Blade grinders": [blade],
        "Grinder care": [burr, hand, blade],
    }
    assert saved["Grinders"].estimated_word_count == 5000
    assert (saved["Best grinder"].status, saved["Best grinder"].duplicate_score) == ("duplicate", 0.93)
    assert saved["Grinder care"].status == "new"
