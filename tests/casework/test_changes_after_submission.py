"""The profile is shared and stays editable after submission, but a submitted application is not rewritten by it:
the officer sees what the applicant declared, what changed since and when, and a change that makes the rules judge
the applicant worse flags the case and keeps it from being approved by itself. The traveler is told that changes
reach the officer, and is never stopped from correcting their profile."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_officer, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import changes, decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.payments import service as payments
from trusted_traveler.profiles import service as profiles

OFFICER = "olga.officer@example.com"
DUI = {"category": "dui", "status": "convicted", "date": dt.date(2019, 3, 2), "released_on": None}
SANDBOX_HIT = {"surname": "Hitman", "dob": dt.date(1980, 1, 1)}  # the sandbox vetting provider's record
CLEAN = {"customs_immigration_violation": "no", "under_investigation": "no", "inadmissible_or_waiver": "no"}


def _submit(profile, *programs: str) -> list[Application]:
    """Apply as a traveler does (each application judged by the rules and keeping that answer), pay and submit."""
    applications = casework.apply_for(profile, list(programs), by=profile.account, today=service_today())
    for application in applications:
        casework.attest(application, by=profile.account)
        payments.record_completed_payment(application, gateway="test", reference=application.reference, by=None)
        casework.submit(application, by=profile.account)
    return applications


def _traveler(app, email: str, *programs: str, **profile_values) -> list[str]:
    with app.app_context():
        create_officer(OFFICER)
        profile = create_profile(create_account(email), **profile_values)
        references = [a.reference for a in _submit(profile, *programs)]
        db.session.commit()
        return references


def _application(app, reference: str) -> Application:
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        db.session.expunge(application)
        return application


def _text(html: str, testid: str) -> str:
    """The words of the element marked `testid` (up to the end of its table, or of the panel), tags removed."""
    start = html.index(">", html.index(f'data-testid="{testid}"')) + 1
    ends = [i for i in (html.find("</table>", start), html.find("</section>", start)) if i != -1]
    return " ".join(re.sub(r"<[^>]+>", " ", html[start : min(ends)]).split())


def test_an_offense_removed_after_submitting_still_shows_the_officer_what_was_submitted(app, client):
    """The reviewer's case: PreCheck submitted with a DUI disclosed, then "No" on the background page. The case
    page must not say "none" as if that were what the applicant declared."""
    [reference] = _traveler(app, "dui@example.com", "precheck", offenses=[DUI])
    sign_in(client, "dui@example.com")
    assert client.post("/profile/background", data={"has_offenses": "no", **CLEAN}).status_code == 302

    sign_in(client, OFFICER)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert "Changed since submission" in _text(html, "changed-since-submission")
    assert "Offenses disclosed Driving under the influence (DUI) (convicted, 2019-03-02) none" in _text(
        html, "as-submitted"
    )
    changes = _text(html, "profile-changes")
    assert "Background questions offenses" in changes and "UTC" in changes
    # beside the live answer, too: the applicant section says it changed and what was submitted
    assert "as submitted: Driving under the influence (DUI) (convicted, 2019-03-02)" in _text(html, "changed-offenses")
    # the submitted eligibility is kept as it was; the rules' new answer is beside it, and it is no worse
    application = _application(app, reference)
    assert application.eligibility_snapshot["outcome"] == "eligible"
    assert application.eligibility_now["outcome"] == "eligible" and application.eligibility_worse_since is None
    assert application.submitted_profile["facts"]["offenses"][0]["category"] == "dui"
    with app.app_context():  # the officer's view of the personal data is audited, as every view is
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "profile.viewed"))
        assert viewed.object_id == reference


def test_a_case_without_changes_has_no_panel(app, client):
    [reference] = _traveler(app, "steady@example.com", "precheck")
    sign_in(client, OFFICER)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert 'data-testid="changed-since-submission"' not in html and "changed since submission" not in html


def test_the_profile_now_is_built_for_the_comparison_only_once_it_has_been_saved_since_submission(
    app, client, monkeypatch
):
    """The case page compares the profile as submitted with the profile now only when the profile was saved since
    its record was taken (changes.saved_since_submission), and then shows the differences, even for a save whose
    time reads as earlier than the submission (another server's clock, or a save committed while the submission
    was under way), which comparing with the submission time would miss."""
    import trusted_traveler.web.officer.case as case_page

    built = []
    monkeypatch.setattr(case_page, "profile_record", lambda *args: built.append(args) or profiles.profile_record(*args))
    [reference] = _traveler(app, "later@example.com", "precheck", offenses=[DUI])
    sign_in(client, OFFICER)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert built == [] and 'data-testid="changed-since-submission"' not in html

    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        profile = application.profile
        profiles.save_step(profile, "background", by=profile.account, collections={"offenses": []})
        profile.updated_at = application.submitted_at - dt.timedelta(minutes=1)  # its stamp reads as earlier
        db.session.commit()
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert len(built) == 1
    assert "Offenses disclosed Driving under the influence (DUI) (convicted, 2019-03-02) none" in _text(
        html, "as-submitted"
    )
    assert "as submitted: Driving under the influence (DUI) (convicted, 2019-03-02)" in _text(html, "changed-offenses")


def test_a_change_the_rules_do_not_read_is_listed_without_judging_again(app, client):
    [reference] = _traveler(app, "mover@example.com", "precheck")
    sign_in(client, "mover@example.com")
    response = client.post(
        "/profile/contact",
        data={"email": "mover@example.com", "phone": "+12025550199", "mailing_same_as_residential": "yes"},
    )
    assert response.status_code == 302

    sign_in(client, OFFICER)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert "Contact details phone" in _text(html, "profile-changes")
    assert 'data-testid="as-submitted"' not in html  # a phone number is not one of the items compared
    assert _application(app, reference).eligibility_now is None


def test_a_disqualifying_answer_after_submitting_flags_the_case_in_the_queue_and_on_the_case_page(app, client):
    """Global Entry in officer review after a vetting hit; the applicant then says they are under investigation,
    which Global Entry does not accept."""
    [reference] = _traveler(app, "hit@example.com", "global_entry", **SANDBOX_HIT)
    assert _application(app, reference).status == "officer_review"
    sign_in(client, "hit@example.com")
    details = {"background_details": "A local inquiry into my business."}
    response = client.post(
        "/profile/background", data={"has_offenses": "no", **CLEAN, "under_investigation": "yes", **details}
    )
    assert response.status_code == 302

    application = _application(app, reference)
    assert application.eligibility_snapshot["outcome"] == "eligible"  # what it was judged by, unchanged
    assert application.eligibility_now["outcome"] == "ineligible"
    assert application.eligibility_worse_since is not None and application.priority == 1
    sign_in(client, OFFICER)
    queue = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert reference in queue and "eligibility worse since submission" in _text(queue, "eligibility-worse")
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    worse = _text(html, "eligibility-worse")
    assert "Submitted as eligible" in worse and "the rules now answer ineligible" in worse
    assert "Under investigation no yes" in _text(html, "as-submitted")
    assert "law enforcement agency is investigating you" in _text(html, "eligibility-now")
    with app.app_context():
        recheck = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.eligibility_rechecked"))
        assert recheck.object_id == reference
        assert recheck.details["submitted"] == "eligible" and recheck.details["now"] == "ineligible"


def test_taking_the_answer_back_lifts_the_flag_but_the_officer_still_sees_both_changes(app, client):
    [reference] = _traveler(app, "undo@example.com", "global_entry", **SANDBOX_HIT)
    sign_in(client, "undo@example.com")
    details = {"background_details": "A local inquiry into my business."}
    client.post("/profile/background", data={"has_offenses": "no", **CLEAN, "under_investigation": "yes", **details})
    client.post("/profile/background", data={"has_offenses": "no", **CLEAN})

    application = _application(app, reference)
    assert application.eligibility_now["outcome"] == "eligible" and application.eligibility_worse_since is None
    sign_in(client, OFFICER)
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert 'data-testid="eligibility-worse"' not in html
    assert _text(html, "profile-changes").count("Background questions") == 2


def test_precheck_judged_worse_after_submitting_goes_to_an_officer_after_fingerprints(app):
    """A clean PreCheck application would be approved by the fingerprint check by itself; once the applicant has
    disclosed a crime that blocks PreCheck, it goes to an officer instead."""
    murder = {"category": "murder", "status": "convicted", "date": dt.date(2001, 6, 1), "released_on": None}
    with app.app_context():
        officer = create_officer(OFFICER)
        profile = create_profile(create_account("late@example.com"))
        [application] = _submit(profile, "precheck")
        assert application.status == "submitted"
        profiles.save_step(profile, "background", by=profile.account, collections={"offenses": [murder]})
        assert application.eligibility_worse_since is not None

        decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
        assert application.status == "officer_review"
        assert application.events[-1].reason_code == "eligibility_changed"


@pytest.mark.parametrize("submitted", [True, False])
def test_the_traveler_is_told_their_changes_reach_the_officer_only_once_they_have_submitted(
    app, client, submitted, today
):
    with app.app_context():
        profile = create_profile(create_account("told@example.com"))
        if submitted:
            [application] = _submit(profile, "precheck")
        else:
            [application] = casework.apply_for(profile, ["precheck"], by=profile.account, today=today)
        reference = application.reference
        db.session.commit()
    sign_in(client, "told@example.com")
    for page in ("/profile/background", "/profile/summary"):
        html = client.get(page).get_data(as_text=True)
        if submitted:
            note = _text(html, "changes-reach-officer")
            assert f"Your application {reference} is open." in note and "sent to the officer handling it" in note
        else:
            assert 'data-testid="changes-reach-officer"' not in html
    # and nothing stops a correction
    assert client.post("/profile/background", data={"has_offenses": "no", **CLEAN}).status_code == 302


@pytest.mark.parametrize(
    ("submitted", "now", "flagged"),
    [
        ("eligible", "needs_review", True),
        ("needs_review", "ineligible", True),
        ("needs_review", "needs_review", False),
        ("needs_review", "eligible", False),  # better now: not flagged, but the panel still shows what was submitted
        ("eligible", None, True),  # the rules could not judge the new facts: an officer looks
        (None, "eligible", False),  # opened without an answer: it was let through, so it counts as eligible
    ],
)
def test_a_case_is_flagged_when_the_outcome_now_is_worse_than_the_one_submitted(submitted, now, flagged):
    assert changes.worse(submitted, now) is flagged
