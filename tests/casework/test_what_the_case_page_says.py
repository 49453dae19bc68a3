"""What the officer's case page says, so nobody mistakes one thing for another: an approval after a check that found
only hits an officer already reviewed is said to be that, not "all clear"; vetting results are shown check by check
with what ran each and who reviewed each hit; the form that records a visit says what happens next; the history shows
who held the case and when; every note says its limit as it is typed; and due dates are asked for one way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, form_version, sign_in
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import assignment, decisions, history
from trusted_traveler.casework.decisions import VETTING_RETRY_AFTER, retry_vetting
from trusted_traveler.casework.models import Application, VettingResult
from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db

OLGA = "olga.officer@example.com"
BOB = "bob.officer@example.com"
BOSS = "sam.supervisor@example.com"


def _account(email: str, *roles: str) -> Account:
    return db.session.scalar(select(Account).where(Account.email == email)) or create_account(email, roles=roles)


def _precheck_hit_cleared_then_visited(app) -> str:
    """A PreCheck case whose check on submission found a criminal-history hit, which Olga reviewed and cleared to
    enroll; then she recorded the enrollment visit, whose check found the same hit again. Its reference."""
    with app.app_context():
        olga = _account(OLGA, "officer")
        profile = create_profile(create_account("hit.precheck@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        application = create_application("precheck", profile=profile, submitted=True)
        assert application.status == Status.OFFICER_REVIEW
        decisions.clear_to_enroll(application, by=olga, note="Old conviction, not disqualifying.")
        decisions.record_interview(application, by=olga, documents_verified=True, biometrics_captured=True)
        db.session.commit()
        return application.reference


def _case_page(client, reference: str) -> str:
    response = client.get(f"/officer/cases/{reference}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _application(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _text(html: str) -> str:
    """The page's words, tags and runs of spaces removed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


# --- 1a. the approval's reason -------------------------------------------------------------------------------


def test_an_approval_after_a_check_that_found_only_the_reviewed_hit_says_so_and_never_all_clear(app):
    reference = _precheck_hit_cleared_then_visited(app)
    with app.app_context():
        application = _application(reference)
        # who gets approved is unchanged: the same hit, already cleared, does not stop the approval
        assert application.status == Status.APPROVED
        approval = application.events[-1]
        assert (approval.to_status, approval.actor_id) == ("approved", None)
        assert approval.reason_code == decisions.VETTING_REVIEWED_HITS_ONLY
        assert history.reason_label(approval.reason_code) == "Vetting found only hits an officer already reviewed"
        assert "vetting_clear" not in [e.reason_code for e in application.events]


def test_a_visit_whose_check_finds_nothing_is_approved_as_all_clear(app_ctx):
    officer = _account(OLGA, "officer")
    application = create_application("precheck", submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    assert application.status == Status.APPROVED
    assert application.events[-1].reason_code == "vetting_clear"
    assert history.reason_label("vetting_clear") == "Vetting all clear"


# --- 1b. vetting, check by check ------------------------------------------------------------------------------


def test_the_case_page_shows_each_check_with_what_ran_it_and_who_reviewed_the_hit(client, app):
    reference = _precheck_hit_cleared_then_visited(app)
    sign_in(client, OLGA)
    html = _case_page(client, reference)
    captions = [_text(c) for c in re.findall(r'data-testid="vetting-run-caption">(.*?)</caption>', html, re.S)]
    assert len(captions) == 2
    assert captions[0].startswith("Check 1: On submission,") and captions[0].endswith("1 hit")
    assert captions[1].startswith("Check 2: After the enrollment visit (fingerprints),")
    assert captions[1].endswith("1 hit, all already reviewed")
    reviews = [_text(r) for r in re.findall(r'data-testid="hit-review">(.*?)</td>', html, re.S)]
    hit_reviews = [r for r in reviews if "olga.officer@example.com" in r]
    assert len(hit_reviews) == 2  # the hit on submission and the same hit found again
    assert hit_reviews[0].startswith("Cleared to enroll by olga.officer@example.com, ")
    assert hit_reviews[1].startswith("already reviewed Cleared to enroll by olga.officer@example.com, ")
    # and the history says why the system approved
    assert "Vetting found only hits an officer already reviewed" in html
    assert "Vetting all clear" not in html


def test_each_check_keeps_its_results_together_and_says_what_ran_it(app_ctx):
    officer = _account(OLGA, "officer")
    application = create_application("precheck", submitted=True)
    decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
    runs = history.vetting_runs(application)
    assert [run.trigger for run in runs] == ["submission", "enrollment_visit"]
    assert [len(run.results) for run in runs] == [3, 3]  # one result a source, each check
    for run in runs:
        assert {r.checked_at for r, _ in run.results} == {run.results[0][0].checked_at}


def test_a_check_the_worker_asked_again_for_says_so(app, app_ctx, monkeypatch):
    monkeypatch.setitem(app.config, "VETTING_SANDBOX_OUTAGE", True)
    application = create_application("global_entry", submitted=True)
    assert application.vetting_results == []
    monkeypatch.setitem(app.config, "VETTING_SANDBOX_OUTAGE", False)
    assert retry_vetting(utcnow() + VETTING_RETRY_AFTER + dt.timedelta(seconds=1)) == (1, 0)
    (run,) = history.vetting_runs(application)
    assert run.trigger == "retry" and run.trigger_label == "Asked again: the agency had not answered"


def test_results_stored_before_checks_were_marked_still_show_as_one_check(app_ctx):
    application = create_application("precheck", submitted=True)
    for result in application.vetting_results:
        result.trigger = None
    (run,) = history.vetting_runs(application)
    assert run.trigger_label == "What ran it was not recorded" and len(run.results) == 3


# --- 1c. what recording the visit or the interview does --------------------------------------------------------


def test_the_enrollment_visit_form_says_recording_it_may_approve_the_application(client, app):
    with app.app_context():
        _account(OLGA, "officer")
        reference = create_application("precheck", submitted=True).reference
        db.session.commit()
    sign_in(client, OLGA)
    text = _text(_case_page(client, reference))
    assert "recording the visit runs the final background check" in text
    assert "the application is approved and the Known Traveler Number issued at once" in text
    assert "Record the visit and run the final check" in text


def test_the_interview_form_says_recording_it_does_not_approve(client, app):
    with app.app_context():
        _account(OLGA, "officer")
        application = create_application("global_entry", submitted=True)
        assert application.status == Status.CONDITIONALLY_APPROVED  # Enrollment on Arrival: the form is offered
        db.session.commit()
        reference = application.reference
    sign_in(client, OLGA)
    text = _text(_case_page(client, reference))
    assert "recording the interview does not approve the application" in text
    assert "Known Traveler Number issued at once" not in text


# --- 2. who held the case, in the history ----------------------------------------------------------------------


def _history_rows(html: str) -> list[str]:
    table = html.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    return [_text(row) for row in re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)][1:]  # without the header


def test_the_history_shows_every_assignment_in_time_order_with_the_status_events(client, app, case):
    with app.app_context():
        _account(BOB, "officer")
        _account(BOSS, "supervisor")
        db.session.commit()
        bob, case_id = _account(BOB).id, _application(case).id
        olga_id = _account(OLGA).id

    sign_in(client, OLGA)  # assign to me
    version = form_version(_case_page(client, case))
    assert client.post(f"/officer/cases/{case}/claim", data={"version": version}).status_code == 302
    sign_in(client, BOSS)  # a supervisor's reassignment
    version = form_version(_case_page(client, case))
    response = client.post(f"/officer/cases/{case}/reassign", data={"version": version, "officer_id": str(bob)})
    assert response.status_code == 302
    response = client.post(  # a bulk move from a queue
        "/officer/assign", data={"application_ids": [str(case_id)], "officer_id": str(olga_id), "queue": "officer"}
    )
    assert response.status_code == 302
    sign_in(client, OLGA)  # and a decision after them
    version = form_version(_case_page(client, case))
    response = client.post(f"/officer/cases/{case}/decide/conditionally_approve", data={"version": version})
    assert response.status_code == 302

    rows = _history_rows(_case_page(client, case))
    moves = [row for row in rows if row.split(" UTC ", 1)[1].startswith("assignment")]
    assert [row.split(" UTC ", 1)[1] for row in moves] == [
        f"assignment nobody → {OLGA} {OLGA} Assigned to themselves",
        f"assignment {OLGA} → {BOB} {BOSS} Reassigned",
        f"assignment {BOB} → {OLGA} {BOSS} Bulk assignment from a queue",
    ]
    # in time order: after the vetting that sent the case to review, before the conditional approval
    assert "Vetting found a possible match" in rows[rows.index(moves[0]) - 1]
    assert rows.index(moves[2]) < next(i for i, row in enumerate(rows) if "Hits reviewed, not disqualifying" in row)


def test_an_officer_who_acts_on_an_unassigned_case_is_shown_taking_it(app_ctx):
    olga = _account(OLGA, "officer")
    profile = create_profile(create_account("hit.ge@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("global_entry", profile=profile, submitted=True)
    decisions.conditionally_approve(application, by=olga)
    db.session.flush()
    taken = [h for h in history.case_history(application) if h.is_assignment]
    assert [(h.what, h.actor_label, h.reason) for h in taken] == [
        (f"nobody → {OLGA}", OLGA, "Took the case by acting on it")
    ]


def test_a_release_is_in_the_history_with_whom_it_left(app_ctx, case):
    olga = _account(OLGA)
    application = _application(case)
    assignment.assign(application, olga, by=olga)
    assignment.release(application, by=olga)
    moves = [(h.what, h.reason) for h in history.case_history(application) if h.is_assignment]
    assert moves[-1] == (f"{OLGA} → nobody", "Released to the unassigned queue")


# --- 3. every note's limit, counted as it is typed; every form's errors summed up --------------------------------


@pytest.mark.parametrize("key", ["conditionally_approve", "deny", "request_info"])
def test_every_officer_text_area_says_its_limit_and_is_counted_live(client, case, key):
    sign_in(client, OLGA)
    html = _case_page(client, case)
    field = {"conditionally_approve": "note-conditionally_approve", "deny": "deny-note", "request_info": "message"}[key]
    most = {"request_info": "3000"}.get(key, "2000")
    area = re.search(rf'<textarea[^>]*id="{field}"[^>]*>', html).group(0)
    assert f'data-most="{most}"' in area and f"{field}-count" in area
    assert re.search(rf'id="{field}-count">You can enter up to [\d,]+ characters\.', html)


def test_a_conditional_approval_note_over_its_limit_is_summed_up_at_the_top_and_kept(client, case):
    sign_in(client, OLGA)
    version = form_version(_case_page(client, case))
    note = "Reviewed the 2019 record. " * 80  # over 2,000 characters
    response = client.post(
        f"/officer/cases/{case}/decide/conditionally_approve", data={"version": version, "note": note}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<title>Error: " in html
    summary = html.split("data-error-summary", 1)[1].split("</ul>", 1)[0]
    assert 'href="#note-conditionally_approve"' in summary and "Shorten this to 2,000 characters or fewer" in summary
    assert note.strip() in html  # what was typed, shown again whole
    with client.application.app_context():
        assert _application(case).status == Status.OFFICER_REVIEW


def test_a_reassignment_without_an_officer_is_summed_up_at_the_top(client, app, case):
    with app.app_context():
        _account(BOSS, "supervisor")
        db.session.commit()
    sign_in(client, BOSS)
    version = form_version(_case_page(client, case))
    response = client.post(f"/officer/cases/{case}/reassign", data={"version": version, "officer_id": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.split("data-error-summary", 1)[1].split("</ul>", 1)[0]
    assert "Choose an officer." in summary


# --- 4. due dates asked for one way --------------------------------------------------------------------------------


def test_the_due_date_hints_and_messages_give_the_one_example_the_date_control_shows(client, case, app, today):
    sign_in(client, OLGA)
    html = _case_page(client, case)
    assert re.search(r'id="due_on-hint">.*For example, 04/12/2024', html)
    version = form_version(html)
    empty = client.post(f"/officer/cases/{case}/request-info", data={"version": version, "message": "x", "due_on": ""})
    assert "Enter the date the answer is due, like 04/12/2024." in empty.get_data(as_text=True)
    unreadable = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": "x", "due_on": "soon"}
    )
    assert "Enter a real date, with a 4-digit year, like 04/12/2024." in unreadable.get_data(as_text=True)

    due_on = (today + dt.timedelta(days=10)).isoformat()
    client.post(f"/officer/cases/{case}/request-info", data={"version": version, "message": "x", "due_on": due_on})
    html = _case_page(client, case)
    assert re.search(r'id="due_on-hint">Now due by .*For example, 04/12/2024', html)
    response = client.post(
        f"/officer/cases/{case}/request-info/extend", data={"version": form_version(html), "due_on": ""}
    )
    assert "Enter the new date the answer is due, like 04/12/2024." in response.get_data(as_text=True)
    for page in (html, response.get_data(as_text=True)):
        assert "2027-01-15" not in page and "Not a valid date value" not in page


def test_vetting_results_of_one_check_share_their_time(app_ctx):
    application = create_application("global_entry", submitted=True)
    times = db.session.scalars(
        select(VettingResult.checked_at)
        .where(VettingResult.application_id == application.id)
        .order_by(VettingResult.id)
    ).all()
    assert len(times) == 3 and len(set(times)) == 1
