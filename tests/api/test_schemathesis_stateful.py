"""The JSON API fuzzed statefully: schemathesis chains operations along the OpenAPI links the document declares
(programs -> start an application, started or listed applications -> one application by its reference), as the
signed-in traveler of conftest.py, whose complete profile lets POST /applications succeed. Every answer in every
sequence is checked as in the stateless run: never a 500, status codes, content type and bodies as documented,
and a reference the API has just handed out is found (schemathesis' ensure_resource_availability).

Run with -s to see the run's figures (requests by status, sequences, links followed) on stderr."""

from __future__ import annotations

import logging
import sys
from collections import Counter

from hypothesis import HealthCheck, Phase, settings
from schemathesis.generation.stateful import run_state_machine_as_test
from schemathesis.specs.openapi.checks import positive_data_acceptance

APPLICATION = "#/paths/~1api~1v1~1applications~1{reference}/get"
START_APPLICATIONS = "#/paths/~1api~1v1~1applications/post"


def test_the_document_declares_the_links_between_operations(client, api_schema):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]
    assert paths["/api/v1/applications"]["post"]["responses"]["201"]["links"]["GetFirstApplication"] == {
        "operationRef": APPLICATION,
        "parameters": {"reference": "$response.body#/0/reference"},
        "description": "The first application started",
    }
    assert paths["/api/v1/applications"]["get"]["responses"]["200"]["links"]["GetNewestApplication"] == {
        "operationRef": APPLICATION,
        "parameters": {"reference": "$response.body#/0/reference"},
        "description": "The newest application listed",
    }
    apply = paths["/api/v1/programs"]["get"]["responses"]["200"]["links"]["ApplyForFirstProgram"]
    assert apply["operationRef"] == START_APPLICATIONS
    assert apply["requestBody"] == {"programs": ["$response.body#/0/code"]}
    # The link sits beside the documented body, not in place of it, and nowhere else.
    assert "content" in paths["/api/v1/applications"]["post"]["responses"]["201"]
    linked = {
        (path, method, status)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "parameters"
        for status, response in operation["responses"].items()
        if "links" in response
    }
    assert linked == {
        ("/api/v1/applications", "post", "201"),
        ("/api/v1/applications", "get", "200"),
        ("/api/v1/programs", "get", "200"),
    }
    # Still a valid OpenAPI 3.0 document (schemathesis checks it against the specification's own schema).
    assert document["openapi"] == "3.0.3"
    api_schema.validate()


class _AccessLog(logging.Handler):
    """Counts the /api/v1 requests the app's access log records (the OpenAPI document itself not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.statuses: Counter[int] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        path = getattr(record, "path", "")
        if path.startswith("/api/v1") and path != "/api/v1/openapi.json":
            self.statuses[record.status] += 1


def test_sequences_along_the_links_answer_without_a_500_and_as_documented(api_schema, traveler_cookie):
    figures = {"sequences": 0, "steps": 0, "links": Counter()}

    class TravelerSequences(api_schema.as_state_machine()):
        def setup(self) -> None:
            figures["sequences"] += 1

        def step(self, input):
            figures["steps"] += 1
            if input.transition is not None and input.is_applied:
                figures["links"][input.transition.id] += 1
            return super().step(input)

        def get_call_kwargs(self, case):
            return {"cookies": traveler_cookie}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            # The same checks as the stateless run, and for the same reason without "schema-valid data is accepted"
            # (see test_schemathesis.py); the stateful checks come with the recorder.
            case.validate_response(
                response,
                additional_checks=additional_checks,
                excluded_checks=[positive_data_acceptance],
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    access = logging.getLogger("trusted_traveler.access")
    log = _AccessLog()
    access.addHandler(log)
    try:
        run_state_machine_as_test(
            TravelerSequences,
            settings=settings(
                max_examples=15,
                stateful_step_count=6,
                phases=[Phase.generate],
                deadline=None,
                suppress_health_check=list(HealthCheck),
            ),
        )
    finally:
        access.removeHandler(log)

    assert 500 not in log.statuses
    assert figures["links"], "no sequence followed a link: the stateful run tested nothing stateful"
    sys.stderr.write(
        f"\nstateful schemathesis: {log.statuses.total()} requests to /api/v1 ({dict(sorted(log.statuses.items()))}), "
        f"{figures['sequences']} sequences, {figures['steps']} steps, links followed {dict(figures['links'])}\n"
    )
