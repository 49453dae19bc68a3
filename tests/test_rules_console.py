"""The program lead's console (read-only part): versions with the one in force, rules in plain words with both
messages and citations, and every dated setting with its history."""

import pytest

from tests.factories import create_account, form_revision, sign_in
from trusted_traveler.db import service_today
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
    ) == ("the applicant has any offense where its status is pending and the offense is one of “Murder”, “Arson”")
    assert describe({"field": "under_investigation", "op": "is_false"}) == (
        "it is not true that the applicant is under investigation"
    )


# --- Changing the rules: draft, edit through forms, try, submit, second-lead approval, effective dates ---------

import datetime as dt  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402

from sqlalchemy import select  # noqa: E402

from trusted_traveler.rules.conditions import INTERIM_OFFENSES, validate_condition  # noqa: E402
from trusted_traveler.rules.models import Rule, RuleSetVersion  # noqa: E402
from trusted_traveler.rules.service import check_eligibility  # noqa: E402
from trusted_traveler.web.rules_console.forms import RuleForm, build_condition, clauses_of  # noqa: E402

INTERIM = list(INTERIM_OFFENSES)


def _normal(node):
    """A condition with the children of all/any in a canonical order (their order never changes the result)."""
    if isinstance(node, dict):
        node = {k: _normal(v) for k, v in node.items()}
        for key in ("all", "any"):
            if key in node:
                node[key] = sorted(node[key], key=lambda c: json.dumps(c, sort_keys=True))
        return node
    if isinstance(node, list):
        return sorted((_normal(v) for v in node), key=lambda c: json.dumps(c, sort_keys=True))
    return node


def test_every_seeded_rule_can_be_edited_with_the_clause_form(app):
    with app.test_request_context():
        for rule in db.session.scalars(select(Rule)):
            data = clauses_of(rule.condition)
            assert data is not None, rule.code
            form = RuleForm(data={**data, "code": rule.code}, meta={"csrf": False})
            rebuilt = validate_condition(build_condition(form))
            assert _normal(rebuilt) == _normal(rule.condition), rule.code


def _interim_form(years: int) -> dict:
    data = {
        "code": "precheck.interim_offense",
        "original_code": "precheck.interim_offense",
        "outcome": "ineligible",
        "negate": "no",
        "combine": "all",
        "clauses-0-kind": "offense",
        "clauses-0-statuses": ["convicted"],
        "clauses-0-categories": INTERIM,
        "clauses-0-date_within_years": str(years),
        "clauses-0-released_within_years": "5",
        "clauses-0-field": "age",
        "clauses-0-op": "is_true",
        "message_en": "A serious crime in the last years.",
        "message_es": "Un delito grave reciente.",
        "citation": "49 CFR 1572.103(b)",
    }
    data.update({"clauses-0-parameter": "", "clauses-0-value": ""})  # a browser sends every select
    return data


def act(client, label: str, action: str, data: dict | None = None, **kwargs):
    """A lead's post from the page the form is on, as a browser sends it: with the revision of the version that page
    showed. A rule's form is its own page; every other form and button is on the version's page."""
    url = f"/program-lead/versions/{label}/{action}"
    page = url if action.startswith("rules/") and not action.endswith("/remove") else f"/program-lead/versions/{label}"
    revision = form_revision(client.get(page).get_data(as_text=True))
    return client.post(url, data={**(data or {}), "revision": revision}, **kwargs)


def confirmation_fields(html: str) -> dict:
    """What the confirmation page's "Publish" sends besides its CSRF token: the revision of the version it showed
    and the version it compared it with."""
    return {
        "revision": form_revision(html),
        "replaced": re.search(r'name="replaced" type="hidden" value="([^"]*)"', html).group(1),
    }


def publish(client, label: str, **kwargs):
    """A lead presses "Approve and publish" on the version's page, reads the confirmation page, and presses
    "Publish" on it. A lead refused the confirmation page (the two-person rule) gets the refusal instead."""
    confirm = client.get(f"/program-lead/versions/{label}/publish")
    if confirm.status_code != 200:
        return client.get(confirm.headers["Location"]) if kwargs.get("follow_redirects") else confirm
    html = confirm.get_data(as_text=True)
    return client.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(html), **kwargs)


def _draft_label(client):
    response = client.post("/program-lead/programs/precheck/drafts")
    return response.headers["Location"].rsplit("/", 1)[1]


def test_a_change_from_draft_to_future_dated_publication(app, client, two_leads):
    label = _draft_label(client)
    assert label == "precheck-draft-2"
    assert "No changes yet" in client.get(f"/program-lead/versions/{label}").get_data(as_text=True)

    # Edit the interim-offense look-back from 7 to 10 years, through the clause form.
    response = act(client, label, "rules/precheck.interim_offense/edit", data=_interim_form(10))
    assert response.status_code == 302, response.get_data(as_text=True)[-3000:]
    page = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert "Rule precheck.interim_offense now applies when" in page and "within the last 10 years" in page

    # Propose a new fee, with its source.
    bad = act(client, label, "parameters", data={"key": "fee_new", "value": "lots", "reference": "x"})
    assert bad.status_code == 400 and "Enter an amount in dollars" in bad.get_data(as_text=True)
    act(
        client,
        label,
        "parameters",
        data={"key": "fee_new", "value": "80", "reference": "Federal Register 2027-00001"},
    )
    assert "becomes 80.00 (now 78.00)" in client.get(f"/program-lead/versions/{label}").get_data(as_text=True)

    # Try it on one person: a robbery conviction eight years ago.
    eight_years_ago = service_today().replace(year=service_today().year - 8).isoformat()
    trial = client.post(
        f"/program-lead/versions/{label}/try",
        data={
            "date_of_birth": "1980-01-01",
            "citizenship": "US",
            "lawful_permanent_resident": "no",
            "travels_internationally": "no",
            "has_offenses": "yes",
            "offenses-0-category": "robbery",
            "offenses-0-status": "convicted",
            "second_citizenship": "",
            "offenses-0-date": eight_years_ago,
            "customs_immigration_violation": "no",
            "under_investigation": "no",
            "inadmissible_or_waiver": "no",
            "parent_member_or_applying": "no",
        },
    )
    html = trial.get_data(as_text=True)
    assert "Rules in force: <strong>eligible</strong> ($78.00)" in html
    assert 'data-testid="trial-draft">ineligible</strong> ($80.00)' in html

    # Submit: a past date is refused; a date next month with a reason is accepted.
    past = act(client, label, "submit", data={"effective_from": "2020-01-01", "note": "Longer look-back"})
    assert past.status_code == 400 and "cannot be in the past" in past.get_data(as_text=True)
    starts = service_today() + dt.timedelta(days=30)
    act(
        client,
        label,
        "submit",
        data={"effective_from": starts.isoformat(), "note": "Longer look-back after the 2027 review"},
    )

    # The same lead cannot approve their own change; a second lead can.
    refused = publish(client, label, follow_redirects=True)
    assert "A second program lead must approve" in refused.get_data(as_text=True)
    sign_in(client, "lead.b@example.com")
    published = publish(client, label)
    new_label = f"precheck-{starts.isoformat()}"
    assert published.headers["Location"].endswith(new_label)

    # Future-dated: today's answers are unchanged; from the effective date the new rules and fee apply.
    robbery = {
        "date_of_birth": dt.date(1980, 1, 1),
        "citizenships": ["US"],
        "offenses": [
            {
                "category": "robbery",
                "status": "convicted",
                "date": dt.date.fromisoformat(eight_years_ago),
                "released_on": None,
            }
        ],
    }
    with app.app_context():
        today = check_eligibility(robbery, as_of=service_today())["programs"]["precheck"]
        later = check_eligibility(robbery, as_of=starts)["programs"]["precheck"]
    assert (today["outcome"], today["fee"], today["rule_set"]) == ("eligible", "78.00", "precheck-2026-11-01")
    assert (later["outcome"], later["fee"], later["rule_set"]) == ("ineligible", "80.00", new_label)

    # The history says who did what and why.
    history = client.get(f"/program-lead/versions/{new_label}").get_data(as_text=True)
    for action in ("draft started", "rule saved", "parameter proposed", "submitted", "published"):
        assert action in history


def test_bad_rules_are_refused_when_saved_with_the_reason(client, two_leads):
    label = _draft_label(client)
    response = act(
        client,
        label,
        "rules/new",
        data={
            "code": "bad code!",
            "outcome": "ineligible",
            "negate": "no",
            "combine": "all",
            "clauses-0-kind": "fact",
            "clauses-0-field": "age",
            "clauses-0-op": "lt",
            "clauses-0-value": "twelve",
            "message_en": "",
            "message_es": "",
            "citation": "",
            "clauses-0-parameter": "",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Give the rule a code of letters, digits, dots and underscores" in html
    assert "Write the message in English" in html and "Write the message in Spanish" in html
    assert "condition" in html.lower() and 'value="twelve"' in html  # nothing typed is lost


def test_a_published_version_cannot_be_edited_nor_retired_once_it_has_taken_effect(client, two_leads):
    edit = client.get(
        "/program-lead/versions/precheck-2026-11-01/rules/precheck.citizenship/edit", follow_redirects=True
    )
    assert "Only a draft can be changed" in edit.get_data(as_text=True)
    page = client.get("/program-lead/versions/precheck-2026-11-01").get_data(as_text=True)
    assert 'data-testid="cannot-retire"' in page and "Retire this version" not in page
    retire = client.post("/program-lead/versions/precheck-2026-11-01/retire", data={"note": "test"})
    assert retire.status_code == 400
    assert "took effect on 2013-12-04: retiring it would rewrite history" in retire.get_data(as_text=True)


def test_a_lead_who_edited_a_colleagues_draft_cannot_approve_it(app, client, two_leads):
    label = _draft_label(client)  # lead A's draft
    sign_in(client, "lead.b@example.com")
    act(client, label, "rules/precheck.citizenship/remove")
    act(client, label, "parameters", data={"key": "fee_new", "value": "1", "reference": "x"})
    sign_in(client, "lead.a@example.com")
    starts = (service_today() + dt.timedelta(days=10)).isoformat()
    act(client, label, "submit", data={"effective_from": starts, "note": "A's change"})
    sign_in(client, "lead.b@example.com")
    refused = publish(client, label, follow_redirects=True)
    assert "you edited this version, so you cannot approve it" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == label)) == "in_review"


def test_a_draft_after_a_future_dated_version_builds_on_it_and_says_what_it_is_compared_with(client, two_leads):
    starts = service_today() + dt.timedelta(days=10)
    label = _draft_label(client)
    act(client, label, "rules/precheck.citizenship/remove")
    act(client, label, "submit", data={"effective_from": starts.isoformat(), "note": "x"})
    sign_in(client, "lead.b@example.com")
    publish(client, label)
    published = f"precheck-{starts.isoformat()}"

    later = _draft_label(client)
    page = client.get(f"/program-lead/versions/{later}").get_data(as_text=True)
    assert "precheck.citizenship" not in page  # copied from the removal, not from today's rules
    assert "No changes yet" in page
    assert f"Compared with <strong>{published}</strong>, the latest published version (in force from {starts})" in page
    assert "in force today: precheck-2026-11-01" in page

    # Sent for review to take effect before the removal: it replaces today's version, and says so.
    sooner = (service_today() + dt.timedelta(days=5)).isoformat()
    act(client, later, "submit", data={"effective_from": sooner, "note": "y"})
    page = client.get(f"/program-lead/versions/{later}").get_data(as_text=True)
    assert (
        "Compared with <strong>precheck-2026-11-01</strong>, the version this one replaces on its effective date, "
        f"{sooner}." in page
    )
    assert "Rule precheck.citizenship is removed." in page
    impact = client.get(f"/program-lead/versions/{later}/impact").get_data(as_text=True)
    assert f"compared with precheck-2026-11-01, the version it replaces on {sooner}" in impact


def test_two_versions_cannot_take_effect_on_the_same_day(app, client, two_leads):
    starts = (service_today() + dt.timedelta(days=10)).isoformat()
    label = _draft_label(client)
    act(client, label, "submit", data={"effective_from": starts, "note": "first"})
    sign_in(client, "lead.b@example.com")
    publish(client, label)
    second = _draft_label(client)
    response = act(client, second, "submit", data={"effective_from": starts, "note": "x"})
    assert response.status_code == 400
    assert "already takes effect on" in response.get_data(as_text=True)
    with app.app_context():
        statuses = sorted(v.status for v in db.session.scalars(select(RuleSetVersion)))
        assert statuses.count("published") == 3


def test_the_impact_preview_counts_pending_applications_whose_outcome_would_change(app, client, two_leads):
    from tests.factories import create_application, create_profile

    eight_years_ago = service_today().replace(year=service_today().year - 8)
    with app.app_context():
        for i in range(3):  # a robbery eight years ago: eligible now, ineligible with a 10-year look-back
            create_application(
                "precheck",
                submitted=True,
                profile=create_profile(
                    create_account(f"past{i}@example.com"),
                    offenses=[{"category": "robbery", "status": "convicted", "date": eight_years_ago}],
                ),
            )
        for i in range(2):
            create_application("precheck", submitted=True, profile=create_profile(create_account(f"clean{i}@x.com")))
        create_application(
            "precheck",
            profile=create_profile(
                create_account("draft@example.com"),
                offenses=[{"category": "robbery", "status": "convicted", "date": eight_years_ago}],
            ),
        )
        db.session.commit()
    label = _draft_label(client)
    act(client, label, "rules/precheck.interim_offense/edit", data=_interim_form(10))
    html = client.get(f"/program-lead/versions/{label}/impact").get_data(as_text=True)
    assert "<strong>3</strong> of <strong>5</strong> pending applications would change outcome." in html
    assert '<td>eligible</td><td>ineligible</td><td class="text-right">3</td>' in html
    assert "No center chosen yet" in html


def test_a_lead_downloads_every_changed_application_and_the_list_is_audited(app, client, two_leads):
    """The preview counts and shows a few examples; the lead planning the notices gets the whole list, and who
    took which applicants' names is recorded, as for the examples on the page."""
    from tests.factories import create_application, create_profile
    from trusted_traveler.audit.models import AuditEvent

    eight_years_ago = service_today().replace(year=service_today().year - 8)
    robbery = [{"category": "robbery", "status": "convicted", "date": eight_years_ago}]
    with app.app_context():
        changing = [
            create_application(
                "precheck",
                submitted=True,
                profile=create_profile(create_account(f"list{i}@example.com"), offenses=robbery),
            ).reference
            for i in range(7)  # more than the page's five examples
        ]
        create_application("precheck", submitted=True, profile=create_profile(create_account("same@example.com")))
        db.session.commit()
    label = _draft_label(client)
    act(client, label, "rules/precheck.interim_offense/edit", data=_interim_form(10))
    html = client.get(f"/program-lead/versions/{label}/impact").get_data(as_text=True)
    assert "Download all 7 changed applications (CSV)" in html

    response = client.get(f"/program-lead/versions/{label}/impact.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="impact-{label}.csv"'
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "reference,status,enrollment_center,outcome_now,outcome_with_draft"
    assert lines[1:] == [f"{ref},submitted,No center chosen yet,eligible,ineligible" for ref in changing]

    with app.app_context():
        exported = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "impact.exported")).all()
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "impact.viewed")).all()
    assert sorted(e.object_id for e in exported) == sorted(changing)
    assert {e.details["version"] for e in exported} == {label}
    assert sorted(e.object_id for e in viewed) == sorted(changing[:5])


def test_a_published_version_has_no_impact_to_preview_or_list(two_leads):
    for page in ("impact", "impact.csv"):
        response = two_leads.get(f"/program-lead/versions/precheck-2026-11-01/{page}")
        assert response.status_code == 302
        assert response.headers["Location"] == "/program-lead/versions/precheck-2026-11-01"


def test_only_program_leads_download_the_impact_list(app, client, two_leads):
    label = _draft_label(client)
    with app.app_context():
        create_account("officer.csv@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "officer.csv@example.com")
    assert client.get(f"/program-lead/versions/{label}/impact.csv").status_code == 403


def test_the_impact_preview_equals_judging_every_pending_application_with_the_engine(app, two_leads):
    """The preview compares outcomes only where a differing rule fires; that must equal comparing them all."""
    from tests.factories import create_application, create_profile
    from trusted_traveler.casework.models import Application
    from trusted_traveler.profiles.service import eligibility_facts
    from trusted_traveler.programs.service import get_program
    from trusted_traveler.rules import authoring
    from trusted_traveler.rules.impact import PENDING, preview
    from trusted_traveler.rules.service import check_program

    today = service_today()
    with app.app_context():
        people = [
            ({"citizenship": "US"}, []),
            ({"citizenship": "GB"}, []),
            ({"citizenship": "BH"}, []),
            ({"citizenship": "US", "dob": today.replace(year=today.year - 17)}, []),
            ({"citizenship": "US"}, [{"category": "dui", "status": "convicted", "date": dt.date(2020, 5, 1)}]),
            ({"citizenship": "US"}, [{"category": "fraud", "status": "pending", "date": dt.date(2025, 1, 1)}]),
            (
                {"citizenship": "MX"},
                [{"category": "robbery", "status": "convicted", "date": today.replace(year=today.year - 9)}],
            ),
        ]
        for i, (kwargs, offenses) in enumerate(people):
            create_application(  # pending, whatever today's rules say of them: what the preview counts
                "global_entry",
                submitted=True,
                judged_earlier=True,
                profile=create_profile(create_account(f"judge{i}@example.com"), offenses=offenses, **kwargs),
            )
        lead = create_account("impact.lead@example.com", roles=("program_lead",))
        program = get_program("global_entry")
        draft = authoring.start_draft(program, by=lead, today=today)
        authoring.remove_rule(draft, "global_entry.investigation", by=lead)
        authoring.save_rule(
            draft,
            by=lead,
            code="global_entry.no_mexico",
            outcome="needs_review",
            condition={"field": "citizenships", "op": "contains_any", "value": ["MX"]},
            message_en="Review.",
            message_es="Revisar.",
            citation=None,
        )
        authoring.propose_parameter(draft, "partner_countries", "GB, MX", by=lead, reference="test")
        db.session.flush()

        brute: dict = {}
        overrides = {p.key: p.value for p in authoring.proposals(draft)}
        for application in db.session.scalars(select(Application).where(Application.status.in_(PENDING))):
            facts = eligibility_facts(application.profile, today)
            old = check_program(program, facts, as_of=today, language="en")["outcome"]
            new = check_program(program, facts, as_of=today, language="en", version=draft, overrides=overrides)[
                "outcome"
            ]
            if old != new:
                brute[(old, new)] = brute.get((old, new), 0) + 1
        assert brute, "the scenario should change some outcomes"
        assert preview(draft, as_of=today).directions == brute
        db.session.rollback()


# --- Two leads at once: a save, a proposal or an approval from a page older than the version is refused --------

import threading  # noqa: E402

from trusted_traveler.audit.models import AuditEvent  # noqa: E402
from trusted_traveler.programs.service import get_program  # noqa: E402
from trusted_traveler.rules import authoring  # noqa: E402
from trusted_traveler.rules.models import Parameter  # noqa: E402

INTERIM_EDIT = "rules/precheck.interim_offense/edit"


@pytest.fixture
def leads(app):
    """Lead A and lead B, each in their own browser. Not pytest-flask's `client`: it keeps its last request's context
    pushed, and another client's request would then run in it (as the same signed-in lead)."""
    with app.app_context():
        create_account("lead.a@example.com", roles=("program_lead",))
        create_account("lead.b@example.com", roles=("program_lead",))
        db.session.commit()
    browsers = app.test_client(), app.test_client()
    for browser, email in zip(browsers, ("lead.a@example.com", "lead.b@example.com"), strict=True):
        sign_in(browser, email)
    return browsers


def _changed_by(app, email: str) -> str:
    """What the refusal says of the latest change: who made it and when (the audit record's time, in UTC)."""
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    return f"{email} changed this version at {event.created_at:%Y-%m-%d %H:%M} UTC, after your page was loaded."


def _saved_rule(app, label: str, code: str) -> Rule:
    with app.app_context():
        version = db.session.scalar(select(RuleSetVersion).where(RuleSetVersion.label == label))
        rule = next(r for r in version.rules if r.code == code)
        db.session.expunge(rule)
        return rule


def test_a_rule_saved_from_a_page_loaded_before_another_leads_save_is_refused_and_what_was_typed_kept(app, leads):
    """Lead A saves a 10-year look-back; lead B, from the rule's page loaded before that, changes only the citation.
    B is told who changed the draft and when, sees the rule as saved now above what B typed, and A's change stays."""
    client, lead_b = leads
    label = _draft_label(client)
    b_page = lead_b.get(f"/program-lead/versions/{label}/{INTERIM_EDIT}").get_data(as_text=True)
    assert act(client, label, INTERIM_EDIT, _interim_form(10)).status_code == 302

    typed = {**_interim_form(7), "citation": "49 CFR 1572.103(b), as amended", "revision": form_revision(b_page)}
    response = lead_b.post(f"/program-lead/versions/{label}/{INTERIM_EDIT}", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _changed_by(app, "lead.a@example.com") in html
    assert "Nothing was saved. What you typed is kept below" in html
    assert 'value="49 CFR 1572.103(b), as amended"' in html and 'value="7"' in html  # what B typed
    assert 'data-testid="saved-now"' in html and "its date was within the last 10 years" in html  # what A saved
    rule = _saved_rule(app, label, "precheck.interim_offense")
    assert clauses_of(rule.condition)["clauses"][0]["date_within_years"] == 10
    assert rule.citation == "49 CFR 1572.103(b)"

    # Having looked, B keeps A's look-back and sends the citation again: the form now carries the draft's revision.
    again = lead_b.post(
        f"/program-lead/versions/{label}/{INTERIM_EDIT}",
        data={**typed, "clauses-0-date_within_years": "10", "revision": form_revision(html)},
    )
    assert again.status_code == 302
    rule = _saved_rule(app, label, "precheck.interim_offense")
    assert clauses_of(rule.condition)["clauses"][0]["date_within_years"] == 10
    assert rule.citation == "49 CFR 1572.103(b), as amended"


def test_a_rule_edited_from_a_page_loaded_before_another_lead_removed_it_is_refused_and_kept(app, leads):
    """Not a "page not found" that loses what was typed: the lead is told, and the form, kept, would add it again."""
    client, lead_b = leads
    label = _draft_label(client)
    b_page = lead_b.get(f"/program-lead/versions/{label}/{INTERIM_EDIT}").get_data(as_text=True)
    act(client, label, "rules/precheck.interim_offense/remove")

    typed = {
        **_interim_form(7),
        "message_en": "A serious crime in the last seven years.",
        "revision": form_revision(b_page),
    }
    response = lead_b.post(f"/program-lead/versions/{label}/{INTERIM_EDIT}", data=typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _changed_by(app, "lead.a@example.com") in html and "A serious crime in the last seven years." in html
    assert f'action="/program-lead/versions/{label}/rules/new"' in html and "Add a rule" in html
    with app.app_context():
        version = db.session.scalar(select(RuleSetVersion).where(RuleSetVersion.label == label))
        assert "precheck.interim_offense" not in {r.code for r in version.rules}


def test_a_setting_proposed_from_an_older_page_is_refused_and_what_was_typed_kept(app, leads):
    client, lead_b = leads
    label = _draft_label(client)
    b_page = lead_b.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    act(client, label, "parameters", {"key": "fee_new", "value": "80", "reference": "Federal Register 2027-00001"})

    response = lead_b.post(
        f"/program-lead/versions/{label}/parameters",
        data={"key": "fee_new", "value": "85", "reference": "Notice 2027-2", "revision": form_revision(b_page)},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert _changed_by(app, "lead.a@example.com") in html
    assert 'value="85"' in html and 'value="Notice 2027-2"' in html
    assert "becomes 80.00 (now 78.00)" in html  # the draft as it is now
    with app.app_context():
        assert db.session.scalars(select(Parameter.value).where(Parameter.version_id.is_not(None))).all() == ["80.00"]


def test_a_publication_from_a_confirmation_page_loaded_before_the_version_changed_is_refused(app, leads):
    """A submits; B opens the confirmation page; A sends it back, removes precheck.citizenship and sends it again.
    B's "Publish" from the page B read publishes nothing: B is told who changed it and when, and shown the
    confirmation page as it is now, which B then publishes."""
    client, lead_b = leads
    label = _draft_label(client)
    starts = (service_today() + dt.timedelta(days=10)).isoformat()
    act(client, label, "submit", {"effective_from": starts, "note": "Yearly review"})
    confirm = lead_b.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True)
    assert "Rule precheck.citizenship is removed." not in confirm
    assert act(client, label, "return").status_code == 302
    act(client, label, "rules/precheck.citizenship/remove")
    act(client, label, "submit", {"effective_from": starts, "note": "Yearly review"})

    refused = lead_b.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(confirm))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert 'data-testid="stale"' in html and "Nothing was published" in html
    assert _changed_by(app, "lead.a@example.com") in html
    assert "Nothing was done: review it again as it is now, below, before you act." in html
    assert "Rule precheck.citizenship is removed." in html  # the confirmation page as it is now
    with app.app_context():
        assert db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == label)) == "in_review"
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rules.published")).all()

    published = lead_b.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(html))
    assert published.headers["Location"].endswith(f"precheck-{starts}")
    with app.app_context():
        version = db.session.scalar(select(RuleSetVersion).where(RuleSetVersion.label == f"precheck-{starts}"))
        assert version.status == "published" and "precheck.citizenship" not in {r.code for r in version.rules}


def test_two_leads_saving_the_same_draft_at_the_same_moment_one_is_saved_and_the_other_told(app, leads, monkeypatch):
    """Both pages are current when both leads press "Save": the first save wins, the second matches no row (the
    version's revision moved) and is refused like a stale page, naming the first lead."""
    client, lead_b = leads
    label = _draft_label(client)
    url = f"/program-lead/versions/{label}/{INTERIM_EDIT}"
    forms = {
        "a": (client, {**_interim_form(10), "revision": form_revision(client.get(url).get_data(as_text=True))}),
        "b": (lead_b, {**_interim_form(12), "revision": form_revision(lead_b.get(url).get_data(as_text=True))}),
    }
    both_checked = threading.Barrier(2, timeout=10)
    save_rule = authoring.save_rule

    def after_both_checked(*args, **kwargs):
        both_checked.wait()
        return save_rule(*args, **kwargs)

    responses = {}

    def save(name):
        lead, data = forms[name]
        responses[name] = lead.post(url, data=data)

    with monkeypatch.context() as patch:
        patch.setattr(authoring, "save_rule", after_both_checked)
        threads = [threading.Thread(target=save, args=(name,)) for name in forms]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(r.status_code for r in responses.values()) == [302, 409]
    winner = next(name for name, r in responses.items() if r.status_code == 302)
    loser = responses["b" if winner == "a" else "a"].get_data(as_text=True)
    assert _changed_by(app, f"lead.{winner}@example.com") in loser
    rule = _saved_rule(app, label, "precheck.interim_offense")
    assert clauses_of(rule.condition)["clauses"][0]["date_within_years"] == (10 if winner == "a" else 12)


def test_two_leads_starting_a_change_at_the_same_moment_get_one_draft_and_a_message(app, leads, monkeypatch):
    """Both read the next version number before either saved: the second insert breaks the unique number, and that
    lead is sent to the list with a message, where the other's draft is open; never an error page."""
    client, lead_b = leads
    both_read = threading.Barrier(2, timeout=10)
    latest_published = authoring.latest_published

    def after_both_read(program):
        found = latest_published(program)
        both_read.wait()
        return found

    responses = []

    def start(lead):
        responses.append(lead.post("/program-lead/programs/precheck/drafts"))

    with monkeypatch.context() as patch:
        patch.setattr(authoring, "latest_published", after_both_read)
        threads = [threading.Thread(target=start, args=(lead,)) for lead in (client, lead_b)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

    assert sorted(r.status_code for r in responses) == [302, 302]
    assert sorted(r.headers["Location"] for r in responses) == [
        "/program-lead/",
        "/program-lead/versions/precheck-draft-2",
    ]
    with app.app_context():
        name = get_program("precheck").name
        assert db.session.scalars(select(RuleSetVersion.label).where(RuleSetVersion.status == "draft")).all() == [
            "precheck-draft-2"
        ]
    pages = [client.get("/program-lead/").get_data(as_text=True), lead_b.get("/program-lead/").get_data(as_text=True)]
    message = f"Another program lead started a change to {name} at the same moment. Continue it from the list below."
    assert sum(message in page for page in pages) == 1
    assert all("Continue the open change" in page for page in pages)


def test_a_program_never_has_two_open_drafts_even_when_the_look_up_misses_the_first(app, leads, monkeypatch):
    """The other order of the same moment: lead A's draft is saved before lead B reads the highest number, so B's
    draft takes the next number and the unique number cannot catch it. The database still holds one open version
    a program (a partial unique index): B gets the message, and the program keeps A's draft."""
    client, lead_b = leads
    assert client.post("/program-lead/programs/precheck/drafts").headers["Location"].endswith("precheck-draft-2")
    monkeypatch.setattr(authoring, "open_draft", lambda program: None)  # B looked before A's draft was saved
    refused = lead_b.post("/program-lead/programs/precheck/drafts")
    assert refused.status_code == 302 and refused.headers["Location"] == "/program-lead/"
    monkeypatch.undo()
    name = "TSA PreCheck"
    message = f"Another program lead started a change to {name} at the same moment. Continue it from the list below."
    assert message in lead_b.get("/program-lead/").get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(RuleSetVersion.label).where(RuleSetVersion.status == "draft")).all() == [
            "precheck-draft-2"
        ]


# --- Dates and values a lead cannot mean ----------------------------------------------------------------------


def test_a_version_with_an_end_date_cannot_take_in_the_start_of_a_published_one(app, client, two_leads):
    """B is published from day +30, open-ended; C from day +10 until day +60 would overlap it and is refused,
    naming B; C ending on B's first day is accepted."""
    today = service_today()
    d10, d30, d60 = (str(today + dt.timedelta(days=n)) for n in (10, 30, 60))
    label = _draft_label(client)
    act(client, label, "submit", {"effective_from": d30, "note": "B"})
    sign_in(client, "lead.b@example.com")
    publish(client, label)
    later = _draft_label(client)

    typed = {"effective_from": d10, "effective_until": d60, "note": "A summer rule"}
    response = act(client, later, "submit", typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"precheck-{d30} takes effect on {d30}, inside the period you chose ({d10} until {d60})" in html
    assert f'value="{d60}"' in html and "A summer rule" in html
    with app.app_context():
        assert db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == later)) == "draft"

    assert act(client, later, "submit", {**typed, "effective_until": d30}).status_code == 302


def test_a_membership_term_outside_1_to_10_years_and_a_date_beyond_5_years_are_refused(app, client, two_leads):
    today = service_today()
    label = _draft_label(client)
    for value in ("0", "11"):
        response = act(client, label, "parameters", {"key": "validity_years", "value": value, "reference": "Typo"})
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert "Enter a number of years between 1 and 10." in html and f'value="{value}"' in html
    assert (
        act(client, label, "parameters", {"key": "validity_years", "value": "10", "reference": "x"}).status_code == 302
    )
    with app.app_context():
        proposed = select(Parameter.value).where(Parameter.key == "validity_years", Parameter.version_id.is_not(None))
        assert db.session.scalars(proposed).all() == [10]

    horizon = dt.date(today.year + 5, today.month, min(today.day, 28) if today.month == 2 else today.day)
    for typed in (
        {"effective_from": "9999-12-31", "note": "Far away"},
        {"effective_from": str(today + dt.timedelta(days=10)), "effective_until": "9999-12-31", "note": "Far away"},
        {"effective_from": str(horizon + dt.timedelta(days=1)), "note": "Far away"},
    ):
        response = act(client, label, "submit", typed)
        html = response.get_data(as_text=True)
        assert response.status_code == 400
        assert f"Choose a date at most 5 years ahead, on or before {horizon}." in html
        assert 'value="9999-12-31"' in html or f'value="{horizon + dt.timedelta(days=1)}"' in html
    with app.app_context():
        assert db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == label)) == "draft"
    assert act(client, label, "submit", {"effective_from": str(horizon), "note": "Announced"}).status_code == 302


# --- What the console says: both languages, plain errors beside their field, true dates, who did what --------------


def _citizenship_form(app, label: str, **changes) -> dict:
    """The citizenship rule's form as the edit page sends it, with `changes`."""
    rule = _saved_rule(app, label, "precheck.citizenship")
    assert rule.condition == {
        "not": {
            "any": [
                {"field": "citizenships", "op": "contains_any", "value": ["US"]},
                {"field": "lawful_permanent_resident", "op": "is_true"},
            ]
        }
    }
    data = {
        "code": rule.code,
        "original_code": rule.code,
        "outcome": rule.outcome,
        "negate": "yes",
        "combine": "any",
        "message_en": rule.message_en,
        "message_es": rule.message_es,
        "citation": rule.citation,
    }
    for index, (field, op, value) in enumerate(
        (("citizenships", "contains_any", "US"), ("lawful_permanent_resident", "is_true", ""))
    ):
        data |= {
            f"clauses-{index}-kind": "fact",
            f"clauses-{index}-field": field,
            f"clauses-{index}-op": op,
            f"clauses-{index}-value": value,
            f"clauses-{index}-parameter": "",
        }
    return data | changes


def test_a_message_changed_in_english_only_is_refused_beside_the_spanish_one_unless_the_lead_confirms(
    app, client, two_leads
):
    label = _draft_label(client)
    edit = "rules/precheck.citizenship/edit"
    before = _saved_rule(app, label, "precheck.citizenship")
    english = "Only U.S. citizens, U.S. nationals and permanent residents can apply."

    refused = act(client, label, edit, data=_citizenship_form(app, label, message_en=english))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(
        r'id="message_es-error">You changed the English message but not this one: update the Spanish', html
    )
    assert english in html  # what was typed is kept
    assert _saved_rule(app, label, "precheck.citizenship").message_en == before.message_en

    confirmed = act(client, label, edit, data=_citizenship_form(app, label, message_en=english, one_language_only="y"))
    assert confirmed.status_code == 302
    assert _saved_rule(app, label, "precheck.citizenship").message_en == english
    history = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert "Changed rule precheck.citizenship. Only the English message changed; the lead confirmed the Spanish" in (
        history
    )

    both = _citizenship_form(app, label, message_en="Citizens and residents only.", message_es="Solo ciudadanos.")
    assert act(client, label, edit, data=both).status_code == 302
    assert 'name="one_language_only"' not in client.get(f"/program-lead/versions/{label}/rules/new").get_data(
        as_text=True
    )  # a new rule has no earlier message to keep


def test_a_country_code_that_is_none_is_said_plainly_beside_the_value(app, client, two_leads):
    label = _draft_label(client)
    response = act(
        client,
        label,
        "rules/precheck.citizenship/edit",
        data=_citizenship_form(app, label, **{"clauses-0-value": "US, zzz"}),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        '<span class="usa-error-message" id="clauses-0-value-error">ZZZ is not a country code. Use two letters, '
        "like CA for Canada.</span>"
    ) in html
    assert "ISO 3166" not in html and "contains_any" not in html.split("<form")[0]
    assert 'value="US, zzz"' in html

    age = {"clauses-0-field": "age", "clauses-0-op": "lt", "clauses-0-value": "twelve"}
    html = act(client, label, "rules/precheck.citizenship/edit", data=_citizenship_form(app, label, **age)).get_data(
        as_text=True
    )
    assert 'id="clauses-0-value-error">twelve is not an age. Enter a whole number of years, like 18.</span>' in html
    wrong_test = {"clauses-1-op": "contains_any"}
    html = act(
        client, label, "rules/precheck.citizenship/edit", data=_citizenship_form(app, label, **wrong_test)
    ).get_data(as_text=True)
    assert 'id="clauses-1-op-error">For a yes-or-no fact, choose “is yes” or “is no”.</span>' in html


def test_the_clause_form_shows_its_lists_of_choices_and_groups_fields_by_kind_of_clause(client, two_leads):
    label = _draft_label(client)
    html = client.get(f"/program-lead/versions/{label}/rules/precheck.interim_offense/edit").get_data(as_text=True)
    # a tick box for each choice, all in view: a click on one never clears the others (a multiple select's did)
    categories = html.split('<fieldset class="usa-fieldset" id="clauses-0-categories"')[1].split("</fieldset>")[0]
    statuses = html.split('<fieldset class="usa-fieldset" id="clauses-0-statuses"')[1].split("</fieldset>")[0]
    assert len(re.findall(r'<input[^>]*name="clauses-0-categories"[^>]*type="checkbox"', categories)) == 27
    assert "Other racketeering" in categories and "<select" not in categories
    assert len(re.findall(r'<input[^>]*name="clauses-0-statuses"[^>]*type="checkbox"', statuses)) == 2
    assert 'data-only-for="fact"' in html and 'data-only-for="offense"' in html
    offense_group = html.split('data-only-for="offense"')[1].split("</fieldset>")[0]
    assert 'id="clauses-0-categories"' in offense_group and 'id="clauses-0-value"' not in offense_group


def test_a_replaced_version_shows_when_it_ended_and_the_history_names_people_in_plain_words(app, client, two_leads):
    label = _draft_label(client)
    act(client, label, "parameters", data={"key": "fee_new", "value": "80", "reference": "Federal Register 2027-00001"})
    starts = service_today() + dt.timedelta(days=30)
    act(client, label, "submit", data={"effective_from": starts.isoformat(), "note": "New fee"})

    # The author is not offered an approval they cannot give; they are told a second lead must approve.
    page = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert "Approve and publish" not in page
    assert 'data-testid="second-lead">A second program lead must approve' in page
    sign_in(client, "lead.b@example.com")
    page = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert "Approve and publish" in page and 'data-testid="second-lead"' not in page
    publish(client, label)

    overview = client.get("/program-lead/").get_data(as_text=True)
    assert re.search(rf'data-testid="until-precheck-2026-11-01">\s*{starts.isoformat()}</td>', overview)
    assert re.search(rf'data-testid="until-precheck-{starts.isoformat()}">\s*open-ended</td>', overview)
    assert re.search(r'data-testid="until-global_entry-2026-11-01">\s*open-ended</td>', overview)

    history = client.get(f"/program-lead/versions/precheck-{starts.isoformat()}").get_data(as_text=True)
    rows = history.split('data-testid="history"')[1]
    assert "<td>lead.a@example.com</td>" in rows and "<td>lead.b@example.com</td>" in rows
    assert "Copied from precheck-2026-11-01." in rows and "Fee new: 80.00." in rows
    assert f"Takes effect on {starts.isoformat()}. Reason: New fee" in rows
    assert "{&#34;" not in rows and '{"' not in rows  # no JSON


def test_settings_and_rules_cite_public_sources_not_design_documents_outside_the_repository(client, two_leads):
    for page in ("/program-lead/", "/program-lead/versions/precheck-2026-11-01"):
        html = client.get(page).get_data(as_text=True)
        assert "BRIEF.md" not in html and "CONTRACTS.md" not in html
    assert "Federal Register 2024-25701" in client.get("/program-lead/").get_data(as_text=True)
