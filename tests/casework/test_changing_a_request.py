"""An open request for information changed by the officer while it waits: more time to answer (a later due date, by
the rules of sending one), or withdrawn with a reason (the case back in officer review, the request closed so the
traveler's page no longer asks for it). Each tells the traveler as the request did, leaves a step in the case history
and an audit record, and is refused once the request was answered, to anyone but an officer who may act on the case,
and from a page gone stale."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_hit_case, form_version, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import decisions, history, stats
from trusted_traveler.casework.models import Application, InfoRequest, StatusEvent
from trusted_traveler.casework.queues import QueueFilters, list_queue
from trusted_traveler.casework.service import public_timeline
from trusted_traveler.casework.states import Status
from trusted_traveler.errors import BusinessRuleViolation, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage

OLGA = "olga.officer@example.com"
TRAVELER = "hit@example.com"


def _case(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _asked(today: dt.date, days: int = 10) -> tuple[Application, object, InfoRequest]:
    """A Global Entry case with a vetting hit, officer Olga, and her request for the court record due in `days`."""
    reference = create_hit_case()
    application = _case(reference)
    olga = create_account(OLGA)
    request = decisions.request_info(
        application, by=olga, message="Send the court record.", due_on=today + dt.timedelta(days=days), today=today
    )
    db.session.flush()
    return application, olga, request


def _notices(kind: str) -> list[Notification]:
    return db.session.scalars(select(Notification).where(Notification.kind == kind)).all()


def _audits(action: str) -> list[AuditEvent]:
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


# --- The services ------------------------------------------------------------------------------------------------


def test_more_time_moves_the_due_date_tells_the_traveler_and_leaves_a_step_in_the_history(app_ctx, today):
    application, olga, request = _asked(today)
    version = application.version
    later = today + dt.timedelta(days=40)
    decisions.extend_info_request(application, by=olga, due_on=later, today=today)

    assert request.due_on == later and request.answered_at is None
    assert application.status == Status.INFO_REQUESTED  # still waiting on the answer, now until the new date
    assert f"until {later:%B %-d, %Y} to answer" in decisions.waiting_on_applicant(application, today)
    assert application.version > version  # a page made before it is stale
    step = application.events[-1]
    assert (step.from_status, step.to_status, step.actor_id, step.reason_code) == (
        "info_requested",
        "info_requested",
        olga.id,
        decisions.INFO_DUE_EXTENDED,
    )
    was = today + dt.timedelta(days=10)
    assert step.note == f"Answer now due by {later:%B %-d, %Y} (was {was:%B %-d, %Y})."
    assert history.reason_label(step.reason_code) == "Due date extended"
    change = history.latest_change(application)
    assert change.what == "gave the applicant more time to answer" and change.key == decisions.INFO_DUE_EXTENDED
    [audit] = _audits("info_request.extended")
    assert (audit.actor_id, audit.object_id, audit.details) == (
        olga.id,
        application.reference,
        {"request": request.id, "due_on": later.isoformat(), "was": was.isoformat()},
    )
    [notice] = _notices("info_request_extended")
    assert notice.title == f"More time to answer for {application.reference}: now by {later:%B %-d, %Y}"
    assert f"Answer on your application page by {later:%B %-d, %Y}." in notice.body
    assert notice.link == f"/applications/{application.reference}"
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email.info_request_extended"))
    assert email.recipient == TRAVELER and email.payload["subject"] == notice.title
    # the traveler's timeline shows no new step: the status they see did not change
    assert [s["status"] for s in public_timeline(application)][-1] == "info_requested"
    assert [s["label"] for s in public_timeline(application)].count("Action needed") == 1


def test_more_time_gives_an_overdue_request_a_new_date_and_the_queue_stops_counting_it_overdue(app_ctx, today):
    application, olga, request = _asked(today)
    request.due_on = today - dt.timedelta(days=2)  # overdue: the officer may decide without it, or give more time
    assert decisions.waiting_on_applicant(application, today) is None
    decisions.extend_info_request(application, by=olga, due_on=today + dt.timedelta(days=7), today=today)
    overdue = list_queue("awaiting_applicant", officer=olga, filters=QueueFilters(overdue_only=True), today=today)
    assert overdue.rows == []
    assert decisions.available_actions(application, olga, today) == ["extend_request", "withdraw_request"]


@pytest.mark.parametrize(
    ("days", "why"),
    [
        (0, "The due date must be after today."),
        (-3, "The due date must be after today."),
        (91, "The due date can be at most 90 days ahead"),
        (10, "must be later than the one the applicant has now"),  # the same date
        (5, "must be later than the one the applicant has now"),  # earlier
    ],
)
def test_more_time_is_refused_a_date_past_too_far_or_not_later(app_ctx, today, days, why):
    application, olga, request = _asked(today)
    events, version = len(application.events), application.version
    with pytest.raises(BusinessRuleViolation, match=re.escape(why)) as refused:
        decisions.extend_info_request(application, by=olga, due_on=today + dt.timedelta(days=days), today=today)
    assert refused.value.field == "due_on"
    assert request.due_on == today + dt.timedelta(days=10) and len(application.events) == events
    assert application.version == version and _notices("info_request_extended") == []


def test_withdrawing_closes_the_request_returns_the_case_to_officer_review_and_tells_the_traveler(app_ctx, today):
    application, olga, request = _asked(today)
    status_notices = len(_notices("status_changed"))
    decisions.withdraw_info_request(application, by=olga, reason="  Found the record in the state database.  ")

    assert application.status == Status.OFFICER_REVIEW
    assert request.answered_at is not None and request.answer is None  # closed, not answered
    assert decisions.open_info_request(application) is None
    assert decisions.waiting_on_applicant(application, today) is None
    event = application.events[-1]
    assert (event.from_status, event.to_status, event.actor_id, event.reason_code, event.note) == (
        "info_requested",
        "officer_review",
        olga.id,
        decisions.INFO_WITHDRAWN,
        "Found the record in the state database.",
    )
    assert decisions.withdrawals(application) == {request.id: event}
    assert history.latest_change(application).what == "withdrew the request for information"
    assert [a.details["to_status"] for a in _audits("application.transition")][-1] == "officer_review"
    [audit] = _audits("info_request.withdrawn")
    assert audit.actor_id == olga.id and audit.details["request"] == request.id
    assert "Found the record" not in str(audit.details)  # the reason is in the case history, not copied around
    # one notice, saying more than "your status changed" would (none of that is sent); never the officer's reason
    [notice] = _notices("info_request_withdrawn")
    assert notice.title == f"Request for information on {application.reference} withdrawn"
    assert "You do not need to answer it." in notice.body and "state database" not in notice.body
    assert len(_notices("status_changed")) == status_notices
    email = db.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "email.info_request_withdrawn"))
    assert email.recipient == TRAVELER and "state database" not in str(email.payload)
    # the answer the traveler might still send is refused: nothing waits for it
    with pytest.raises(BusinessRuleViolation, match="no request waiting"):
        decisions.answer_info_request(application, by=application.profile.account, answer="Here it is.")
    # the officer decides again, and may ask again
    assert "conditionally_approve" in decisions.available_actions(application, olga, today)
    assert "request_info" in decisions.available_actions(application, olga, today)


def test_withdrawing_needs_a_reason(app_ctx, today):
    application, olga, request = _asked(today)
    with pytest.raises(BusinessRuleViolation, match="Say why") as refused:
        decisions.withdraw_info_request(application, by=olga, reason="   ")
    assert refused.value.field == "reason"
    assert application.status == Status.INFO_REQUESTED and request.answered_at is None


@pytest.mark.parametrize("change", ["extend", "withdraw"])
def test_a_request_already_answered_cannot_be_changed(app_ctx, today, change):
    application, olga, request = _asked(today)
    decisions.answer_info_request(application, by=application.profile.account, answer="The record is attached.")
    with pytest.raises(BusinessRuleViolation, match="already answered this request"):
        if change == "extend":
            decisions.extend_info_request(application, by=olga, due_on=today + dt.timedelta(days=30), today=today)
        else:
            decisions.withdraw_info_request(application, by=olga, reason="No longer needed.")
    assert request.answer == "The record is attached." and request.due_on == today + dt.timedelta(days=10)
    assert application.status == Status.OFFICER_REVIEW
    assert "extend_request" not in decisions.available_actions(application, olga, today)


def test_a_request_closed_by_a_decision_or_withdrawn_cannot_be_changed_again(app_ctx, today):
    application, olga, request = _asked(today)
    decisions.withdraw_info_request(application, by=olga, reason="Not needed.")
    for change in (
        lambda: decisions.withdraw_info_request(application, by=olga, reason="Again."),
        lambda: decisions.extend_info_request(application, by=olga, due_on=today + dt.timedelta(days=30), today=today),
    ):
        with pytest.raises(BusinessRuleViolation, match="no open request for information"):
            change()


def test_only_an_officer_who_may_act_on_the_case_changes_its_request(app_ctx, today):
    application, olga, request = _asked(today)
    traveler = application.profile.account
    program_lead = create_account("lead@example.com", roles=("program_lead",))
    omar = create_account("omar.officer@example.com", roles=("officer",))  # the case is Olga's
    sue = create_account("sue.supervisor@example.com", roles=("supervisor",))
    for person, why in (
        (traveler, "Only an enrollment officer"),
        (program_lead, "Only an enrollment officer"),
        (omar, "This case is assigned to"),
    ):
        with pytest.raises(PermissionDenied, match=why):
            decisions.extend_info_request(application, by=person, due_on=today + dt.timedelta(days=30), today=today)
        with pytest.raises(PermissionDenied, match=why):
            decisions.withdraw_info_request(application, by=person, reason="Not needed.")
    assert application.status == Status.INFO_REQUESTED and request.due_on == today + dt.timedelta(days=10)
    assert decisions.available_actions(application, omar, today) == []
    decisions.extend_info_request(application, by=sue, due_on=today + dt.timedelta(days=30), today=today)
    assert request.due_on == today + dt.timedelta(days=30)  # a supervisor may act on any case


def test_an_officer_cannot_change_a_request_on_their_own_application(app_ctx, today):
    from tests.factories import create_application, create_profile

    olga = create_account(OLGA, roles=("officer",))
    omar = create_account("omar.officer@example.com", roles=("officer",))
    application = create_application(
        "global_entry", profile=create_profile(olga, surname="Hitman", dob=dt.date(1980, 1, 1)), submitted=True
    )
    decisions.request_info(application, by=omar, message="Send it.", due_on=today + dt.timedelta(days=10), today=today)
    application.assigned_officer_id = None
    with pytest.raises(PermissionDenied, match="This is your own application"):
        decisions.withdraw_info_request(application, by=olga, reason="Mine.")
    assert decisions.available_actions(application, olga, today) == []


def test_the_typical_time_in_a_status_counts_a_stay_with_a_step_in_it_as_one_stay(app_ctx):
    """A step that leaves the status as it is (a due date moved) splits no stay: five applications that waited 20
    days, each with a step on day 5, waited 20 days typically, not 5 and 15."""
    from tests.factories import create_application
    from trusted_traveler.db import utcnow

    left = utcnow() - dt.timedelta(days=1)
    for n in range(5):
        application = create_application("precheck")
        db.session.add_all(
            [
                StatusEvent(application=application, from_status="draft", to_status="submitted",
                            created_at=left - dt.timedelta(days=20, minutes=n)),
                StatusEvent(application=application, from_status="submitted", to_status="submitted",
                            reason_code="a_step", created_at=left - dt.timedelta(days=15, minutes=n)),
                StatusEvent(application=application, from_status="submitted", to_status="enrollment_scheduled",
                            created_at=left - dt.timedelta(minutes=n)),
            ]
        )  # fmt: skip
    db.session.flush()
    figure = stats.typical_times(application.program_id, now=utcnow())["submitted"]
    assert figure.sample == 5 and figure.median_days == pytest.approx(20, abs=0.01)


def test_status_events_of_a_step_are_ordered_with_the_moves(app_ctx, today):
    """The case history lists the step where it happened, between the request and the withdrawal."""
    application, olga, request = _asked(today)
    decisions.extend_info_request(application, by=olga, due_on=today + dt.timedelta(days=20), today=today)
    decisions.withdraw_info_request(application, by=olga, reason="Not needed.")
    events = db.session.scalars(
        select(StatusEvent).where(StatusEvent.application_id == application.id).order_by(StatusEvent.id)
    ).all()
    assert [e.reason_code for e in events][-3:] == ["info_requested", "info_due_extended", "info_withdrawn"]


# --- The case page -----------------------------------------------------------------------------------------------


@pytest.fixture
def asked(app, today):
    """A Global Entry case in which officer Olga asked for the court record, due in 10 days; its reference."""
    with app.app_context():
        application, _olga, _request = _asked(today)
        db.session.commit()
        return application.reference


def _page(client, reference: str) -> str:
    return client.get(f"/officer/cases/{reference}").get_data(as_text=True)


def _status(app, reference: str) -> str:
    with app.app_context():
        return _case(reference).status


def _due_on(app, reference: str) -> dt.date:
    with app.app_context():
        return _case(reference).info_requests[-1].due_on


def _extend(client, reference: str, due_on, version=None):
    version = version or form_version(_page(client, reference))
    return client.post(
        f"/officer/cases/{reference}/request-info/extend", data={"version": version, "due_on": str(due_on)}
    )


def _withdraw(client, reference: str, reason: str, version=None):
    version = version or form_version(_page(client, reference))
    return client.post(f"/officer/cases/{reference}/request-info/withdraw", data={"version": version, "reason": reason})


def test_the_case_page_offers_more_time_and_withdrawal_while_the_request_waits(client, app, asked, today):
    sign_in(client, OLGA)
    html = _page(client, asked)
    due = today + dt.timedelta(days=10)
    waiting = re.search(r'data-testid="waiting">([^<]*)<', html).group(1)
    assert f"The applicant has until {due:%B %-d, %Y} to answer." in waiting  # still said: nothing to decide yet
    assert "Give the applicant more time to answer" in html and "Withdraw the request for information" in html
    assert f"Now due by {due:%B %-d, %Y}. The new date must be later" in html
    assert 'data-most="500"' in html and "maxlength" not in html.split('id="act-withdraw"')[1].split("</form>")[0]

    later = today + dt.timedelta(days=45)
    response = _extend(client, asked, later)
    assert response.status_code == 302 and _due_on(app, asked) == later
    html = client.get(response.location).get_data(as_text=True)
    assert f"The applicant now has until {later:%B %-d, %Y} to answer. They were told." in html
    assert f"until {later:%B %-d, %Y} to answer" in re.search(r'data-testid="waiting">([^<]*)<', html).group(1)
    rows = html.split('data-testid="history"')[1]
    assert "Due date extended" in rows and f"Answer now due by {later:%B %-d, %Y}" in rows and OLGA in rows

    sign_in(client, TRAVELER)
    page = client.get(f"/applications/{asked}").get_data(as_text=True)
    assert f"Answer by {later:%B %-d, %Y}." in page
    assert "More time to answer for" in client.get("/notifications").get_data(as_text=True)


@pytest.mark.parametrize(
    ("days", "why"),
    [
        (-1, "The due date must be after today."),
        (0, "The due date must be after today."),
        (120, "The due date can be at most 90 days ahead"),
        (7, "The new due date must be later than the one the applicant has now"),
    ],
)
def test_a_due_date_past_or_earlier_is_refused_beside_the_field_and_kept(client, app, asked, today, days, why):
    sign_in(client, OLGA)
    asked_for = today + dt.timedelta(days=days)
    response = _extend(client, asked, asked_for.isoformat())
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    beside = html.split('id="due_on-error"')[1].split("</span>")[0]
    assert why in beside
    form = html.split('<div id="act-extend"')[1].split("</form>")[0]  # open, with the date typed still in it
    assert not form.startswith(' class="usa-accordion__content" hidden') and asked_for.isoformat() in form
    assert _due_on(app, asked) == today + dt.timedelta(days=10) and _status(app, asked) == "info_requested"


def test_withdrawing_on_the_case_page_returns_the_case_to_review_and_the_traveler_is_no_longer_asked(
    client, app, asked
):
    sign_in(client, OLGA)
    refused = _withdraw(client, asked, "   ")
    assert refused.status_code == 400
    assert "Say why the request is withdrawn." in refused.get_data(as_text=True).split('id="reason-error"')[1]
    assert _status(app, asked) == "info_requested"

    response = _withdraw(client, asked, "Found the record in the state court database.")
    assert response.status_code == 302 and _status(app, asked) == "officer_review"
    html = client.get(response.location).get_data(as_text=True)
    assert "Request withdrawn: the applicant was told they need not answer it. Status: Pending Review." in html
    box = html.split('data-testid="withdrawn">')[1].split("</p>")[0]
    assert OLGA in box and "Found the record in the state court database." in box
    rows = html.split('data-testid="history"')[1]
    assert "Request for information withdrawn" in rows and "Found the record in the state court database." in rows
    assert 'data-testid="conditionally_approve"' in html  # the officer decides again
    assert "Give the applicant more time" not in html

    sign_in(client, TRAVELER)
    page = client.get(f"/applications/{asked}").get_data(as_text=True)
    assert 'data-testid="info-request"' not in page and "Answer by" not in page
    assert "state court database" not in page  # the officer's reason is theirs
    notices = client.get("/notifications").get_data(as_text=True)
    assert f"Request for information on {asked} withdrawn" in notices and "state court database" not in notices
    late = client.post(f"/applications/{asked}/answer", data={"answer": "Here it is anyway."})
    assert late.status_code == 400 and "There is no request waiting for your answer." in late.get_data(as_text=True)


@pytest.mark.parametrize("change", ["extend", "withdraw"])
def test_a_change_sent_after_the_traveler_answered_is_refused_with_what_happened(client, app, asked, today, change):
    sign_in(client, OLGA)
    version = form_version(_page(client, asked))
    with app.app_context():
        application = _case(asked)
        decisions.answer_info_request(application, by=application.profile.account, answer="The record is attached.")
        db.session.commit()
    send = _extend if change == "extend" else _withdraw
    value = today + dt.timedelta(days=30) if change == "extend" else "No longer needed."
    stale = send(client, asked, value, version=version)  # the page from before the answer
    html = stale.get_data(as_text=True)
    assert stale.status_code == 409
    problem = re.search(r'data-testid="problem">([^<]*)<', html).group(1)
    assert "This case changed while you were looking at it." in problem
    assert "answered the request for information" in problem
    fresh = send(client, asked, value, version=_version(app, asked))  # an up-to-date version: the rule says why
    assert fresh.status_code == 400
    assert "The applicant already answered this request" in fresh.get_data(as_text=True)
    assert _status(app, asked) == "officer_review" and _due_on(app, asked) == today + dt.timedelta(days=10)


def _version(app, reference: str) -> str:
    with app.app_context():
        return str(_case(reference).version)


def test_a_second_press_lands_on_the_case_saying_it_was_already_done(client, app, asked, today):
    sign_in(client, OLGA)
    version = form_version(_page(client, asked))
    later = today + dt.timedelta(days=30)
    assert _extend(client, asked, later, version=version).status_code == 302
    again = _extend(client, asked, later, version=version)
    assert again.status_code == 302
    html = client.get(again.location).get_data(as_text=True)
    assert re.search(r"You already gave the applicant more time to answer at \d\d:\d\d UTC\. Nothing else", html)

    version = form_version(html)
    assert _withdraw(client, asked, "Not needed.", version=version).status_code == 302
    again = _withdraw(client, asked, "Not needed.", version=version)
    assert again.status_code == 302
    html = client.get(again.location).get_data(as_text=True)
    assert re.search(r"You already withdrew the request for information at \d\d:\d\d UTC\. Nothing else", html)
    with app.app_context():
        assert [e.reason_code for e in _case(asked).events].count(decisions.INFO_WITHDRAWN) == 1
        assert len(_notices("info_request_extended")) == 1 and len(_notices("info_request_withdrawn")) == 1


def test_a_supervisors_withdrawal_after_the_officers_page_was_made_is_named_with_the_typed_date_kept(
    client, app, asked, today
):
    with app.app_context():
        sam = create_account("sam.supervisor@example.com", roles=("supervisor",))
        sam.display_name = "Sam Supervisor"
        db.session.commit()
    sign_in(client, OLGA)
    version = form_version(_page(client, asked))
    sign_in(client, "sam.supervisor@example.com")
    assert _withdraw(client, asked, "Handled by phone.").status_code == 302
    sign_in(client, OLGA)
    later = today + dt.timedelta(days=30)
    response = _extend(client, asked, later, version=version)
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert re.search(r"Sam Supervisor withdrew the request for information at \d\d:\d\d UTC\.", html)
    assert later.isoformat() in html.split('data-testid="unsent"')[1]  # no longer offered: there to copy
    assert _due_on(app, asked) == today + dt.timedelta(days=10)


@pytest.mark.parametrize("email,roles", [(TRAVELER, ()), ("lead@example.com", ("program_lead",))])
def test_only_officers_may_change_a_request(client, app, asked, today, email, roles):
    with app.app_context():
        create_account(email, roles=roles)
        db.session.commit()
    version = _version(app, asked)
    sign_in(client, email)
    assert _extend(client, asked, today + dt.timedelta(days=30), version=version).status_code == 403
    assert _withdraw(client, asked, "No.", version=version).status_code == 403
    assert _status(app, asked) == "info_requested" and _due_on(app, asked) == today + dt.timedelta(days=10)


def test_another_officer_is_refused_on_a_case_assigned_to_olga(client, app, asked, today):
    with app.app_context():
        create_account("omar.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "omar.officer@example.com")
    html = _page(client, asked)
    assert "Give the applicant more time" not in html and "Withdraw the request for information" not in html
    response = _withdraw(client, asked, "Not needed.", version=_version(app, asked))
    assert response.status_code == 403 and "This case is assigned to" in response.get_data(as_text=True)
    assert _status(app, asked) == "info_requested"
