"""Mass assignment: every API write refuses a field it does not know, privileged ones above all (status, fee,
profile_id, assigned_officer_id…), with a 400 naming the field — nothing is silently dropped or applied."""

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_profile, sign_in
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db

PRIVILEGED = ["status", "fee", "profile_id", "assigned_officer_id", "reference", "id", "version", "kind", "admin"]
ELIGIBILITY = {"date_of_birth": "1990-05-17", "citizenships": ["US"]}


@pytest.mark.parametrize("field", PRIVILEGED)
def test_starting_an_application_refuses_an_unknown_or_privileged_field(app, client, field):
    with app.app_context():
        create_profile(create_account("mass@example.com"))
        db.session.commit()
    sign_in(client, "mass@example.com")
    response = client.post("/api/v1/applications", json={"programs": ["precheck"], field: "approved"})
    assert response.status_code == 400
    assert {"field": field, "message": "Unknown field."} in response.get_json()["errors"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Application)) == 0  # nothing was started


@pytest.mark.parametrize("field", [*PRIVILEGED, "rule_set", "as_of_override"])
def test_the_eligibility_check_refuses_an_unknown_field(client, field):
    response = client.post("/api/v1/eligibility/check", json={**ELIGIBILITY, field: 1})
    assert response.status_code == 400
    assert {"field": field, "message": "Unknown field."} in response.get_json()["errors"]


def test_an_unknown_field_inside_an_offense_is_named_with_its_path(client):
    offense = {"category": "dui", "status": "convicted", "date": "2010-01-01", "waived": True}
    response = client.post("/api/v1/eligibility/check", json={**ELIGIBILITY, "offenses": [offense]})
    assert response.status_code == 400
    assert {"field": "offenses[0].waived", "message": "Unknown field."} in response.get_json()["errors"]


def test_every_api_write_schema_raises_on_unknown_fields(app):
    """Whatever schemas are added later: marshmallow's RAISE, never EXCLUDE or INCLUDE, on what the API loads."""
    from marshmallow import RAISE

    from trusted_traveler.api.eligibility import EligibilityCheckSchema, OffenseSchema
    from trusted_traveler.api.traveler import ApplyRequestSchema

    for schema in (ApplyRequestSchema, EligibilityCheckSchema, OffenseSchema):
        assert schema().unknown == RAISE, schema.__name__


def test_every_write_route_under_the_api_is_covered_here(app):
    writes = sorted(
        str(rule)
        for rule in app.url_map.iter_rules()
        if str(rule).startswith("/api/v1") and rule.methods & {"POST", "PUT", "PATCH", "DELETE"}
    )
    assert writes == ["/api/v1/applications", "/api/v1/eligibility/check"], "add the new write to this file"
