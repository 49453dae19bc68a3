"""Publishing in two steps (rules.publication): the confirmation states what will be published, what it changes
against the version it replaces and how many pending applications would change outcome; publishing happens only
from it, and only while the version and the version it replaces are what it showed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring, publication

pytestmark = pytest.mark.usefixtures("app_ctx")


def day(n: int) -> dt.date:
    return service_today() + dt.timedelta(days=n)


@pytest.fixture
def leads():
    """Three program leads: A, B and C."""
    return tuple(create_account(f"pub.{name}@example.com", roles=("program_lead",)) for name in "abc")


def in_review(lead, *, starts: dt.date, until: dt.date | None = None, edit=lambda draft, lead: None):
    """A precheck version lead `lead` starts, changes (`edit`) and sends for review."""
    today = service_today()
    draft = authoring.start_draft(get_program("precheck"), by=lead, today=today)
    edit(draft, lead)
    authoring.submit_for_review(
        draft, by=lead, effective_from=starts, effective_until=until, note="Review", today=today
    )
    return draft


def remove_citizenship(draft, lead):
    authoring.remove_rule(draft, "precheck.citizenship", by=lead)


def published_events() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "rules.published")))


def test_the_confirmation_states_the_program_version_dates_changes_and_affected_applications(leads, today):
    a, _, c = leads
    for i, citizenship in enumerate(("GB", "GB", "US")):  # pending: two whom the removal makes eligible
        create_application(
            "precheck",
            submitted=True,
            judged_earlier=True,
            profile=create_profile(create_account(f"pending{i}@example.com"), citizenship=citizenship),
        )

    def edit(draft, lead):
        remove_citizenship(draft, lead)
        authoring.propose_parameter(draft, "fee_new", "80", by=lead, reference="Federal Register 2027-00001")

    version = in_review(a, starts=day(30), edit=edit)
    found = publication.confirmation(version, by=c, today=today)

    assert found.program.code == "precheck"
    assert found.published_as == f"precheck-{day(30).isoformat()}"
    assert (found.effective_from, found.effective_until, found.days_ahead) == (day(30), None, 30)
    assert found.replaced.label == found.in_force_today.label == "precheck-2026-11-01"
    assert found.replaces_on == day(30)
    assert "Rule precheck.citizenship is removed." in found.changes
    assert any("becomes 80.00 (now 78.00)" in line for line in found.changes)
    assert (found.impact.pending, found.impact.changed) == (3, 2)
    assert found.impact.directions == {("ineligible", "eligible"): 2}
    assert found.submitted_by == "pub.a@example.com" and found.refusal is None
    assert found.replaced_token == f"precheck-2026-11-01@{found.replaced.revision}"
    assert version.status == "in_review" and published_events() == []  # reading it publishes nothing
    db.session.rollback()


def test_a_version_after_a_future_one_is_compared_with_that_one_and_says_which_is_in_force_today(leads, today):
    a, b, c = leads
    sooner = in_review(a, starts=day(10), edit=remove_citizenship)
    authoring.approve_and_publish(sooner, by=c, today=today)
    later = in_review(a, starts=day(20))
    found = publication.confirmation(later, by=b, today=today)
    assert found.replaced.label == f"precheck-{day(10).isoformat()}" and found.replaces_on == day(20)
    assert found.in_force_today.label == "precheck-2026-11-01"
    assert found.changes == []  # the same as the version it replaces: the removal is the earlier version's
    db.session.rollback()


def test_the_confirmation_is_only_for_a_version_in_review_and_a_lead_who_may_approve_it(leads, today):
    a, _, c = leads
    draft = authoring.start_draft(get_program("precheck"), by=a, today=today)
    with pytest.raises(BusinessRuleViolation, match="Only a version in review can be published"):
        publication.confirmation(draft, by=c, today=today)
    authoring.submit_for_review(draft, by=a, effective_from=day(5), effective_until=None, note="x", today=today)
    with pytest.raises(BusinessRuleViolation, match="A second program lead must approve"):
        publication.confirmation(draft, by=a, today=today)
    db.session.rollback()


def test_a_version_whose_date_has_passed_is_shown_with_the_reason_it_cannot_be_published(leads, today):
    a, _, c = leads
    version = in_review(a, starts=day(3))
    found = publication.confirmation(version, by=c, today=day(4))  # three days later, it was still not approved
    assert "cannot be in the past" in found.refusal
    db.session.rollback()


def test_publishing_as_confirmed_publishes_with_its_audit_record(leads, today):
    a, _, c = leads
    version = in_review(a, starts=day(30), edit=remove_citizenship)
    found = publication.confirmation(version, by=c, today=today)
    publication.publish(
        version, by=c, today=today, seen_revision=str(version.revision), seen_replaced=found.replaced_token
    )
    assert version.status == "published" and version.label == found.published_as
    [event] = published_events()
    assert (event.object_id, event.actor_id, event.details) == (
        found.published_as,
        c.id,
        {"effective_from": day(30).isoformat()},
    )
    db.session.rollback()


def test_nothing_is_published_without_the_confirmation(leads, today):
    a, _, c = leads
    version = in_review(a, starts=day(30))
    for seen in (None, "", "  "):
        with pytest.raises(publication.NotConfirmed, match="check what will be published"):
            publication.publish(version, by=c, today=today, seen_revision=str(version.revision), seen_replaced=seen)
    assert version.status == "in_review" and published_events() == []
    db.session.rollback()


def test_a_confirmation_older_than_the_version_publishes_nothing(leads, today):
    """The page showed revision N; the author sent it back, changed it and sent it again."""
    a, _, c = leads
    version = in_review(a, starts=day(30))
    seen = publication.confirmation(version, by=c, today=today)
    seen_revision = str(version.revision)
    authoring.return_to_draft(version, by=a, note="one more change")
    remove_citizenship(version, a)
    authoring.submit_for_review(version, by=a, effective_from=day(30), effective_until=None, note="x", today=today)

    with pytest.raises(authoring.StaleVersion, match="pub.a@example.com changed this version at"):
        publication.publish(version, by=c, today=today, seen_revision=seen_revision, seen_replaced=seen.replaced_token)
    assert version.status == "in_review" and published_events() == []
    db.session.rollback()


def test_a_confirmation_that_compared_with_a_version_since_retired_publishes_nothing(leads, today):
    """Day 10's version is published; a change from day 20 is confirmed against it; day 10's is then retired, so
    the change would replace today's version, not the one the page compared it with."""
    a, b, c = leads
    sooner = in_review(a, starts=day(10), edit=remove_citizenship)
    authoring.approve_and_publish(sooner, by=c, today=today)
    later = in_review(a, starts=day(20))
    seen = publication.confirmation(later, by=b, today=today)
    assert seen.replaced.id == sooner.id
    authoring.retire(sooner, by=c, note="Withdrawn", today=today)

    with pytest.raises(publication.ReplacedChanged) as refused:
        publication.publish(
            later, by=b, today=today, seen_revision=str(later.revision), seen_replaced=seen.replaced_token
        )
    assert refused.value.message.startswith(
        f"The version this one replaces on {day(20).isoformat()} changed after your page was loaded: it is now "
        "precheck-2026-11-01."
    )
    assert "Nothing was done" in refused.value.message
    assert later.status == "in_review"
    assert [e.object_id for e in published_events()] == [sooner.label]  # only the earlier one's
    db.session.rollback()


def test_the_two_person_rule_and_the_dates_still_hold_when_confirmed(leads, today):
    a, _, c = leads
    version = in_review(a, starts=day(30))
    token = publication.replaced_token(authoring.replaced_version(version, today=today)[0])
    with pytest.raises(BusinessRuleViolation, match="A second program lead must approve"):
        publication.publish(version, by=a, today=today, seen_revision=str(version.revision), seen_replaced=token)
    with pytest.raises(BusinessRuleViolation, match="cannot be in the past"):
        publication.publish(version, by=c, today=day(31), seen_revision=str(version.revision), seen_replaced=token)
    assert version.status == "in_review"
    db.session.rollback()
