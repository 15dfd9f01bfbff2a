import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from ai.functions import get_function
from planner.models import KeywordStatus
from tests.factories import make_account, make_keywords

pytestmark = pytest.mark.django_db


def test_locked_rows_are_the_sites_own_still_eligible_ones_whatever_was_locked_before():
    """The locking SQL is kept per site and number of ids: another site's call must not reuse it."""
    function = get_function("auto_cluster")
    mine, theirs = make_account().site, make_account().site
    kept, taken, other = make_keywords(site=mine, texts=["a b", "c d", "e f"])
    (foreign,) = make_keywords(site=theirs, texts=["g h"])
    taken.status = KeywordStatus.MAPPED
    taken.save()
    ids = [other.pk, taken.pk, kept.pk, foreign.pk]
    with transaction.atomic():
        assert function.locked(site=mine, ids=ids) == [kept, other]
        assert function.locked(site=theirs, ids=ids) == [foreign]
        with CaptureQueriesContext(connection) as queries:
            rows = function.locked(site=mine, ids=[foreign.pk, other.pk, kept.pk, taken.pk])
    assert rows == [kept, other] and rows[0].keyword == "a b"
    ((query,),) = [[query["sql"] for query in queries.captured_queries]]
    assert "FOR UPDATE" in query
