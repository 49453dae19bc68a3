"""The program lead's console (read-only part): versions with the one in force, rules in plain words with both
messages and citations, and every dated setting with its history."""

import pytest

from tests.factories import create_account, sign_in
from trusted_traveler.extensions import db
from trusted_traveler.rules.describe import describe


@pytest.fixture
def lead(app, client):
    with app.app_context():
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")
    return client


def test_only_program_leads_reach_the_console(app, client):
    with app.app_context():
        create_account("officer.x@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "officer.x@example.com")
    assert client.get("/program-lead/").status_code == 403


def test_the_overview_shows_versions_in_force_and_fee_history(lead):
    html = lead.get("/program-lead/").get_data(as_text=True)
    assert html.count('data-testid="in-force"') == 2
    assert "precheck-2026-11-01" in html and "global_entry-2026-11-01" in html
    for value in ("85.00", "78.00", "100.00", "120.00", "58.75"):
        assert value in html  # old values are kept beside the current ones
    assert "Federal Register 2021-21147" in html


def test_a_version_page_reads_each_rule_in_plain_words(lead):
    html = lead.get("/program-lead/versions/precheck-2026-11-01").get_data(as_text=True)
    assert "precheck.interim_offense" in html
    assert "was within the last 7 years" in html and "was within the last 5 years" in html
    assert "49 CFR 1572.103(b)" in html and 'lang="es"' in html
    assert lead.get("/program-lead/versions/nope").status_code == 404


def test_plain_words_for_each_shape():
    assert describe({"field": "age", "op": "lt", "value": {"param": "age_of_majority"}}) == (
        "the applicant is under the current “age of majority” setting years old"
    )
    assert describe(
        {
            "not": {
                "any": [
                    {"field": "citizenships", "op": "contains_any", "value": ["US"]},
                    {"field": "lawful_permanent_resident", "op": "is_true"},
                ]
            }
        }
    ) == ("not (the applicant is a citizen of any of: US or the applicant holds a U.S. Permanent Resident Card)")
    assert describe(
        {
            "exists": "offenses",
            "where": {
                "all": [
                    {"field": "status", "op": "eq", "value": "pending"},
                    {"field": "category", "op": "in", "value": ["murder", "arson"]},
                ]
            },
        }
    ) == ("the applicant has any offense where its status is pending and the offense is one of murder, arson")
    assert describe({"field": "under_investigation", "op": "is_false"}) == (
        "it is not true that the applicant is under investigation"
    )
