"""When the vetting agency does not answer: nothing is found either way, the case waits in vetting without an error,
and the worker asks again each minute until the agency answers, then routes the case as it would have at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.decisions import VETTING_RETRY_AFTER, retry_vetting
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import Status
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for


@pytest.fixture
def outage(app, monkeypatch):
    """The sandbox agency is down until the test calls the fixture's value."""
    monkeypatch.setitem(app.config, "VETTING_SANDBOX_OUTAGE", True)
    return lambda: monkeypatch.setitem(app.config, "VETTING_SANDBOX_OUTAGE", False)


def _later() -> dt.datetime:
    return utcnow() + VETTING_RETRY_AFTER + dt.timedelta(seconds=1)


def test_a_global_entry_case_submitted_while_the_agency_is_down_waits_then_is_routed(app_ctx, outage):
    application = create_application("global_entry", submitted=True)
    assert application.status == Status.IN_VETTING and application.vetting_results == []

    assert retry_vetting(_later()) == (0, 1)  # still down: it keeps waiting, untouched
    assert application.status == Status.IN_VETTING and application.vetting_results == []

    outage()
    assert retry_vetting(utcnow()) == (0, 0)  # not asked again before a minute has passed
    assert retry_vetting(_later()) == (1, 0)
    assert application.status == Status.CONDITIONALLY_APPROVED
    assert {r.outcome for r in application.vetting_results} == {"clear"}
    assert [(e.from_status, e.to_status) for e in application.events][-2:] == [
        ("submitted", "in_vetting"),
        ("in_vetting", "conditionally_approved"),
    ]


def test_a_hit_found_when_the_agency_answers_goes_to_an_officer(app_ctx, outage):
    profile = create_profile(surname="Hitman", dob=dt.date(1980, 1, 1))
    application = create_application("global_entry", profile=profile, submitted=True)
    outage()
    retry_vetting(_later())
    assert application.status == Status.OFFICER_REVIEW and application.priority >= 1
    assert [r.source for r in application.vetting_results if r.outcome == "hit"] == ["criminal_history"]


def test_precheck_waits_for_its_fingerprint_check_and_gets_its_number_when_the_agency_answers(app_ctx, outage):
    """On submission PreCheck stays "visit an enrollment center" (its check after the visit's fingerprints is the
    one that decides); after the visit it waits in vetting, and is approved once the agency answers."""
    application = create_application("precheck", submitted=True)
    assert application.status == Status.SUBMITTED and application.vetting_results == []
    casework.record_biometrics(application, by=create_officer())
    assert application.status == Status.IN_VETTING and memberships_for(application.profile_id) == []
    outage()
    assert retry_vetting(_later()) == (1, 0)
    assert application.status == Status.APPROVED
    (membership,) = memberships_for(application.profile_id)
    assert membership.ktn


def test_only_the_cases_the_agency_did_not_answer_for_are_asked_about_again(app_ctx, outage):
    """A case can wait in vetting for other reasons (a load-test copy's synthetic population holds many): the worker
    asks again about the cases marked when the agency did not answer, and no others."""
    marked = create_application("global_entry", submitted=True)
    outage()
    unmarked = create_application("global_entry", submitted=True)
    unmarked.status = Status.IN_VETTING.value  # waiting for the agency's answer, as a synthetic case is
    db.session.flush()
    assert retry_vetting(_later()) == (1, 0)
    assert marked.status == Status.CONDITIONALLY_APPROVED and marked.vetting_retry_since is None
    assert unmarked.status == Status.IN_VETTING


def test_a_case_that_fails_otherwise_is_set_aside_and_holds_up_no_other(app_ctx, outage, monkeypatch):
    """A bug or bad data in one case, not the agency being down: that case is logged and asked about again after
    the others, which are routed meanwhile."""
    from trusted_traveler.casework import decisions

    first = create_application("global_entry", submitted=True)
    second = create_application("global_entry", submitted=True)
    outage()
    check = decisions._check_with_provider

    def broken_for_the_first(application):
        if application.id == first.id:
            raise ValueError("bad data")
        return check(application)

    monkeypatch.setattr(decisions, "_check_with_provider", broken_for_the_first)
    later = _later()
    assert retry_vetting(later) == (1, 0)
    assert second.status == Status.CONDITIONALLY_APPROVED
    assert first.status == Status.IN_VETTING and first.vetting_retry_since == later and first.vetting_results == []


def test_the_traveler_sees_the_background_check_in_progress_and_no_error(app, client, outage):
    with app.app_context():
        profile = create_profile(create_account("waiting@example.com"))
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        db.session.commit()
    sign_in(client, "waiting@example.com")
    page = client.get(f"/applications/{reference}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-testid="status">Pending Review<' in html  # the label of now, not one of the timeline's
    with app.app_context():
        assert db.session.scalar(select(Application.status).where(Application.reference == reference)) == "in_vetting"
