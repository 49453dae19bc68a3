"""What the record must hold about officers and the people they decide on: every showing of a case page with the
applicant's personal data is an audited view, even after a refused action; removing an officer's last role that
works cases hands their open cases back to the queue, audited; each letter cites its own program's rules; and a
preliminary determination cannot be answered after its 60 days."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_application, create_hit_case, create_profile, form_version, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth import service as accounts
from trusted_traveler.casework import assignment, decisions
from trusted_traveler.casework.reasons import GE, PC, REASONS, reasons_for
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today, service_zone
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db


def _views(app, reference: str) -> int:
    with app.app_context():
        return db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "profile.viewed", AuditEvent.object_id == reference)
        )


def test_a_refused_action_that_shows_the_case_page_again_is_an_audited_view(app, client):
    with app.app_context():
        reference = create_hit_case()
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
    assert _views(app, reference) == 1

    # The form is refused (no date), then the rule (a date in the past): each time the page shows the applicant.
    for due_on in ("soon", "2001-01-01"):
        response = client.post(
            f"/officer/cases/{reference}/request-info", data={"version": version, "message": "Why?", "due_on": due_on}
        )
        assert response.status_code == 400 and 'data-testid="applicant-name"' in response.get_data(as_text=True)
    assert _views(app, reference) == 3


@pytest.mark.usefixtures("app_ctx")
def test_removing_an_officers_last_case_working_role_returns_their_open_cases_to_the_queue():
    admin = create_account("ada.admin@example.com", roles=("admin",))
    officer = create_account("olga.officer@example.com", roles=("officer", "supervisor"))
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    open_case = create_application("global_entry", profile=profile, submitted=True)
    decided = create_application("precheck", profile=profile, submitted=True)
    for application in (open_case, decided):
        assignment.assign(application, officer, by=officer)
    decisions.preliminary_ineligible(decided, by=officer, reason_codes=["disqualifying_offense"])
    decided.status = Status.DENIED.value  # set-up only: a case already decided stays as it was

    accounts.revoke_role(officer, "officer", by=admin)  # still a supervisor: still works cases
    assert open_case.assigned_officer_id == officer.id

    accounts.revoke_role(officer, "supervisor", by=admin)
    assert open_case.assigned_officer_id is None
    assert decided.assigned_officer_id == officer.id
    released = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case.released")).all()
    assert [(e.object_id, e.actor_id, e.details["from_officer"]) for e in released] == [
        (open_case.reference, admin.id, officer.id)
    ]


def test_each_reason_cites_only_the_rules_of_the_program_whose_letter_it_is_in():
    for reason in reasons_for(PC):
        assert "8 CFR" not in reason.citation_for(PC), reason.code
    for reason in reasons_for(GE):
        assert reason.citation_for(GE).startswith("8 CFR 235.12"), reason.code
    shared = {r.code: (r.citation_for(GE), r.citation_for(PC)) for r in REASONS if r.programs == {GE, PC}}
    assert shared == {
        "false_information": ("8 CFR 235.12(b)(2)(i)", "49 CFR 1540.103"),
        "no_response": ("8 CFR 235.12(b)(2)(vii)", "49 CFR 1572.15"),
        "program_violation": ("8 CFR 235.12(j)", "49 CFR 1540, subpart B"),
    }


@pytest.mark.usefixtures("app_ctx")
def test_a_precheck_letter_cites_only_precheck_rules():
    from trusted_traveler.casework.letters import letter_content

    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("precheck", profile=profile, submitted=True)  # a vetting hit: officer review
    officer = create_account("olga.officer@example.com", roles=("officer",))
    letter = decisions.preliminary_ineligible(application, by=officer, reason_codes=["false_information"])
    assert [citation for _text, citation in letter_content(letter).reasons] == ["49 CFR 1540.103"]


@pytest.mark.usefixtures("app_ctx")
def test_a_preliminary_determination_cannot_be_answered_after_its_60_days_even_before_it_is_made_final():
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("precheck", profile=profile, submitted=True)  # a vetting hit: officer review
    officer = create_account("olga.officer@example.com", roles=("officer",))
    decisions.preliminary_ineligible(application, by=officer, reason_codes=["disqualifying_offense"])
    traveler = application.profile.account

    def sent_days_ago(days: int) -> dt.datetime:  # noon, on the service's calendar, that many days before today
        return dt.datetime.combine(service_today() - dt.timedelta(days=days), dt.time(12), tzinfo=service_zone())

    application.status_entered_at = sent_days_ago(61)  # the daily job has not run yet
    with pytest.raises(BusinessRuleViolation, match="The time to respond to this determination ended on"):
        decisions.request_reconsideration(application, by=traveler, statement="Here is the court record.")
    assert application.status == Status.PRELIMINARY_INELIGIBLE

    application.status_entered_at = sent_days_ago(60)  # today is the last day the letter gives
    decisions.request_reconsideration(application, by=traveler, statement="Here is the court record.")
    assert application.status == Status.OFFICER_REVIEW
