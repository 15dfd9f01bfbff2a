from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from ai.models import AITaskLog
from igny8.sql import insert_row
from tests.factories import make_account


@pytest.mark.django_db
def test_insert_row_stores_what_create_stores_in_one_statement():
    tenant = make_account()
    values = {
        "account": tenant.account,
        "site_id": tenant.site.pk,
        "function": "generate_images",
        "status": AITaskLog.Status.SUCCESS,
        "model": "dall-e-3",  # a field named like insert_row's own first argument
        "cost_usd": Decimal("0.040000"),
        "items": [3, {"nested": "ünïcode"}],
        "stage": None,
    }
    created = AITaskLog.objects.create(**values)
    with CaptureQueriesContext(connection) as queries:
        pk = insert_row(AITaskLog, **values)
    assert len(queries.captured_queries) == 1
    inserted = AITaskLog.objects.get(pk=pk)
    assert model_to_dict(inserted, exclude=["id"]) == model_to_dict(created, exclude=["id"])
    assert inserted.provider == "" and inserted.tokens_in == 0  # the fields' defaults
    assert abs((inserted.created_at - created.created_at).total_seconds()) < 5


@pytest.mark.django_db
def test_insert_row_refuses_a_field_the_model_does_not_have():
    tenant = make_account()
    with pytest.raises(TypeError, match="colour"):
        insert_row(AITaskLog, account=tenant.account, site=tenant.site, function="f", status="ok", colour=1)
    assert not AITaskLog.objects.exists()
