"""The row lock compiled once is the ORM's `select_for_update`, statement for statement."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ai.functions import get_function
from ai.sql import rows_locked
from planner.models import ClusterStatus
from tenancy.models import Site
from tests.factories import make_account, make_cluster, make_content, make_keywords

pytestmark = pytest.mark.django_db


def orm_locked(function, *, site, ids):
    return list(
        function.eligible(site=site).filter(pk__in=ids).select_for_update(of=("self",)).order_by("pk")
    )


def lock_twice(function, *, site, ids):
    """The rows and the statement of the compiled lock, then of the ORM's, in one transaction."""
    with transaction.atomic():
        with CaptureQueriesContext(connection) as compiled:
            rows = function.locked(site=site, ids=ids)
        with CaptureQueriesContext(connection) as orm:
            expected = orm_locked(function, site=site, ids=ids)
    return (rows, [query["sql"] for query in compiled]), (expected, [query["sql"] for query in orm])


def test_the_lock_of_each_kind_of_row_is_the_orms_select_for_update():
    site, other = make_account().site, make_account().site
    keywords = make_keywords(site=site, texts=["a b", "c d", "e f"])
    clusters = [make_cluster(site=site, name=name) for name in ("one", "two")]
    clusters[1].status = ClusterStatus.MAPPED
    clusters[1].save()
    contents = [make_content(site=site, title=title) for title in ("first post", "second post")]
    foreign = make_keywords(site=other, texts=["g h"])
    cases = [
        ("auto_cluster", [keywords[2].pk, foreign[0].pk, keywords[0].pk]),
        ("generate_ideas", [cluster.pk for cluster in clusters]),
        ("generate_image_prompts", [content.pk for content in reversed(contents)]),
    ]
    for name, ids in cases:
        (rows, sql), (expected, orm_sql) = lock_twice(get_function(name), site=site, ids=ids)
        assert rows == expected and rows, name
        assert sql == orm_sql and "FOR UPDATE" in sql[0], name


def test_the_statement_is_kept_per_site_id_not_per_site_object():
    site = make_account().site
    (keyword,) = make_keywords(site=site, texts=["a b"])
    function = get_function("auto_cluster")
    with transaction.atomic():
        assert function.locked(site=site, ids=[keyword.pk]) == [keyword]
        # Another object of the same site (as another request loads it) finds the statement kept.
        compiled = []
        rows = rows_locked(
            key=(function.name, site.pk),
            rows=lambda: compiled.append(1) or function.eligible(site=Site.objects.get(pk=site.pk)),
            ids=[keyword.pk],
        )
    assert rows == [keyword] and compiled == []
