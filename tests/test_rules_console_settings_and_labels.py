"""A program lead's draft accepts only sensible values: each setting has a stated range and applies to its own program
(the age of majority, shared by both programs, says it changes both and previews both); a rule's clause values are
checked for the fact they test; and a draft's old label leads to the version it was published as."""

from __future__ import annotations

import datetime as dt
import html as markup
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.test_hostile_staff_input import RULE
from tests.test_rules_console import _draft_label, act, publish
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.models import Parameter, Rule, RuleSetVersion

SOURCE = "Federal Register 2027-00001"


def _page(client, label: str) -> str:
    return markup.unescape(client.get(f"/program-lead/versions/{label}").get_data(as_text=True))


def _propose(client, label: str, key: str, value: str):
    return act(client, label, "parameters", {"key": key, "value": value, "reference": SOURCE})


def _proposed(app, label: str) -> dict:
    with app.app_context():
        version = authoring.get_version(label)
        rows = db.session.scalars(
            select(Parameter).where(Parameter.version_id == version.id).order_by(Parameter.key)
        ).all()
        return {row.key: row.value for row in rows}


def _ge_draft_label(client) -> str:
    return client.post("/program-lead/programs/global_entry/drafts").headers["Location"].rsplit("/", 1)[1]


# --- 1. Every setting has a range, said beside the field and checked with a message that keeps what was typed ---


@pytest.mark.parametrize(
    ("program", "key", "refused", "message", "accepted"),
    [
        ("precheck", "age_of_majority", ["3", "17", "22", "150"], "Enter a number of years between 18 and 21.", "21"),
        ("precheck", "fee_new", ["-1", "1200"], "Enter an amount between $0.00 and $500.00", "0"),
        ("precheck", "fee_renewal", ["-0.01", "500.01"], "Enter an amount between $0.00 and $500.00", "500"),
        ("precheck", "validity_years", ["0", "11"], "Enter a number of years between 1 and 10.", "5"),
        ("precheck", "renewal_window_days", ["0", "-30", "731"], "Enter a number of days between 1 and 730.", "730"),
        ("global_entry", "grace_period_days", ["0", "1096"], "Enter a number of days between 1 and 1095.", "730"),
        ("global_entry", "fee_minor_with_member_parent", ["-5"], "a fee cannot be negative", "0"),
        ("global_entry", "partner_countries", ["US, GB"], "The United States is not a partner country", "GB, MX"),
    ],
)
def test_a_value_outside_a_settings_range_is_refused_beside_the_field_keeping_what_was_typed(
    app, client, two_leads, program, key, refused, message, accepted
):
    label = _draft_label(client) if program == "precheck" else _ge_draft_label(client)
    for value in refused:
        response = _propose(client, label, key, value)
        page = markup.unescape(response.get_data(as_text=True))
        assert response.status_code == 400
        assert message in page, re.findall(r"usa-error-message[^<]*", page)
        assert 'id="value-error"' in page  # beside the value's field
        assert f'value="{value}"' in page  # what was typed is kept
    assert _proposed(app, label) == {}
    assert _propose(client, label, key, accepted).status_code == 302
    assert key in _proposed(app, label)


def test_the_setting_field_states_each_settings_range(client, two_leads):
    page = _page(client, _draft_label(client))
    assert "age of majority (18 to 21 years)" in page
    assert "fee new ($0.00 to $500.00)" in page
    assert "renewal window days (1 to 730 days)" in page
    assert "Allowed for TSA PreCheck:" in page


# --- 2. A draft offers and accepts only its program's settings; a shared one says it changes both programs ---


def test_a_precheck_draft_neither_offers_nor_accepts_global_entry_only_settings(app, client, two_leads):
    label = _draft_label(client)
    page = _page(client, label)
    for key in ("grace_period_days", "fee_minor_with_member_parent", "partner_countries"):
        assert f'value="{key}"' not in page, key
        response = _propose(client, label, key, "30" if key == "grace_period_days" else "0")
        refused = markup.unescape(response.get_data(as_text=True))
        assert response.status_code == 400
        assert "applies to Global Entry only, not to TSA PreCheck" in refused
        assert "Change it in a Global Entry draft." in refused
    assert _proposed(app, label) == {}
    assert "not set" not in _page(client, label)


def test_a_global_entry_draft_offers_its_own_settings_and_the_shared_one(client, two_leads):
    page = _page(client, _ge_draft_label(client))
    for key in ("grace_period_days", "fee_minor_with_member_parent", "partner_countries", "age_of_majority"):
        assert f'value="{key}"' in page, key


def test_the_age_of_majority_changed_in_a_draft_says_it_changes_both_programs_and_previews_both(app, client, two_leads):
    with app.app_context():
        create_application("global_entry", submitted=True, profile=create_profile(create_account("ge@example.com")))
        db.session.commit()
    label = _draft_label(client)
    page = _page(client, label)
    assert "shared by TSA PreCheck and Global Entry: changes both" in page  # said in the setting's choice

    assert _propose(client, label, "age_of_majority", "21").status_code == 302
    page = _page(client, label)
    assert (
        "Setting “age of majority”, shared by TSA PreCheck and Global Entry, becomes 21 (now 18) for both programs"
        in page
    )
    assert "publishing this draft changes it for both programs" in page
    with app.app_context():
        assert db.session.scalar(select(Parameter.program_id).where(Parameter.version_id.is_not(None))) is None

    impact = markup.unescape(client.get(f"/program-lead/versions/{label}/impact").get_data(as_text=True))
    assert "Global Entry changes too" in impact
    assert "0 of 1 pending Global Entry applications would change outcome" in " ".join(
        impact.replace("<strong>", "").replace("</strong>", "").split()
    )

    starts = service_today() + dt.timedelta(days=30)
    assert act(client, label, "submit", {"effective_from": starts.isoformat(), "note": "Majority"}).status_code == 302
    sign_in(client, "lead.b@example.com")
    confirm = markup.unescape(client.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True))
    assert 'data-testid="publish-shared-impact"' in confirm and "so it changes Global Entry too" in confirm
    assert "for both programs" in confirm


def test_a_draft_saved_before_these_checks_says_what_is_wrong_and_cannot_be_sent_until_fixed(app, client, two_leads):
    """A PreCheck draft holding a Global Entry setting and an age of majority of 3 (kept from before the checks):
    its page never says "now not set", and it cannot be sent for review until both are withdrawn."""
    label = _draft_label(client)
    with app.app_context():
        version = authoring.get_version(label)
        precheck = get_program("precheck")
        for key, value, program_id in (("grace_period_days", 30, precheck.id), ("age_of_majority", 3, None)):
            db.session.add(
                Parameter(
                    version_id=version.id, key=key, value=value, program_id=program_id, effective_from=dt.date.max
                )
            )
        db.session.commit()
    page = _page(client, label)
    assert "not set" not in page
    assert "Setting “grace period days” does not apply to TSA PreCheck" in page
    assert "does not apply to TSA PreCheck: withdraw it" in page

    starts = (service_today() + dt.timedelta(days=30)).isoformat()
    response = act(client, label, "submit", {"effective_from": starts, "note": "Tidy"}, follow_redirects=True)
    refused = markup.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    assert "applies to Global Entry only" in refused
    assert "Age of majority: Enter a number of years between 18 and 21." in refused
    with app.app_context():
        assert db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == label)) == "draft"

    for key in ("grace_period_days", "age_of_majority"):
        act(client, label, f"parameters/{key}/withdraw")
    assert act(client, label, "submit", {"effective_from": starts, "note": "Tidy"}).status_code == 302


# --- 3. A clause's value is checked for the fact it tests, beside the clause's field ---------------------------

# the hostile-input tests' rule (a PreCheck age clause, "under 12"), as one that asks for review
AGE_RULE = {
    **RULE,
    "code": "precheck.age_test",
    "outcome": "needs_review",
    "message_en": "We review this.",
    "message_es": "Revisamos esto.",
    "citation": "",
}


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"clauses-0-value": "-5"}, "clauses-0-value", "-5 is not a possible age"),
        ({"clauses-0-value": "200", "clauses-0-op": "gt"}, "clauses-0-value", "No applicant is 200"),
        ({"clauses-0-value": "0"}, "clauses-0-value", "Nobody is under 0"),
        (
            {"clauses-0-kind": "offense", "clauses-0-date_within_years": "0"},
            "clauses-0-date_within_years",
            "Enter a number of years from 1 to 100",
        ),
        (
            {"clauses-0-kind": "offense", "clauses-0-released_within_years": "500"},
            "clauses-0-released_within_years",
            "Enter a number of years from 1 to 100",
        ),
    ],
)
def test_a_clause_value_that_makes_no_sense_for_its_fact_is_refused_beside_the_clause(
    app, client, two_leads, changes, field, message
):
    label = _draft_label(client)
    response = act(client, label, "rules/new", {**AGE_RULE, **changes})
    page = markup.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    error = page.index(f'id="{field}-error"')
    assert message in page[error : error + 300]  # the message is the one beside that field
    with app.app_context():
        assert "precheck.age_test" not in {r.code for r in authoring.get_version(label).rules}
    assert act(client, label, "rules/new", AGE_RULE).status_code == 302  # a sensible age is saved


def test_a_precheck_rule_cannot_compare_with_global_entrys_partner_countries(app, client, two_leads):
    """The setting has no value for TSA PreCheck: a rule that read it was saved, "Try it" said the rules need it,
    and the impact preview failed with a server error."""
    label = _draft_label(client)
    partner_rule = {
        **AGE_RULE,
        "clauses-0-field": "citizenships",
        "clauses-0-op": "contains_any",
        "clauses-0-value": "",
        "clauses-0-parameter": "partner_countries",
    }
    response = act(client, label, "rules/new", partner_rule)
    page = markup.unescape(response.get_data(as_text=True))
    assert response.status_code == 400
    error = page.index('id="clauses-0-parameter-error"')
    assert "“partner countries” applies to Global Entry only, so a TSA PreCheck rule cannot use it" in page[error:]
    with app.app_context():
        assert "precheck.age_test" not in {r.code for r in authoring.get_version(label).rules}
    assert client.get(f"/program-lead/versions/{label}/impact").status_code == 200
    saved = act(client, label, "rules/new", {**partner_rule, "clauses-0-parameter": "", "clauses-0-value": "DE, NL"})
    assert saved.status_code == 302  # the countries themselves are a PreCheck rule's to compare with


def test_a_rule_saved_before_that_check_gets_a_message_on_the_impact_not_a_server_error(app, client, two_leads):
    label = _draft_label(client)
    with app.app_context():
        version = authoring.get_version(label)
        version.rules.append(
            Rule(
                position=99,
                code="precheck.old_partner_rule",
                condition={"field": "citizenships", "op": "contains_any", "value": {"param": "partner_countries"}},
                outcome="needs_review",
                message_en="x",
                message_es="y",
            )
        )
        db.session.commit()
    for page in ("impact", "impact.csv"):
        response = client.get(f"/program-lead/versions/{label}/{page}")
        assert response.status_code == 302 and response.headers["Location"].endswith(f"/versions/{label}")
    shown = markup.unescape(client.get(f"/program-lead/versions/{label}").get_data(as_text=True))
    assert "a rule uses the setting “partner countries”, which has no value in force for this program" in shown


def test_the_rules_service_refuses_a_negative_age_whatever_sends_it(app, two_leads):
    with app.test_request_context():
        lead = db.session.scalar(select(Account).where(Account.email == "lead.a@example.com"))
        draft = authoring.start_draft(get_program("precheck"), by=lead, today=service_today())
        with pytest.raises(authoring.RuleError) as refused:
            authoring.save_rule(
                draft,
                by=lead,
                code="precheck.minus",
                condition={"field": "age", "op": "lt", "value": -5},
                outcome="needs_review",
                message_en="x",
                message_es="y",
                citation=None,
            )
        assert refused.value.condition_errors == [
            ("condition.value", "-5 is not a possible age: enter a whole number of years from 0 to 120.")
        ]
        db.session.rollback()


# --- 4. After publishing, a draft's old label leads to the version it became ---------------------------------


def test_back_after_publishing_leads_every_page_of_the_draft_to_the_published_version(app, client, two_leads):
    label = _draft_label(client)
    starts = service_today() + dt.timedelta(days=30)
    assert _propose(client, label, "fee_new", "80").status_code == 302
    assert act(client, label, "submit", {"effective_from": starts.isoformat(), "note": "Fee"}).status_code == 302
    sign_in(client, "lead.b@example.com")
    assert publish(client, label).status_code == 302
    published = f"precheck-{starts:%Y-%m-%d}"
    notice = f"{label} was published as {published}; it takes effect on {starts:%B %-d, %Y}. Nothing was lost"

    for page in ("", "/publish", "/impact", "/impact.csv", "/rules/new", "/rules/precheck.interim_offense/edit"):
        response = client.get(f"/program-lead/versions/{label}{page}")
        assert response.status_code == 303, page
        assert response.headers["Location"].endswith(f"/program-lead/versions/{published}"), page
        shown = markup.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
        assert notice in shown, page
        assert 'data-testid="version-status">published<' in shown

    # "Publish" pressed again from the page Back showed: nothing more is done, and the lead is told where it went.
    fields = {"revision": "0", "replaced": "x"}
    again = client.post(f"/program-lead/versions/{label}/publish", data=fields, follow_redirects=True)
    assert notice in markup.unescape(again.get_data(as_text=True))
    with app.app_context():
        published_events = db.session.scalars(
            select(AuditEvent.id).where(AuditEvent.action == "rules.published").order_by(AuditEvent.id)
        ).all()
    assert len(published_events) == 1

    tried = markup.unescape(client.get(f"/program-lead/try?version={label}").get_data(as_text=True))
    assert notice in tried and f'<option selected value="{published}"' in tried.replace(
        f'value="{published}" selected', f'selected value="{published}"'
    )

    assert client.get("/program-lead/versions/precheck-draft-99").status_code == 404  # never a draft: still 404
