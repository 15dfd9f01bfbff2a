import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from planner.models import Keyword
from tests.factories import make_keywords

pytestmark = pytest.mark.django_db


def upload(client, site, data: bytes, name="keywords.csv"):
    return client.post(
        f"/api/v1/planner/keywords/import_csv/?site_id={site.pk}", {"file": SimpleUploadedFile(name, data)}
    )


def test_import_reports_each_bad_line_by_number_and_keeps_the_good_ones(owner_client, tenant):
    site = tenant.site
    make_keywords(site=site, texts=["Existing Keyword"])
    data = (
        b"keyword,volume,difficulty,intent,notes\n"  # line 1
        b"coffee grinder,1200,35,commercial,x\n"  # 2 ok
        b",100,10,informational\n"  # 3 empty keyword
        b"espresso,many,10,informational\n"  # 4 bad volume
        b"latte art,100,150,informational\n"  # 5 difficulty out of range
        b"moka pot,100,10,curious\n"  # 6 unknown intent
        b"existing keyword,5,5,informational\n"  # 7 duplicate of the site
        b"Coffee Grinder,5,5,informational\n"  # 8 duplicate earlier in the file
        b"\n"  # 9 blank, ignored
        b'"cold brew, ratio",300,20,\n'  # 10 ok: quoted comma, default intent
    )
    body = upload(owner_client, site, data).json()["data"]
    assert body["created"] == 2
    assert body["skipped"] == 6
    lines = {item["line"]: item["error"] for item in body["errors"]}
    assert sorted(lines) == [3, 4, 5, 6, 7, 8]
    assert "empty" in lines[3]
    assert "volume" in lines[4]
    assert "difficulty" in lines[5]
    assert "intent" in lines[6]
    assert "already exists" in lines[7]
    assert "earlier" in lines[8]
    created = Keyword.objects.get(site=site, keyword="cold brew, ratio")
    assert (created.volume, created.intent, created.status) == (300, "informational", "new")
    assert not Keyword.objects.filter(keyword__in=["espresso", "latte art", "moka pot"]).exists()


def test_import_without_a_header_is_refused(owner_client, tenant):
    response = upload(owner_client, tenant.site, b"coffee grinder,1200,35,commercial\n")
    assert response.status_code == 400
    assert response.json()["code"] == "missing_header"
    assert not Keyword.objects.exists()


def test_import_of_an_empty_file_is_refused(owner_client, tenant):
    response = upload(owner_client, tenant.site, b"")
    assert response.status_code == 400


def test_import_of_a_non_utf8_file_is_refused(owner_client, tenant):
    response = upload(owner_client, tenant.site, "keyword\ncafé crème\n".encode("latin-1"))
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_encoding"
    assert not Keyword.objects.exists()


def test_import_accepts_a_utf8_bom(owner_client, tenant):
    body = upload(owner_client, tenant.site, "\ufeffkeyword\ncafé crème\n".encode()).json()["data"]
    assert body == {"created": 1, "skipped": 0, "errors": []}


def test_import_of_a_file_over_5_mb_is_refused(owner_client, tenant):
    data = b"keyword\n" + b"x" * (5 * 1024 * 1024)
    response = upload(owner_client, tenant.site, data)
    assert response.status_code == 400
    assert response.json()["code"] == "file_too_large"
    assert not Keyword.objects.exists()


def test_import_without_a_file_is_a_validation_error(owner_client, tenant):
    response = owner_client.post(f"/api/v1/planner/keywords/import_csv/?site_id={tenant.site.pk}", {})
    assert response.status_code == 400
    assert "file" in response.json()["errors"]


def test_import_keywords_command(tenant, tmp_path):
    from io import StringIO

    from django.core.management import call_command

    path = tmp_path / "k.csv"
    path.write_text("keyword,volume\nsolar panels,500\nsolar panels,1\n")
    out = StringIO()
    call_command("import_keywords", "--site", str(tenant.site.pk), str(path), stdout=out)
    assert '"created": 1' in out.getvalue() and '"line": 3' in out.getvalue()
