"""Vetting on submission, the officer's decisions and the traveler's answers: each through one transition, each
recorded, each with the plain-language letter or message the traveler needs."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile
from tests.support.overlap import two_runs_at_once
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import decisions
from trusted_traveler.casework.letters import letter_content, render_pdf
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_date, service_today
from trusted_traveler.errors import BusinessRuleViolation, InvalidTransition, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.models import Notification

pytestmark = pytest.mark.usefixtures("app_ctx")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def hit_profile(program_surname="Hitman", dob=dt.date(1980, 1, 1)):
    return create_profile(surname=program_surname, dob=dob)


def in_review(program="global_entry"):
    return create_application(program, profile=hit_profile(), submitted=True)


def test_a_clean_precheck_application_is_vetted_on_submission_and_goes_on_to_its_enrollment_visit():
    application = create_application("precheck", submitted=True)
    assert application.status == Status.SUBMITTED
    assert {r.outcome for r in application.vetting_results} == {"clear"}


def test_the_travelers_timeline_says_the_background_check_was_reviewed_not_received_again():
    """Cleared to enroll goes back to the status after submission: the timeline named it "We received your
    application and your fee" a second time."""
    from trusted_traveler.casework.service import public_timeline

    application = in_review("precheck")
    decisions.clear_to_enroll(application, by=create_officer())
    steps = [(s["label"], s["explanation"]) for s in public_timeline(application)]
    assert steps[-1] == (
        "Background check reviewed",
        "An officer reviewed your background check. Book your enrollment visit.",
    )
    assert [e for _, e in steps].count("We received your application and your fee.") == 1


def test_a_precheck_hit_on_submission_goes_to_an_officer_who_can_clear_it_to_enroll():
    application = in_review("precheck")
    assert application.status == Status.OFFICER_REVIEW and application.priority == 1
    officer = create_officer()
    assert "clear_to_enroll" in decisions.available_actions(application, officer)
    assert "approve" not in decisions.available_actions(application, officer)  # no fingerprints yet
    decisions.clear_to_enroll(application, by=officer)
    assert application.status == Status.SUBMITTED and application.assigned_officer_id == officer.id
    # After the visit, the fingerprint check finds only the hit the officer already cleared: approved.
    decisions.record_biometrics(application, by=officer)
    assert application.status == Status.APPROVED
    assert db.session.scalar(select(Membership.ktn).where(Membership.application_id == application.id))


def test_the_sandbox_matches_a_document_number_as_well_as_name_and_birth_date():
    from trusted_traveler.vetting.sandbox import SandboxVettingProvider

    provider = SandboxVettingProvider()

    def hits(**kw):
        return {f.source for f in provider.check(given_names="A", **kw) if f.outcome == "hit"}

    assert hits(surname="Mendez", date_of_birth=dt.date(1970, 7, 7), document_numbers=("P70707070",)) == {
        "criminal_history"
    }
    # Same name and birth date, another document: another person.
    assert hits(surname="Mendez", date_of_birth=dt.date(1970, 7, 7), document_numbers=("123456789",)) == set()
    # A passport reported lost or stolen, whoever presents it.
    assert hits(surname="Rivera", date_of_birth=dt.date(1990, 1, 1), document_numbers=("L05T00000",)) == {
        "immigration_customs"
    }


def test_an_officer_asks_for_information_and_the_traveler_answers_with_a_document(today):
    application = in_review()
    officer = create_officer()
    request = decisions.request_info(
        application, by=officer, message="Send the court record.", due_on=today + dt.timedelta(days=30), today=today
    )
    assert application.status == Status.INFO_REQUESTED
    titles = db.session.scalars(
        select(Notification.title).where(Notification.account_id == application.profile.account_id)
    )
    assert any("We need more information" in t for t in titles)
    traveler = application.profile.account
    decisions.answer_info_request(application, by=traveler, answer="Attached.", files=[("record.pdf", PDF)])
    assert application.status == Status.OFFICER_REVIEW
    assert request.answer == "Attached." and request.answered_at is not None
    assert [(d.filename, d.content_type, d.purpose) for d in application.documents] == [
        ("record.pdf", "application/pdf", "info_response")
    ]


def test_a_request_needs_a_question_and_a_due_date_after_today(today):
    application = in_review()
    officer = create_officer()
    with pytest.raises(BusinessRuleViolation, match="after today"):
        decisions.request_info(application, by=officer, message="x", due_on=today, today=today)
    with pytest.raises(BusinessRuleViolation, match="Write what you need"):
        decisions.request_info(application, by=officer, message="  ", due_on=today + dt.timedelta(days=1), today=today)
    assert application.status == Status.OFFICER_REVIEW


def test_an_interview_is_complete_only_when_documents_and_fingerprints_are_both_recorded(today):
    application = create_application("global_entry", submitted=True)
    officer = create_officer()
    with pytest.raises(BusinessRuleViolation, match="the fingerprints were taken"):
        decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=False)
    assert application.status == Status.CONDITIONALLY_APPROVED
    with pytest.raises(InvalidTransition, match="cannot move to 'Approved'"):
        decisions.approve(application, by=officer, today=today)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    assert application.status == Status.INTERVIEW_COMPLETED
    membership = decisions.approve(application, by=officer, today=today)
    assert len(membership.ktn) == 9 and membership.ktn.isdigit()


def test_officer_conditionally_approves_a_global_entry_case_after_reviewing_the_hit():
    application = in_review()
    decisions.conditionally_approve(application, by=create_officer(), note="Record is another person.")
    assert application.status == Status.CONDITIONALLY_APPROVED
    assert application.events[-1].note == "Record is another person."


def test_denial_with_reasons_writes_a_plain_language_letter_and_reconsideration_reopens_the_case():
    application = in_review()
    officer = create_officer()
    letter = decisions.deny(
        application, by=officer, reason_codes=["criminal_history", "not_low_risk"], note="See record."
    )
    assert application.status == Status.DENIED
    content = letter_content(letter)
    assert "arrest, a conviction" in content.reasons[0][0] and content.reasons[0][1] == "8 CFR 235.12(b)(2)(ii)"
    assert any("Ask us to reconsider" in step for step in content.next_steps)
    assert any("Ombudsman" in step for step in content.next_steps)
    pdf = render_pdf(letter)
    assert pdf.startswith(b"%PDF-") and len(pdf) > 1000
    traveler = application.profile.account
    decisions.request_reconsideration(application, by=traveler, statement="Expunged in 2021.", files=[("c.pdf", PDF)])
    assert application.status == Status.RECONSIDERATION_REQUESTED
    assert "reopen" in decisions.available_actions(application, officer)
    decisions.reopen_for_review(application, by=officer)
    assert application.status == Status.OFFICER_REVIEW


def test_a_reason_must_be_given_and_belong_to_the_program():
    application = in_review()
    officer = create_officer()
    with pytest.raises(BusinessRuleViolation, match="at least one reason"):
        decisions.deny(application, by=officer, reason_codes=[])
    with pytest.raises(BusinessRuleViolation, match="do not apply"):
        decisions.deny(application, by=officer, reason_codes=["disqualifying_offense"])  # a PreCheck reason
    assert application.status == Status.OFFICER_REVIEW


def test_revocation_stops_the_known_traveler_number_and_a_reconsidered_approval_reinstates_it(today):
    application = create_application("global_entry", submitted=True)
    officer = create_officer()
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    membership = decisions.approve(application, by=officer, today=today)
    decisions.revoke(application, by=officer, reason_codes=["program_violation"])
    assert application.status == Status.REVOKED and membership.status == "revoked"
    decisions.request_reconsideration(application, by=application.profile.account, statement="It was declared.")
    decisions.reopen_for_review(application, by=officer)
    decisions.conditionally_approve(application, by=officer)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    again = decisions.approve(application, by=officer, today=today)
    assert again.id == membership.id and again.status == "active" and again.ktn == membership.ktn


def test_a_preliminary_determination_not_answered_in_60_days_becomes_a_final_denial():
    application = in_review("precheck")
    officer = create_officer()
    decisions.preliminary_ineligible(application, by=officer, reason_codes=["disqualifying_offense"])
    assert application.status == Status.PRELIMINARY_INELIGIBLE
    day = service_date(application.status_entered_at)  # the day it was sent: its own clock (a run across midnight)
    assert decisions.close_unanswered_determinations(day + dt.timedelta(days=59)) == 0
    assert decisions.close_unanswered_determinations(day + dt.timedelta(days=61)) == 1
    assert application.status == Status.DENIED and application.events[-1].actor_id is None
    assert application.letters[-1].kind == "denial" and "no_response" in application.letters[-1].reason_codes


def test_two_daily_runs_at_once_deny_an_unanswered_determination_once_and_neither_fails(app, monkeypatch):
    """Two workers reach the new day together (or `flask close-determinations` runs beside one): the application is
    denied once, with one letter, and the other run closes nothing instead of failing (which stopped its worker)."""
    application = in_review("precheck")
    decisions.preliminary_ineligible(application, by=create_officer(), reason_codes=["security_threat"])
    application.status_entered_at -= dt.timedelta(days=62)
    db.session.commit()
    closed, errors = two_runs_at_once(
        app, lambda: decisions.close_unanswered_determinations(service_today()), monkeypatch, (decisions, "_letter")
    )

    assert errors == [] and sorted(closed) == [0, 1]
    db.session.expire_all()
    denied = db.session.get(type(application), application.id)
    assert denied.status == Status.DENIED
    assert [letter.kind for letter in denied.letters] == ["preliminary_ineligible", "denial"]
    assert [e.to_status for e in denied.events].count(Status.DENIED) == 1


def test_an_officer_cannot_decide_a_case_assigned_to_someone_else_but_a_supervisor_can(today):
    application = in_review()
    first = create_officer("first@example.com")
    second = create_officer("second@example.com")
    decisions.request_info(application, by=first, message="?", due_on=today + dt.timedelta(days=9), today=today)
    decisions.answer_info_request(application, by=application.profile.account, answer="!")
    assert application.assigned_officer_id == first.id
    assert decisions.available_actions(application, second) == []
    with pytest.raises(PermissionDenied, match="assigned to"):
        decisions.conditionally_approve(application, by=second)
    supervisor = create_account("boss@example.com", roles=("supervisor",))
    decisions.conditionally_approve(application, by=supervisor)
    assert application.status == Status.CONDITIONALLY_APPROVED


def test_every_decision_leaves_an_audit_record_with_who_and_what():
    application = in_review()
    officer = create_officer()
    decisions.deny(application, by=officer, reason_codes=["not_low_risk"])
    actions = db.session.scalars(select(AuditEvent.action).where(AuditEvent.actor_id == officer.id)).all()
    assert {"letter.denial", "application.transition"} <= set(actions)


def test_the_daily_command_closes_unanswered_determinations(app):
    """`flask close-determinations` commits the denials it makes (the worker runs the same job daily)."""
    application = in_review("precheck")
    decisions.preliminary_ineligible(application, by=create_officer(), reason_codes=["security_threat"])
    application.status_entered_at -= dt.timedelta(days=62)  # 61 service days at any hour, DST or not
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["close-determinations"])
    assert "Closed 1 unanswered" in result.output
    db.session.expire_all()
    assert db.session.get(type(application), application.id).status == Status.DENIED
