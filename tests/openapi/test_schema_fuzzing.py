"""Schemathesis over every operation of /api/schema/, against gunicorn, as two accounts.

Each generated request is sent once as Alice and once as Bob, each on its own site, and every
answer must: not be a 5xx, carry a status and content type the schema documents for the
operation, match the documented body (the envelope, the error components and their `code`
enums), and accept schema-valid input. Then the same request is aimed at the other account's
site, run and objects: it must be refused, and no answer may carry the other account's ids or
strings (the cross-account check this suite adds to the fuzzing).
"""

import json
from collections import Counter

import pytest
import schemathesis
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

# Seeded and bounded: a few minutes on 2 cores for the ~55 operations (the coverage phase,
# which multiplies the cases of operations with many fields, is left to manual runs).
MAX_EXAMPLES = 10
SEED = 14

# Answers that refuse well-formed input because of what is stored, or of a rule a schema cannot
# state (a common password, a CSV file's encoding and header), not because of its form: allowed
# by the acceptance check only with these codes, and for `validation_error` only when it names
# these fields.
STATE_CODES = {
    "wrong_password",
    "last_owner",
    "invalid_encoding",
    "missing_header",
    "run_active",
    "insufficient_credits",
    "invalid_transition",
    "invalid_ids",
    "too_few_keywords",
    "duplicate_keyword",
    "duplicate_cluster",
    "conflict",
    "site_inactive",
    "no_destination",
    "nothing_to_retry",
    "url_not_allowed",  # a webhook URL that resolves to a refused address (or not at all)
    "url_unreachable",
    # A sitemap URL whose document is not a readable sitemap (or redirects to another host).
    "sitemap_invalid",
    "sitemap_unavailable",
    "sitemap_too_large",
    "cross_host_redirect",
}
STATE_FIELDS = {
    "auth_register": {"email", "password"},
    "auth_password": {"new_password"},
    "users_create": {"email", "password"},
    "sites_create": {"name"},
    "sites_update": {"name"},
    "sites_partial_update": {"name"},
    # A WordPress destination needs a user name; a webhook does not.
    "publishing_destinations_create": {"username"},
    "publishing_destinations_update": {"username"},
    "publishing_destinations_partial_update": {"username"},
}


def _raw_schema() -> dict:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(generated, renderer_context={}))


schema = schemathesis.openapi.from_dict(
    _raw_schema(),
    config=schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {"mode": "positive", "max-examples": MAX_EXAMPLES},
            "phases": {"coverage": {"enabled": False}},
        }
    ),
)


@schemathesis.check
def positive_data_acceptance_unless_state_refuses(ctx, response, case):
    """`positive_data_acceptance`, except for the refusals of stored state listed above."""
    if response.status_code == 400:
        body = response.json()
        if body.get("code") in STATE_CODES:
            return None
        fields = set(body.get("errors") or {})
        if (
            body.get("code") == "validation_error"
            and fields
            and fields <= STATE_FIELDS.get(case.operation.definition.raw.get("operationId"), set())
        ):
            return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    positive_data_acceptance_unless_state_refuses,
]


def _own(case, tenant):
    """The case aimed at the tenant's own site (a random site id would only ever meet a 404)."""
    if "site_id" in (case.query or {}):
        case.query["site_id"] = tenant.site_id
    return case


def _collection(case) -> str | None:
    parts = [part for part in case.path.strip("/").split("/") if not part.startswith("{")]
    return parts[-1] if parts else None


def _aimed_at(case, other):
    """A copy of the case naming the other account's site, run and object instead of its own."""
    aimed = case.operation.Case(
        method=case.method,
        path_parameters=dict(case.path_parameters or {}),
        query=dict(case.query or {}),
        headers=dict(case.headers or {}),
        body=case.body,
        media_type=case.media_type,
    )
    changed = False
    if "site_id" in aimed.query:
        aimed.query["site_id"] = other.site_id
        changed = True
    if "run_id" in aimed.query:
        aimed.query["run_id"] = other.run_id
        changed = True
    if "id" in aimed.path_parameters and _collection(case) in other.object_ids:
        aimed.path_parameters["id"] = other.object_ids[_collection(case)]
        changed = True
    return aimed if changed else None


def _ids_named(value, keys):
    if isinstance(value, dict):
        for key, inner in value.items():
            if key in keys and isinstance(inner, (int, str)):
                yield inner
            yield from _ids_named(inner, keys)
    elif isinstance(value, list):
        for inner in value:
            yield from _ids_named(inner, keys)


def assert_nothing_of(other, response, *, label):
    text = response.text
    for marker in other.markers:
        assert marker not in text, f"{label}: the answer carries another account's data ({marker!r})"
    if "json" not in response.headers.get("Content-Type", ""):
        return
    body = response.json()
    assert other.site_id not in set(_ids_named(body, {"site", "site_id"})), f"{label}: other site id"
    assert other.account_id not in set(_ids_named(body, {"account"})), f"{label}: other account id"
    # Run ids share their timestamp prefix, so they are compared whole.
    assert other.run_id not in set(_ids_named(body, {"run_id"})), f"{label}: other run id"


# What the run covered, reported at the end: operations, generated examples, requests sent.
FIGURES = Counter()


def exchange(case, me, other, base_url):
    FIGURES["requests"] += 1
    response = _own(case, me).call_and_validate(base_url=base_url, headers=me.headers, checks=CHECKS)
    assert_nothing_of(other, response, label=f"{case.operation.label} as {me.email}")
    aimed = _aimed_at(case, other)
    if aimed is not None:
        FIGURES["requests"] += 1
        crossed = aimed.call(base_url=base_url, headers=me.headers)
        assert crossed.status_code >= 400, (
            f"{case.operation.label} as {me.email} reached another account's objects: {crossed.status_code}"
        )
        assert_nothing_of(other, crossed, label=f"{case.operation.label} aimed at another account")


@pytest.mark.integration
@schema.parametrize()
# The two accounts are made once per operation and shared by its examples on purpose.
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_operation_conforms_and_never_shows_another_accounts_data(case, api_server, alice, bob):
    FIGURES["examples"] += 1
    FIGURES[case.operation.label] += 1
    exchange(case, alice, bob, api_server)
    exchange(case, bob, alice, api_server)
