"""LOG_FORMAT=json: one JSON object a line, with the request id, run id and stage where known."""

import io
import json
import logging

import pytest

from automation.engine.claim import execute_run
from automation.services.config import config_get_or_create, config_update
from automation.services.runs import start_automation
from igny8.logs import ContextFilter, JsonFormatter
from tests.factories import make_keywords

pytestmark = pytest.mark.django_db


@pytest.fixture
def json_lines():
    """Records reaching the root logger, formatted as the console handler does with LOG_FORMAT=json."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)

    def lines() -> list[dict]:
        return [json.loads(line) for line in stream.getvalue().splitlines()]

    yield lines
    root.removeHandler(handler)


def test_a_log_line_written_during_a_request_carries_the_responses_request_id(client, json_lines):
    response = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="client-chosen-id")
    assert response.status_code == 404
    line = next(line for line in json_lines() if line["logger"] == "django.request")
    assert line["request_id"] == response["X-Request-ID"] == "client-chosen-id"
    assert line["level"] == "WARNING" and line["time"] and "/api/v1/no-such-endpoint/" in line["message"]


def test_a_runs_log_lines_carry_its_run_id_and_stage(tenant, offline, json_lines):
    site = tenant.site
    make_keywords(site=site, texts=[f"running shoes model {n}" for n in range(6)])
    config = config_get_or_create(site=site)
    config_update(config=config, fields={"within_stage_delay": 0, "between_stage_delay": 0})
    run = start_automation(site=site)
    assert execute_run(run_pk=run.pk) == "completed"
    lines = [line for line in json_lines() if line.get("run_id") == run.run_id]
    assert {line.get("stage") for line in lines} >= {1, 2, 7}
    assert "request_id" not in lines[0]


def test_an_exception_stays_on_one_line(json_lines):
    try:
        raise ValueError("broken\nacross lines")
    except ValueError:
        logging.getLogger("igny8.test").exception("it failed")
    (line,) = json_lines()
    assert line["message"] == "it failed" and "ValueError" in line["exc_info"]
