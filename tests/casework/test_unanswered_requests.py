"""A case waiting on an answer to a request for information (MODEL.md): it can be decided without the answer only
once the answer is overdue (Global Entry: denied; PreCheck: a preliminary determination), the decision cites the
missing answer, and the request is closed so nobody is shown it as still waiting."""

import datetime as dt

import pytest

from tests.factories import create_application, create_officer, create_profile
from trusted_traveler.casework import decisions
from trusted_traveler.casework.queues import QueueFilters, list_queue
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation

pytestmark = pytest.mark.usefixtures("app_ctx")


def _waiting_on_an_answer(program: str):
    """A case with a vetting hit, its officer, and the request for information sent to the traveler."""
    today = service_today()
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application(program, profile=profile, submitted=True)
    officer = create_officer()
    request = decisions.request_info(
        application, by=officer, message="Send the court record.", due_on=today + dt.timedelta(days=30), today=today
    )
    return application, officer, request


# while a request waits, unanswered, the officer may give more time or withdraw it, and decide nothing yet
REQUEST_ACTIONS = ["extend_request", "withdraw_request"]


def test_precheck_sends_a_preliminary_determination_once_the_answer_is_overdue_and_closes_the_request(today):
    application, officer, request = _waiting_on_an_answer("precheck")
    assert decisions.available_actions(application, officer) == REQUEST_ACTIONS
    with pytest.raises(BusinessRuleViolation, match="has until .* to answer"):
        decisions.preliminary_ineligible(application, by=officer, reason_codes=["no_response"])

    request.due_on = today - dt.timedelta(days=1)  # the due date has passed
    assert decisions.available_actions(application, officer) == [*REQUEST_ACTIONS, "preliminary_ineligible"]
    letter = decisions.preliminary_ineligible(application, by=officer, reason_codes=["no_response"])
    assert application.status == Status.PRELIMINARY_INELIGIBLE
    assert letter.reason_codes == ["no_response"] and application.events[-1].reason_code == "no_response"
    assert request.answered_at is not None and request.answer is None  # closed, not answered
    assert decisions.open_info_request(application) is None
    # Still waiting on the traveler (60 days to respond), but no longer on an overdue answer.
    overdue = list_queue("awaiting_applicant", officer=officer, filters=QueueFilters(overdue_only=True), today=today)
    waiting = list_queue("awaiting_applicant", officer=officer, filters=QueueFilters(), today=today)
    assert [r.reference for r in overdue.rows] == []
    assert [(r.reference, r.overdue_since) for r in waiting.rows] == [(application.reference, None)]


def test_global_entry_cannot_be_denied_while_the_answer_is_not_yet_due(today):
    application, officer, request = _waiting_on_an_answer("global_entry")
    assert decisions.available_actions(application, officer) == REQUEST_ACTIONS
    with pytest.raises(BusinessRuleViolation, match="has until .* to answer"):
        decisions.deny(application, by=officer, reason_codes=["not_low_risk"])
    assert application.status == Status.INFO_REQUESTED

    request.due_on = today  # due today: the traveler still has today
    with pytest.raises(BusinessRuleViolation, match="has until"):
        decisions.deny(application, by=officer, reason_codes=["not_low_risk"])


def test_global_entry_denied_after_the_due_date_cites_the_missing_answer_and_closes_the_request(today):
    application, officer, request = _waiting_on_an_answer("global_entry")
    request.due_on = today - dt.timedelta(days=1)
    assert decisions.available_actions(application, officer) == [*REQUEST_ACTIONS, "deny"]
    letter = decisions.deny(application, by=officer, reason_codes=["not_low_risk"])
    assert application.status == Status.DENIED
    assert letter.reason_codes == ["not_low_risk", "no_response"]
    assert decisions.open_info_request(application) is None and not request.is_overdue(today)
    with pytest.raises(BusinessRuleViolation, match="no request waiting"):
        decisions.answer_info_request(application, by=application.profile.account, answer="Too late.")
