"""A traveler deletes their account while nothing of theirs has been sent: everything about them goes (every table,
PostgreSQL's foreign keys included), they are signed out everywhere, and the audit log says an account was deleted
without saying whose. Anything sent, paid, issued or done as staff keeps the account, and the page says why."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from tests.factories import (
    create_account,
    create_application,
    create_hit_case,
    create_profile,
    sign_in,
    survey_invitation,
)
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import FeedbackResponse, SurveyOffer
from trusted_traveler.feedback.service import questions_for, record_response
from trusted_traveler.notifications.models import OutboxMessage
from trusted_traveler.notifications.service import notify
from trusted_traveler.privacy import deletion
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

EMAIL = "quinn.leaving@example.com"
# What only this traveler typed: none of it may be left anywhere once the account is deleted.
MARKERS = (EMAIL, "Quesadillo", "Quinnevere", "Quahogton", "77 Deletion Lane")


def _leaving_traveler() -> dict:
    """Quinn: a complete profile (names, documents, histories, travel, disclosures), a draft, a draft closed before it
    was sent, a survey answer linked to the draft and an offer on it, a notification and its e-mail, and a minor who
    linked Quinn as their parent. Beside them, someone else with a sent application, who must lose nothing."""
    account = create_account(EMAIL)
    profile = create_profile(account, surname="Quesadillo", given_names="Quinnevere", dob=dt.date(1979, 3, 9))
    profiles.save_step(profile, "birth", by=account, fields={"birth_city": "Quahogton"})
    address = {"from_month": dt.date(2019, 1, 1), "to_month": None, "line1": "77 Deletion Lane", "line2": None,
               "city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"}  # fmt: skip
    profiles.save_step(profile, "addresses", by=account, collections={"addresses": [address]})
    profiles.save_step(
        profile, "names", by=account, collections={"other_names": [{"surname": "Quesadillo", "kind": "maiden"}]}
    )
    draft = create_application("precheck", profile=profile)
    closed = create_application("global_entry", profile=profile)
    casework.withdraw(closed, by=account)
    scores = {key: 5 for key, _text in questions_for("submission")}
    invitation = survey_invitation("submission", draft)  # the draft's survey offer
    record_response(
        "submission", invitation=invitation, scores=scores, free_text="Easy.", application=draft, anonymous=False
    )
    notify(account, kind="test", title="Hello Quinnevere", body="A message for Quinnevere Quesadillo.")

    minor_account = create_account("kid.of.quinn@example.com")
    minor = create_profile(
        minor_account, surname="Quesadilla", given_names="Kid", dob=service_today().replace(year=2014)
    )
    profiles.save_guardian(
        minor,
        by=minor_account,
        fields={
            "guardian_given_names": "Pat",
            "guardian_surname": "Parent",
            "guardian_relationship": "parent",
            "guardian_email": "kid.parent@example.com",
            "guardian_reference": draft.reference,
            "guardian_profile_id": profile.id,
        },
        today=service_today(),
    )
    other = create_application("precheck", profile=create_profile(create_account("stays@example.com")), submitted=True)
    db.session.commit()
    return {
        "account_id": account.id,
        "profile_id": profile.id,
        "drafts": [draft.reference, closed.reference],
        "draft_ids": [draft.id, closed.id],
        "minor_profile_id": minor.id,
        "other": other.reference,
    }


@pytest.fixture
def quinn(app):
    with app.app_context():
        return _leaving_traveler()


def _rows_naming(account_id: int, profile_id: int, draft_ids: list[int]) -> dict[str, int]:
    """Rows of every table that reference the account, its profile or its drafts by a foreign key (read from the
    schema, so a table added later is counted too), by table and column."""
    targets = {"accounts": [account_id], "applicant_profiles": [profile_id], "applications": draft_ids}
    found = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            ids = targets.get(fk.column.table.name)
            if ids:
                count = db.session.scalar(select(func.count()).select_from(table).where(fk.parent.in_(ids)))
                if count:
                    found[f"{table.name}.{fk.parent.name}"] = count
    return found


def _tables_holding(markers) -> dict[str, list[str]]:
    """Every table whose rows hold any of `markers` in any column (as text), with the markers found."""
    found = {}
    for table in db.metadata.sorted_tables:
        text_of_rows = " ".join(str(tuple(row)) for row in db.session.execute(select(table)))
        hits = [m for m in markers if m in text_of_rows]
        if hits:
            found[table.name] = hits
    return found


def test_a_traveler_who_sent_nothing_deletes_their_account_and_nothing_about_them_is_left(app, client, quinn):
    sign_in(client, EMAIL)
    assert client.get("/privacy/my-data.json").status_code == 200  # an audit event of theirs, acted by them
    with app.app_context():
        naming = _rows_naming(quinn["account_id"], quinn["profile_id"], quinn["draft_ids"])
        assert {"notifications.account_id", "outbox_messages.account_id", "status_events.application_id",
                "survey_offers.application_id", "feedback_responses.application_id",
                "applicant_profiles.guardian_profile_id", "address_periods.profile_id"} <= set(naming)  # fmt: skip

    page = client.get("/privacy").get_data(as_text=True)
    assert 'data-testid="delete-account"' in page
    confirm = client.get("/privacy/delete-account").get_data(as_text=True)
    what_goes = confirm.split('data-testid="what-goes"')[1].split("</ul>")[0]
    assert EMAIL in what_goes and all(reference in what_goes for reference in quinn["drafts"])
    assert 'name="confirm" value="delete-my-account"' in confirm

    response = client.post("/privacy/delete-account", data={"confirm": "delete-my-account"})
    assert response.status_code == 302 and response.headers["Location"] == "/privacy/account-deleted"
    done = client.get("/privacy/account-deleted").get_data(as_text=True)
    assert "Your account is deleted" in done and "Login.gov account is separate" in done
    assert 'data-testid="signed-in-as"' not in done  # signed out
    assert client.get("/dashboard").headers["Location"].startswith("/auth/sign-in")

    with app.app_context():
        assert db.session.get(Account, quinn["account_id"]) is None
        assert db.session.get(ApplicantProfile, quinn["profile_id"]) is None
        assert _rows_naming(quinn["account_id"], quinn["profile_id"], quinn["draft_ids"]) == {}
        assert _tables_holding(MARKERS) == {}
        assert not db.session.scalars(select(Application).where(Application.reference.in_(quinn["drafts"]))).all()
        # someone else's records are untouched; the minor keeps what they typed, without the link to a deleted profile
        assert db.session.scalar(select(Application).where(Application.reference == quinn["other"])) is not None
        minor = db.session.get(ApplicantProfile, quinn["minor_profile_id"])
        assert minor.guardian_profile_id is None and minor.guardian_surname == "Parent"
        (answer,) = db.session.scalars(select(FeedbackResponse)).all()
        assert answer.application_id is None and answer.free_text == "Easy."  # anonymous now, the answers kept
        assert db.session.scalar(select(func.count()).select_from(SurveyOffer)) == 0

        # the audit log: that account number N was deleted by itself, what went in counts, and nothing about whom
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")).all()
        assert event.object_type == "account" and event.object_id == str(quinn["account_id"])
        assert event.actor_id == quinn["account_id"]
        assert event.details == {"profile": True, "drafts": 2, "notifications": 1, "messages": 1, "guardian_links": 1}
        unlinked = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile.guardian_unlinked")).one()
        assert unlinked.object_id == str(quinn["minor_profile_id"]) and unlinked.actor_id is None
        # earlier events by the account (its export, its profile's changes) stay, naming it by number only
        assert db.session.scalar(
            select(func.count()).where(AuditEvent.actor_id == quinn["account_id"], AuditEvent.action != event.action)
        )


def test_the_minors_notice_to_their_parent_goes_with_the_minors_account(app, client):
    """The e-mail a minor's parent is sent names the minor: a copy of it is about the minor, and goes with them."""
    with app.app_context():
        account = create_account("young.leaver@example.com")
        profile = create_profile(account, surname="Youngleaver", dob=service_today().replace(year=2012))
        fields = {
            "guardian_given_names": "Pat",
            "guardian_surname": "Youngleaver",
            "guardian_relationship": "mother",
            "guardian_email": "mum@example.com",
            "guardian_reference": None,
            "guardian_profile_id": None,
        }
        profiles.save_guardian(profile, by=account, fields=fields, today=service_today())
        db.session.commit()
        notice = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "mum@example.com")).one()
        assert notice.account_id == account.id and "Youngleaver" in notice.payload["body"]
    sign_in(client, "young.leaver@example.com")
    assert client.post("/privacy/delete-account", data={"confirm": "delete-my-account"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        assert _tables_holding(("Youngleaver", "young.leaver@example.com")) == {}


def test_a_new_traveler_with_no_profile_deletes_their_account(app, client):
    sign_in(client, "just.looking@example.com")
    confirm = client.get("/privacy/delete-account").get_data(as_text=True)
    assert "your profile:" not in confirm and "just.looking@example.com" in confirm
    assert client.post("/privacy/delete-account", data={"confirm": "delete-my-account"}).status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == "just.looking@example.com")) is None
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")).one()
        assert event.details["profile"] is False and event.details["drafts"] == 0


def _submitted(email):
    create_application("global_entry", profile=create_profile(create_account(email)), submitted=True)


def _member(email):
    from trusted_traveler.memberships.service import issue_membership

    application = create_application("precheck", profile=create_profile(create_account(email)), submitted=True)
    issue_membership(application, today=service_today())


def _paid_draft(email):
    assert create_application("precheck", profile=create_profile(create_account(email)), paid=True).status == "draft"


def _officer(email):
    create_account(email, roles=("officer",))


@pytest.mark.parametrize(
    ("make", "reason", "words"),
    [
        (_submitted, "sent", "The records-retention rules say we must keep it"),
        (_member, "membership", "You have a Known Traveler Number"),
        (_paid_draft, "payment", "You started a payment with us"),
        (_officer, "staff", "Your account has a staff role"),
    ],
)
def test_an_account_with_anything_sent_paid_issued_or_staff_is_kept_and_the_page_says_why(
    app, client, make, reason, words
):
    email = f"keeps.{reason}@example.com"
    with app.app_context():
        make(email)
        db.session.commit()
    sign_in(client, email)
    for path in ("/privacy", "/privacy/delete-account"):
        page = client.get(path).get_data(as_text=True)
        assert f'data-reason="{reason}"' in page and words in page, path
        assert 'data-testid="delete-account"' not in page and "delete-account-form" not in page  # no button
        assert "What you can do instead" in page
    refused = client.post("/privacy/delete-account", data={"confirm": "delete-my-account"})
    assert refused.status_code == 409 and f'data-reason="{reason}"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == email)) is not None
        assert not db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.account_deleted")).all()
    assert client.get("/dashboard").status_code == 200  # still signed in


def test_a_former_officer_whose_work_is_on_record_is_refused_at_the_button_not_half_deleted(app, client):
    """No role now, but requests for information they sent on someone's case name them: the deletion is refused
    with the reason, before anything is deleted (PostgreSQL would refuse it half-way, SQLite would leave rows naming
    nobody)."""
    from trusted_traveler.auth import service as accounts
    from trusted_traveler.casework import decisions

    with app.app_context():
        reference = create_hit_case(officer_email="former.officer@example.com")
        officer = db.session.scalar(select(Account).where(Account.email == "former.officer@example.com"))
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        decisions.request_info(
            application, by=officer, message="Send the record.", due_on=service_today() + dt.timedelta(days=9),
            today=service_today(),
        )  # fmt: skip
        accounts.revoke_role(officer, "officer", by=None)
        db.session.commit()
    sign_in(client, "former.officer@example.com")
    refused = client.post("/privacy/delete-account", data={"confirm": "delete-my-account"})
    assert refused.status_code == 409
    assert 'data-reason="other_records"' in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == "former.officer@example.com")) is not None
        account = db.session.scalar(select(Account).where(Account.email == "former.officer@example.com"))
        assert "info_requests.requested_by_id" in deletion.other_records(account, deletion.account_deletion(account))


def test_only_the_button_deletes(app, client):
    """A post without the button's value (another form, a replayed request) deletes nothing and says so."""
    sign_in(client, "careful@example.com")
    response = client.post("/privacy/delete-account", data={})
    assert response.status_code == 400
    assert "Your account is not deleted" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == "careful@example.com")) is not None


@pytest.mark.csrf
def test_deleting_the_account_needs_the_forms_csrf_token(app, client):
    page = client.get("/auth/dev").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/dev", data={"email": "forged@example.com", "csrf_token": token})
    assert client.post("/privacy/delete-account", data={"confirm": "delete-my-account"}).status_code == 400
    confirm = client.get("/privacy/delete-account").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', confirm).group(1)
    done = client.post("/privacy/delete-account", data={"confirm": "delete-my-account", "csrf_token": token})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Account).where(Account.email == "forged@example.com")) is None


def test_every_other_session_of_the_deleted_account_is_signed_out_even_when_its_number_comes_back(app, client):
    """A second browser signed in as the account finds no account. SQLite gives the deleted account's number to the
    next account made: that browser's session is still not the new account's."""
    other_browser = app.test_client()
    sign_in(client, "two.browsers@example.com")
    sign_in(other_browser, "two.browsers@example.com")
    with app.app_context():
        old_id = db.session.scalar(select(Account.id).where(Account.email == "two.browsers@example.com"))
    assert client.post("/privacy/delete-account", data={"confirm": "delete-my-account"}).status_code == 302
    for newcomer_made in (False, True):
        if newcomer_made:
            with app.app_context():
                newcomer = create_account("newcomer@example.com")
                create_profile(newcomer, surname="Newcomer")
                db.session.commit()
                assert newcomer.id == old_id or db.session.get_bind().dialect.name != "sqlite"  # the number is back
        # a context of its own, as each request has in service: the test client's requests share the one left
        # active, with the person it last loaded (here: nobody, since the first browser signed out)
        with app.app_context():
            response = other_browser.get("/dashboard")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/sign-in")
        with app.app_context():
            assert "newcomer@example.com" not in other_browser.get("/privacy").get_data(as_text=True)


def test_the_page_that_says_it_is_done_is_only_for_whoever_just_deleted_their_account(client):
    response = client.get("/privacy/account-deleted")
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_the_done_page_is_in_the_language_the_traveler_was_reading(app, client):
    client.get("/language/es")
    sign_in(client, "leaving.es@example.com")
    client.post("/privacy/delete-account", data={"confirm": "delete-my-account"})
    done = client.get("/privacy/account-deleted").get_data(as_text=True)
    assert '<html lang="es">' in done and "Su cuenta está eliminada" in done


def test_the_audit_log_names_a_deleted_actor_by_number(app, client):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
    sign_in(client, "gone.soon@example.com")
    with app.app_context():
        gone = db.session.scalar(select(Account.id).where(Account.email == "gone.soon@example.com"))
    client.post("/privacy/delete-account", data={"confirm": "delete-my-account"})
    sign_in(client, "sue.supervisor@example.com")
    page = client.get("/admin/audit?action=privacy.account_deleted").get_data(as_text=True)
    assert f"deleted account {gone}" in page and "gone.soon" not in page
    csv = client.get("/admin/audit/export.csv?action=privacy.account_deleted").get_data(as_text=True)
    assert f"deleted account {gone}" in csv and "gone.soon" not in csv


def test_no_foreign_key_to_an_account_profile_or_application_is_left_unconsidered(app):
    """Every foreign key to the three tables is either handled by delete_account (HANDLED), cascades in the
    database, or is checked by other_records: a new one is covered by the check; this lists them for a reader."""
    with app.app_context():
        keys = {
            (table.name, fk.parent.name, fk.ondelete)
            for table in db.metadata.sorted_tables
            for fk in table.foreign_keys
            if fk.column.table.name in ("accounts", "applicant_profiles", "applications")
        }
        assert {(t, c) for t, c in deletion.HANDLED} <= {(t, c) for t, c, _ in keys}, "HANDLED names a key gone"
        assert ("audit_events", "actor_id") not in {(t, c) for t, c, _ in keys}  # the log names actors by id only
