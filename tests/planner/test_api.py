import pytest

from planner.models import Keyword
from tests.factories import make_keywords

pytestmark = pytest.mark.django_db


def test_create_one_keyword_sets_account_and_site_from_the_request(owner_client, tenant, other_tenant):
    response = owner_client.post(
        f"/api/v1/planner/keywords/?site_id={tenant.site.pk}",
        {"keyword": "  solar   panels ", "volume": 10, "difficulty": 5, "intent": "commercial", "site": 999},
        format="json",
    )
    assert response.status_code == 201
    keyword = Keyword.objects.get(pk=response.json()["data"]["id"])
    assert (keyword.keyword, keyword.account_id, keyword.site_id) == (
        "solar panels",
        tenant.account.pk,
        tenant.site.pk,
    )


def test_create_a_list_refuses_duplicates_per_row(owner_client, tenant):
    make_keywords(site=tenant.site, texts=["Solar Panels"])
    response = owner_client.post(
        f"/api/v1/planner/keywords/?site_id={tenant.site.pk}",
        [{"keyword": "solar panels"}, {"keyword": "inverters"}, {"keyword": "INVERTERS"}, {"keyword": ""}],
        format="json",
    )
    body = response.json()["data"]
    assert response.status_code == 201
    assert [row["keyword"] for row in body["created"]] == ["inverters"]
    assert [error["index"] for error in body["errors"]] == [0, 2, 3]


def test_create_a_duplicate_or_invalid_keyword_is_a_400(owner_client, tenant):
    make_keywords(site=tenant.site, texts=["solar panels"])
    url = f"/api/v1/planner/keywords/?site_id={tenant.site.pk}"
    duplicate = owner_client.post(url, {"keyword": "SOLAR PANELS"}, format="json")
    bad = owner_client.post(url, {"keyword": "x", "difficulty": 101, "intent": "nope"}, format="json")
    assert duplicate.status_code == 400 and duplicate.json()["code"] == "duplicate_keyword"
    assert bad.status_code == 400 and set(bad.json()["errors"]) == {"difficulty", "intent"}


def test_list_filters_search_and_ordering(owner_client, tenant):
    make_keywords(site=tenant.site, texts=["solar panels", "solar inverter", "wind turbine"])
    base = f"/api/v1/planner/keywords/?site_id={tenant.site.pk}"
    searched = owner_client.get(base + "&search=solar&ordering=-keyword").json()["results"]
    assert [row["keyword"] for row in searched] == ["solar panels", "solar inverter"]
    assert owner_client.get(base + "&status=mapped").json()["count"] == 0
    assert owner_client.get(base + "&status=bogus").status_code == 400


def test_patch_and_delete_keyword(owner_client, tenant):
    first, second = make_keywords(site=tenant.site, texts=["solar panels", "wind turbine"])
    patched = owner_client.patch(
        f"/api/v1/planner/keywords/{first.pk}/", {"disabled": True, "volume": 9}, format="json"
    )
    assert patched.status_code == 200 and patched.json()["data"]["disabled"] is True
    clash = owner_client.patch(
        f"/api/v1/planner/keywords/{first.pk}/", {"keyword": "Wind Turbine"}, format="json"
    )
    assert clash.status_code == 400
    assert owner_client.delete(f"/api/v1/planner/keywords/{second.pk}/").status_code == 204
    assert list(Keyword.objects.values_list("keyword", flat=True)) == ["solar panels"]
