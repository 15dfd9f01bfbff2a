"""CSV imports a hostile or careless file cleanly (issue 10, point 6)."""

import pytest

from planner.models import Keyword
from tests.conftest import assert_error_envelope
from tests.planner.test_csv_import import upload

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_errors_logged")]


def test_duplicate_header_columns_are_a_400_naming_them(owner_client, tenant):
    data = b"keyword,volume,Keyword,intent,volume\nsolar panels,10,x,commercial,20\n"
    body = assert_error_envelope(upload(owner_client, tenant.site, data), 400, "duplicate_columns")
    assert "keyword" in body["error"] and "volume" in body["error"]
    assert not Keyword.objects.exists()


def test_an_unterminated_quote_is_an_error_on_its_line_not_one_giant_keyword(owner_client, tenant):
    data = b'keyword,volume\nsolar panels,10\n"wind turbine,5\nheat pump,7\ngeothermal,9\n'
    response = upload(owner_client, tenant.site, data)
    assert response.status_code == 200
    result = response.json()["data"]
    assert result["created"] == 1
    assert result["errors"] == [
        {"line": 3, "error": "a quoted field starts on this line and is never closed"}
    ]
    assert list(Keyword.objects.values_list("keyword", flat=True)) == ["solar panels"]


def test_a_keyword_of_only_invisible_characters_is_a_line_error(owner_client, tenant):
    data = "keyword\n\u200b\u200b\n\ufeff\u200d \u2060\nsolar panels\n".encode()
    result = upload(owner_client, tenant.site, data).json()["data"]
    assert result["created"] == 1
    assert result["errors"] == [
        {"line": 2, "error": "keyword has no visible characters"},
        {"line": 3, "error": "keyword has no visible characters"},
    ]


def test_cells_that_look_like_formulas_are_stored_as_plain_text(owner_client, tenant):
    data = b'keyword,volume\n=HYPERLINK("http://x"),1\n+solar,2\n-5 diet tips,3\n@wind,4\n'
    result = upload(owner_client, tenant.site, data).json()["data"]
    assert result["created"] == 4 and result["errors"] == []
    stored = sorted(Keyword.objects.values_list("keyword", flat=True))
    assert stored == ["+solar", "-5 diet tips", '=HYPERLINK("http://x")', "@wind"]
