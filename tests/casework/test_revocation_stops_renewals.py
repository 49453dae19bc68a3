"""A revocation stands against the member's open renewal (or any other open application of theirs for the program):
it is never approved with the revoked number or a new one. Where the status machine lets the system move it, it goes
to an officer at once; otherwise the all-clear route sends it to an officer instead of approving it, and an
officer's approval is refused. The traveler is told what happened to their application."""

import datetime as dt

from sqlalchemy import select

from tests.factories import create_account, create_application, form_version, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.models import Notification
from trusted_traveler.payments import service as payments
from trusted_traveler.programs.service import get_program
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.models import Slot

OFFICER = "olga.officer@example.com"


def _member_with_renewal(app, program: str, *, submit: bool = True, book: bool = False) -> tuple[str, str]:
    """A member of `program` (clean vetting, visit or interview recorded, approved) whose renewal is open: a draft,
    or paid and submitted (and, when `book`, its enrollment visit booked). Returns (first, renewal) references."""
    today, now = service_today(), dt.datetime.now(dt.UTC).replace(microsecond=0)  # read when the test runs
    with app.app_context():
        officer = create_account(OFFICER, roles=("officer",))
        first = create_application(program, submitted=True)
        decisions.record_interview(first, by=officer, documents_verified=True, biometrics_captured=True)
        if program == "global_entry":
            decisions.approve(first, by=officer, today=today)
        membership = db.session.scalar(select(Membership).where(Membership.application_id == first.id))
        membership.valid_until = today + dt.timedelta(days=60)  # inside the renewal window
        profile = first.profile
        renewal = casework.start_application(
            profile, get_program(program), by=profile.account, today=today, kind="renewal", renewal_of=first
        )
        if submit:
            casework.attest(renewal, by=profile.account)
            payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
            casework.submit(renewal, by=profile.account)
        if book:
            slot = Slot(center_id=8001, starts_at=now + dt.timedelta(days=3), capacity=1)
            db.session.add(slot)
            db.session.flush()
            scheduling.book(renewal, slot, by=profile.account, now=now)
        db.session.commit()
        return first.reference, renewal.reference


def _revoke(client, reference: str):
    version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
    return client.post(
        f"/officer/cases/{reference}/decide/revoke",
        data={"version": version, "reason_codes": ["program_violation"]},
    )


def _application(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _memberships(application: Application) -> list[tuple[str, str]]:
    return [
        (m.ktn, m.status)
        for m in db.session.scalars(
            select(Membership).where(Membership.profile_id == application.profile_id).order_by(Membership.id)
        )
    ]


def _notice(application: Application) -> Notification:
    return db.session.scalar(
        select(Notification).where(
            Notification.account_id == application.profile.account_id, Notification.kind == "revocation_stands"
        )
    )


def test_revoking_sends_a_submitted_precheck_renewal_to_an_officer_and_tells_the_traveler(app, client):
    first_ref, renewal_ref = _member_with_renewal(app, "precheck")
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        first, renewal = _application(first_ref), _application(renewal_ref)
        assert first.status == Status.REVOKED
        assert renewal.status == Status.OFFICER_REVIEW and renewal.priority >= 1
        event = renewal.events[-1]
        assert (event.from_status, event.to_status, event.reason_code, event.actor_id) == (
            "submitted",
            "officer_review",
            "membership_revoked",
            None,
        )
        ktn = _memberships(renewal)[0][0]
        assert _memberships(renewal) == [(ktn, "revoked")]
        notice = _notice(renewal)
        assert notice.link == f"/applications/{renewal_ref}"
        assert f"We revoked your TSA PreCheck membership (Known Traveler Number {ktn})." in notice.body
        assert "so it will not be approved while the revocation stands" in notice.body
        assert "An officer will decide it and send you a letter." in notice.body
        assert f"you can ask us to reconsider the revocation from application {first_ref}." in notice.body
    html = client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True)
    assert 'data-testid="revocation-stands"' in html and f"was revoked (application {first_ref})" in html
    assert 'data-testid="clear_to_enroll"' not in html and 'data-testid="approve"' not in html
    assert "Preliminary determination of ineligibility" in html  # the officer turns it down


def test_the_enrollment_visit_after_a_revocation_goes_to_an_officer_not_to_a_new_number(app, client):
    """The reviewer's path: the renewal's visit was booked (the status machine has no move from there to an
    officer); the visit recorded after the revocation found all clear, and the all-clear check approved the renewal
    with a new number. Now it goes to an officer, and no membership is issued."""
    first_ref, renewal_ref = _member_with_renewal(app, "precheck", book=True)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.ENROLLMENT_SCHEDULED and _notice(renewal) is not None
    version = form_version(client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True))
    response = client.post(
        f"/officer/cases/{renewal_ref}/interview",
        data={"version": version, "documents_verified": "y", "biometrics_captured": "y"},
    )
    assert response.status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.OFFICER_REVIEW
        event = renewal.events[-1]
        assert (event.from_status, event.to_status, event.reason_code) == (
            "in_vetting",
            "officer_review",
            "membership_revoked",
        )
        assert [status for _ktn, status in _memberships(renewal)] == ["revoked"]  # no new number
        issued = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "membership.issued")).all()
        assert [a.details["application"] for a in issued] == [first_ref]
    # the officer cannot approve it (not offered, and refused when sent)
    html = client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True)
    assert 'data-testid="approve"' not in html and 'data-testid="revocation-stands"' in html
    refused = client.post(f"/officer/cases/{renewal_ref}/decide/approve", data={"version": form_version(html)})
    assert refused.status_code == 400 and f"was revoked (application {first_ref})" in refused.get_data(as_text=True)
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.OFFICER_REVIEW and len(_memberships(renewal)) == 1


def test_an_officer_cannot_approve_a_global_entry_renewal_after_its_membership_was_revoked(app, client):
    first_ref, renewal_ref = _member_with_renewal(app, "global_entry")
    sign_in(client, OFFICER)
    version = form_version(client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True))
    client.post(  # conditionally approved by vetting; interviewed before the revocation
        f"/officer/cases/{renewal_ref}/interview",
        data={"version": version, "documents_verified": "y", "biometrics_captured": "y"},
    )
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.INTERVIEW_COMPLETED  # an officer decides it next: nothing to move
        assert "Known Traveler Number" in _notice(renewal).body
    html = client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True)
    assert 'data-testid="approve"' not in html and 'data-testid="revocation-stands"' in html
    refused = client.post(f"/officer/cases/{renewal_ref}/decide/approve", data={"version": form_version(html)})
    assert refused.status_code == 400 and "cannot go on toward approval" in refused.get_data(as_text=True)
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.INTERVIEW_COMPLETED
        assert [status for _ktn, status in _memberships(renewal)] == ["revoked"]
    denied = client.post(
        f"/officer/cases/{renewal_ref}/decide/deny",
        data={"version": form_version(html), "reason_codes": ["program_violation"]},
    )
    assert denied.status_code == 302
    with app.app_context():
        assert _application(renewal_ref).status == Status.DENIED


def test_a_draft_renewal_is_closed_and_an_application_after_the_revocation_goes_to_an_officer(app, client):
    """Nothing paid for a draft renewal: it is closed (a system move, as when a draft expires) and the traveler
    told. A new application submitted afterwards finds all clear, and goes to an officer instead of on."""
    first_ref, renewal_ref = _member_with_renewal(app, "precheck", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.WITHDRAWN
        event = renewal.events[-1]
        assert (event.from_status, event.reason_code, event.actor_id) == ("draft", "membership_revoked", None)
        assert (
            f"Your unsent application {renewal_ref} would have renewed or replaced that membership, so we closed it."
            in (_notice(renewal).body)
        )
        again = create_application("precheck", profile=renewal.profile, submitted=True)
        assert again.status == Status.OFFICER_REVIEW and again.events[-1].reason_code == "membership_revoked"
        assert [status for _ktn, status in _memberships(again)] == ["revoked"]
        db.session.commit()


def test_a_revoked_application_reconsidered_and_approved_again_gets_its_number_back(app, client, today):
    """Reconsidering the revocation on its own application is the way back: nothing stands against that one."""
    first_ref, renewal_ref = _member_with_renewal(app, "global_entry", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        first = _application(first_ref)
        traveler, officer = first.profile.account, first.assigned_officer
        ktn = _memberships(first)[0][0]
        decisions.request_reconsideration(first, by=traveler, statement="It was declared.")  # the draft is closed
        decisions.reopen_for_review(first, by=officer)
        decisions.conditionally_approve(first, by=officer)
        decisions.record_interview(first, by=officer, documents_verified=True, biometrics_captured=True)
        again = decisions.approve(first, by=officer, today=today)
        assert _memberships(first) == [(ktn, "active")] and again.ktn == ktn
        db.session.commit()


def _traveler_email(reference: str) -> str:
    return _application(reference).profile.account.email


def test_after_a_revocation_the_apply_page_offers_to_reconsider_it_instead_of_a_paid_application(app, client):
    """The reviewer's path: the apply page offered the revoked program as a new application at the full fee, which
    was paid for and then could never be approved. Now it says why not, and links to the way back."""
    first_ref, _draft = _member_with_renewal(app, "precheck", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        email, ktn = _traveler_email(first_ref), _memberships(_application(first_ref))[0][0]
    sign_in(client, email)
    html = client.get("/apply").get_data(as_text=True)
    message = (
        f"Your TSA PreCheck membership (Known Traveler Number {ktn}) was revoked. An application for TSA PreCheck "
        "cannot be approved while the revocation stands, so you will not be asked to pay for one. You can ask us to "
        f"reconsider the revocation from application {first_ref}."
    )
    assert f'data-testid="revoked">{message}' in html
    assert f'data-testid="reconsider-revocation" href="/applications/{first_ref}"' in html
    assert 'value="precheck"\n            disabled' in html
    refused = client.post("/apply", data={"programs": ["precheck"]})
    assert refused.status_code == 400 and message in refused.get_data(as_text=True)
    with app.app_context():
        profile_id = _application(first_ref).profile_id
        opened = db.session.scalars(
            select(Application.status).where(Application.profile_id == profile_id).order_by(Application.id)
        ).all()
        assert opened == [Status.REVOKED, Status.WITHDRAWN]  # the revoked one and the renewal draft it closed


def test_checkout_refuses_a_draft_for_a_revoked_program_before_charging(app, client, today):
    """A draft opened for the program after the revocation (before the apply page said so) is refused at checkout
    with the same message, and nothing is charged."""
    from trusted_traveler.payments.models import PaymentItem

    first_ref, _draft = _member_with_renewal(app, "precheck", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        first = _application(first_ref)
        email, ktn = first.profile.account.email, _memberships(first)[0][0]
        draft = casework.start_application(first.profile, first.program, by=first.profile.account, today=today)
        draft_ref = draft.reference
        db.session.commit()
    sign_in(client, email)
    response = client.post("/checkout", data={"still_right": "y", "confirm": "yes"})
    assert response.status_code == 302 and response.headers["Location"] == "/checkout"
    html = client.get("/checkout").get_data(as_text=True)
    assert f"Your TSA PreCheck membership (Known Traveler Number {ktn}) was revoked." in html
    assert f"You can ask us to reconsider the revocation from application {first_ref}." in html
    with app.app_context():
        assert _application(draft_ref).status == Status.DRAFT
        draft = _application(draft_ref)
        assert db.session.scalars(select(PaymentItem).where(PaymentItem.application_id == draft.id)).all() == []


def test_asking_to_reconsider_the_revocation_closes_the_renewal_it_stands_against(app, client):
    """The reviewer's path: a renewal paid for before the revocation is open, and it refused the reconsideration
    ("Finish or withdraw it"), though a submitted application cannot be withdrawn. Now the page says that asking
    closes it, and asking does: its visit cancelled and the seat freed, the traveler told."""
    first_ref, renewal_ref = _member_with_renewal(app, "precheck", book=True)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        email = _traveler_email(first_ref)
        assert _application(renewal_ref).status == Status.ENROLLMENT_SCHEDULED
    sign_in(client, email)
    html = client.get(f"/applications/{first_ref}").get_data(as_text=True)
    assert (
        f"Your application {renewal_ref} cannot be approved while the revocation stands. Asking us to reconsider the "
        "revocation closes it."
    ) in html
    response = client.post(f"/applications/{first_ref}/reconsideration", data={"statement": "The record was expunged."})
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        first, renewal = _application(first_ref), _application(renewal_ref)
        assert first.status == Status.RECONSIDERATION_REQUESTED
        assert renewal.status == Status.WITHDRAWN
        event = renewal.events[-1]
        assert (event.from_status, event.reason_code, event.actor_id) == (
            "enrollment_scheduled",
            "revocation_reconsidered",
            renewal.profile.account_id,
        )
        from trusted_traveler.scheduling.models import Appointment

        appointment = db.session.scalar(select(Appointment).where(Appointment.application_id == renewal.id))
        assert appointment.status == "cancelled" and appointment.slot.booked == 0
        notice = db.session.scalar(select(Notification).where(Notification.kind == "closed_for_reconsideration"))
        assert notice.link == f"/applications/{renewal_ref}"
        assert (
            f"You asked us to reconsider the revocation on application {first_ref}. Your application {renewal_ref} "
            "could not be approved while the revocation stands, so we closed it."
        ) in notice.body


def test_a_submitted_application_is_not_closed_so_when_no_revocation_stands(app):
    """The moves made because a revocation stands are refused otherwise: a traveler cannot withdraw a submitted
    application, nor the system send a conditionally approved one back to an officer."""
    import pytest

    from trusted_traveler.errors import BusinessRuleViolation

    with app.app_context():
        precheck = create_application("precheck", submitted=True)
        with pytest.raises(BusinessRuleViolation, match="only while a revocation stands"):
            casework.withdraw(precheck, by=precheck.profile.account)
        global_entry = create_application("global_entry", submitted=True)
        assert global_entry.status == Status.CONDITIONALLY_APPROVED
        with pytest.raises(BusinessRuleViolation, match="only while a revocation stands"):
            casework.transition(global_entry, Status.OFFICER_REVIEW, reason_code="membership_revoked")
        assert (precheck.status, global_entry.status) == (Status.SUBMITTED, Status.CONDITIONALLY_APPROVED)


def test_a_global_entry_renewal_with_its_interview_booked_goes_to_an_officer_when_the_membership_is_revoked(
    app, client
):
    """The reviewer's path: a renewal conditionally approved (or with its interview booked) stayed there, offered
    only the interview, though its traveler was told an officer would decide it. Now it goes to an officer, the
    interview is cancelled and its seat freed, the notice says so, and the officer turns it down."""
    first_ref, renewal_ref = _member_with_renewal(app, "global_entry", book=True)
    with app.app_context():
        assert _application(renewal_ref).status == Status.INTERVIEW_SCHEDULED
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.OFFICER_REVIEW and renewal.priority >= 1
        event = renewal.events[-1]
        assert (event.from_status, event.to_status, event.reason_code, event.actor_id) == (
            "interview_scheduled",
            "officer_review",
            "membership_revoked",
            None,
        )
        from trusted_traveler.scheduling.models import Appointment

        appointment = db.session.scalar(select(Appointment).where(Appointment.application_id == renewal.id))
        assert appointment.status == "cancelled" and appointment.slot.booked == 0
        body = _notice(renewal).body
        assert "An officer will decide it and send you a letter." in body
        assert "We cancelled your interview on " in body
    html = client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True)
    assert 'data-testid="conditionally_approve"' not in html and 'data-testid="revocation-stands"' in html
    denied = client.post(
        f"/officer/cases/{renewal_ref}/decide/deny",
        data={"version": form_version(html), "reason_codes": ["program_violation"]},
    )
    assert denied.status_code == 302
    with app.app_context():
        assert _application(renewal_ref).status == Status.DENIED


def test_a_conditionally_approved_global_entry_renewal_goes_to_an_officer_when_the_membership_is_revoked(app, client):
    first_ref, renewal_ref = _member_with_renewal(app, "global_entry")
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        renewal = _application(renewal_ref)
        assert renewal.status == Status.OFFICER_REVIEW
        assert renewal.events[-1].from_status == "conditionally_approved"
        assert "We cancelled" not in _notice(renewal).body


def test_a_revocation_sends_the_application_to_an_officer_even_while_the_vetting_agency_is_down(
    app, client, monkeypatch
):
    """The revocation is ours to know, not the agency's: an application submitted after it goes to an officer when
    the agency does not answer, as when it answers all clear (no enrollment visit booked for nothing)."""
    first_ref, renewal_ref = _member_with_renewal(app, "precheck", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    monkeypatch.setitem(app.config, "VETTING_SANDBOX_OUTAGE", True)
    with app.app_context():
        again = create_application("precheck", profile=_application(renewal_ref).profile, submitted=True)
        assert again.status == Status.OFFICER_REVIEW and again.events[-1].reason_code == "membership_revoked"
        assert again.vetting_results == [] and again.vetting_retry_since is None
        db.session.commit()


def test_a_revoked_member_is_told_not_to_use_the_number_and_not_how_to_use_it(app, client):
    first_ref, _renewal_ref = _member_with_renewal(app, "precheck", submit=False)
    sign_in(client, OFFICER)
    assert _revoke(client, first_ref).status_code == 302
    with app.app_context():
        traveler = _application(first_ref).profile.account.email
    sign_in(client, traveler)
    html = client.get(f"/applications/{first_ref}").get_data(as_text=True)
    membership = html.split('data-testid="membership"')[1].split("</section>")[0]
    assert "Revoked on" in membership and "Do not use this number" in membership
    assert "Enter it in the Known Traveler Number box" not in membership and "data-copy" not in membership
    dashboard = client.get("/dashboard").get_data(as_text=True)
    state = dashboard.split('data-testid="membership-state">')[1].split("</p>")[0]
    assert "Revoked on" in state and "Valid until" not in state
