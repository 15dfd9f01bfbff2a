"""Bad input is a 4xx error envelope, never a 500 and never a traceback in the log (issue 10, point 5).

One test per class of bad input; each class is fixed at one place: the JSON parser (size,
depth), the text checks (NUL, unpaired surrogates) and the serializers' integer bounds.
"""

import json

import pytest
from django.conf import settings
from rest_framework.test import APIClient

from planner.models import Keyword
from tests.conftest import assert_error_envelope
from tests.factories import make_content, make_keywords

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_errors_logged")]

NUL = "\x00"
LONE_SURROGATE = "\ud800"


def raw_json_post(client, url: str, text: str):
    # json.dumps escapes a lone surrogate as \ud800, which is what a hostile client sends.
    return client.post(url, data=text.encode(), content_type="application/json")


def test_json_body_over_the_upload_limit_is_a_413_even_anonymously_on_login(owner_client, tenant):
    oversized = json.dumps({"email": "a@example.com", "password": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    login = raw_json_post(APIClient(), "/api/v1/auth/login/", oversized)
    assert_error_envelope(login, 413, "request_too_large")
    keywords = raw_json_post(owner_client, f"/api/v1/planner/keywords/?site_id={tenant.site.pk}", oversized)
    assert_error_envelope(keywords, 413, "request_too_large")


def test_a_form_body_sent_to_the_api_is_a_415_whatever_its_size(tenant):
    response = APIClient().post(
        "/api/v1/auth/login/",
        data="email=a%40example.com&password=" + "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE,
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_envelope(response, 415, "unsupported_media_type")


def test_a_multipart_body_over_the_upload_limit_is_a_413(owner_client, tenant):
    response = owner_client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={tenant.site.pk}",
        {"note": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE, "file": _upload(b"keyword\nsolar\n")},
        format="multipart",
    )
    assert_error_envelope(response, 413, "request_too_large")


def test_a_multipart_body_with_too_many_fields_is_a_400(owner_client, tenant):
    fields = {f"field{number}": "x" for number in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    response = owner_client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={tenant.site.pk}",
        {**fields, "file": _upload(b"keyword\nsolar\n")},
        format="multipart",
    )
    assert_error_envelope(response, 400, "bad_request")


@pytest.mark.parametrize("depth", [33, 100_000])
def test_deeply_nested_json_is_a_400_parse_error(owner_client, tenant, depth):
    nested = "[" * depth + "]" * depth
    anonymous = raw_json_post(APIClient(), "/api/v1/auth/login/", nested)
    assert_error_envelope(anonymous, 400, "parse_error")
    response = raw_json_post(owner_client, f"/api/v1/planner/keywords/?site_id={tenant.site.pk}", nested)
    assert_error_envelope(response, 400, "parse_error")


def test_json_nested_within_the_limit_still_parses(owner_client, tenant):
    nested = {"keyword": "solar panels", "extra": json.loads("[" * 30 + "]" * 30)}
    response = owner_client.post(f"/api/v1/planner/keywords/?site_id={tenant.site.pk}", nested, format="json")
    assert response.status_code == 201


def test_an_email_over_254_characters_is_a_400_on_register_login_and_add_user(owner_client):
    email = "a" * 250 + "@example.com"
    client = APIClient()
    register = client.post(
        "/api/v1/auth/register/",
        {"email": email, "password": "correct-horse-battery", "account_name": "X"},
        format="json",
    )
    assert assert_error_envelope(register, 400, "validation_error")["errors"]["email"]
    login = client.post("/api/v1/auth/login/", {"email": email, "password": "whatever-1"}, format="json")
    assert_error_envelope(login, 400, "validation_error")
    added = owner_client.post(
        "/api/v1/auth/users/", {"email": email, "password": "correct-horse-battery"}, format="json"
    )
    assert_error_envelope(added, 400, "validation_error")


@pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE], ids=["nul", "lone-surrogate"])
def test_unstorable_characters_in_keyword_text_are_refused_per_row(owner_client, tenant, bad):
    url = f"/api/v1/planner/keywords/?site_id={tenant.site.pk}"
    one = raw_json_post(owner_client, url, json.dumps({"keyword": f"solar{bad}panels"}))
    assert_error_envelope(one, 400, "validation_error")
    many = raw_json_post(owner_client, url, json.dumps([{"keyword": f"solar{bad}"}, {"keyword": "wind"}]))
    assert many.status_code == 201
    assert [error["index"] for error in many.json()["data"]["errors"]] == [0]
    keyword = Keyword.objects.get(site=tenant.site)
    patched = owner_client.generic(
        "PATCH",
        f"/api/v1/planner/keywords/{keyword.pk}/",
        json.dumps({"keyword": f"x{bad}"}).encode(),
        content_type="application/json",
    )
    assert_error_envelope(patched, 400, "validation_error")
    assert list(Keyword.objects.values_list("keyword", flat=True)) == ["wind"]


@pytest.mark.parametrize("bad", [NUL, LONE_SURROGATE], ids=["nul", "lone-surrogate"])
def test_unstorable_characters_in_content_tags_are_refused(editor_client, tenant, bad):
    content = make_content(site=tenant.site, title="Article")
    response = editor_client.generic(
        "PATCH",
        f"/api/v1/writer/content/{content.pk}/",
        json.dumps({"tags": ["ok", f"bad{bad}"], "categories": [f"c{bad}"]}).encode(),
        content_type="application/json",
    )
    body = assert_error_envelope(response, 400, "validation_error")
    assert set(body["errors"]) == {"tags", "categories"}


def test_unstorable_characters_in_csv_cells_are_per_line_errors(owner_client, tenant):
    data = b"keyword,volume\nsolar\x00panels,10\nwind turbine,5\n"
    response = owner_client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={tenant.site.pk}",
        {"file": _upload(data)},
        format="multipart",
    )
    assert response.status_code == 200
    result = response.json()["data"]
    assert result["created"] == 1
    assert result["errors"] == [{"line": 2, "error": "keyword contains a NUL character"}]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/ai/logs/?site_id={site}&run_id=run%00x",
        "/api/v1/ai/logs/?site_id={site}&function=auto%00cluster",
        "/api/v1/automation/logs/?run_id=run%00x",
        "/api/v1/automation/current_processing/?site_id={site}&run_id=run%00x",
        "/api/v1/planner/keywords/?site_id={site}&search=so%00lar",
    ],
)
def test_a_nul_byte_in_a_query_parameter_is_a_400(owner_client, tenant, path):
    response = owner_client.get(path.format(site=tenant.site.pk))
    body = assert_error_envelope(response, 400, "validation_error")
    assert "NUL" in body["error"]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "/api/v1/planner/keywords/?site_id={site}", {"keyword": "big", "volume": 2**31}),
        ("patch", "/api/v1/planner/keywords/{keyword}/", {"volume": 2**31}),
        ("patch", "/api/v1/planner/keywords/{keyword}/", {"volume": 2**70}),
        ("patch", "/api/v1/automation/update_config/?site_id={site}", {"max_credits_per_run": 2**31}),
        ("post", "/api/v1/planner/keywords/auto_cluster/?site_id={site}", {"ids": [2**63]}),
    ],
)
def test_integers_out_of_the_columns_range_are_a_400(owner_client, tenant, method, path, body):
    keyword = make_keywords(site=tenant.site, texts=["solar"])[0]
    url = path.format(site=tenant.site.pk, keyword=keyword.pk)
    response = getattr(owner_client, method)(url, body, format="json")
    assert_error_envelope(response, 400)
    assert Keyword.objects.get(pk=keyword.pk).volume == keyword.volume


@pytest.mark.parametrize("number", [2**31, 2**63, 10**40])
def test_out_of_range_ids_answer_like_unknown_ones(owner_client, tenant, number):
    site = owner_client.get(f"/api/v1/planner/keywords/?site_id={number}")
    assert_error_envelope(site, 404, "not_found")
    ids = owner_client.post(
        f"/api/v1/writer/content/bulk_update_status/?site_id={tenant.site.pk}",
        {"ids": [number], "status": "review"},
        format="json",
    )
    assert ids.status_code in (400, 404) and ids.json()["success"] is False


def test_a_csv_field_longer_than_the_csv_modules_limit_is_a_line_error(owner_client, tenant):
    data = ("keyword\n" + "a" * 200_000 + "\nwind turbine\n").encode()
    response = owner_client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={tenant.site.pk}",
        {"file": _upload(data)},
        format="multipart",
    )
    assert response.status_code == 200
    result = response.json()["data"]
    assert result["created"] == 1
    assert [error["line"] for error in result["errors"]] == [2]


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("keywords.csv", data, content_type="text/csv")
