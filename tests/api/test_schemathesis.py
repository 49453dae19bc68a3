"""The JSON API fuzzed from its own OpenAPI document with schemathesis, in process against the suite's app: every
operation, as a signed-in traveler, with generated inputs (valid and invalid), answers without a 500, and every
response matches its declared status codes, content type and schema. The fixtures are in conftest.py; the
stateful run, which follows the document's links, is test_schemathesis_stateful.py."""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_without_a_500_and_as_documented(case, traveler_cookie):
    # Every check but one: "schema-valid data is accepted" cannot hold where the rules are about meaning, which
    # OpenAPI cannot express (a date of birth in the future, a release before the conviction, a country code that
    # is two letters but no country); those refusals are 400s that name the field, tested in test_eligibility_check.
    case.call_and_validate(cookies=traveler_cookie, excluded_checks=[positive_data_acceptance])
