"""The Global Entry fee waiver for a minor whose parent or guardian is a member or applying at the same time
(BRIEF.md section 2), and fees that change while a draft waits: a parent counts as applying only once their own
application is paid for; each draft's fee is worked out again when checkout begins and when the payment returns;
a changed fee is shown, never charged silently; renewals get the same waiver."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.payments import service as payments
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxTransaction
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.programs.service import fee_for, get_program

CARD = {"cardholder": "Tayo Okoro", "expiry": "12/39", "security_code": "123", "card_number": "4111111111111111"}
WAIVER_RULE = (
    "The fee is waived only for applicants under 18 whose parent or guardian is a Global Entry member or has already "
    "submitted and paid for their own application."
)


def _parent(app, *, how: str) -> str:
    """A parent who is a Global Entry member ("member": returns the KTN), has submitted and paid ("submitted") or
    has only an unpaid draft ("draft"); returns what the minor enters to link them."""
    with app.app_context():
        parent = create_profile(create_account("parent@example.com"), surname="Okoro", given_names="Ada")
        application = create_application("global_entry", profile=parent, submitted=how != "draft")
        link = application.reference
        if how == "member":
            casework.record_interview(
                application, by=create_officer(), documents_verified=True, biometrics_captured=True
            )
            link = casework.approve(
                application, by=create_officer("second.officer@example.com"), today=service_today()
            ).ktn
        db.session.commit()
        return link


def _minor(app, client, guardian_link: str, email: str = "kid@example.com") -> None:
    """A signed-in 12-year-old who named their parent (by application reference or KTN) and has their consent."""
    today = service_today()
    with app.app_context():
        create_profile(create_account(email), dob=today.replace(year=today.year - 12, day=1), surname="Okoro")
        db.session.commit()
    sign_in(client, email)
    response = client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "Ada",
            "guardian_surname": "Okoro",
            "guardian_relationship": "mother",
            "guardian_email": "parent@example.com",
            "guardian_reference": guardian_link,
            "consent": "y",
        },
    )
    assert response.status_code == 302


def _kid_applications(app, email="kid@example.com") -> dict:
    with app.app_context():
        rows = db.session.scalars(
            select(Application)
            .where(Application.profile.has(ApplicantProfile.account.has(email=email)))
            .order_by(Application.id)
        )
        return {a.program.code: (a.status, str(a.fee), a.fee_waiver_reason, a.kind) for a in rows}


def _payments(app):
    """Payments through the gateway (the factory records the parent's as paid at a center, gateway "test")."""
    with app.app_context():
        return sorted(
            (str(p.amount), p.status) for p in db.session.scalars(select(Payment).where(Payment.gateway != "test"))
        )


def _lose_the_waiver(app) -> None:
    """The parent's membership is revoked: they are no longer a member, and applying for nothing."""
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        officer = db.session.get(Account, membership.application.assigned_officer_id)  # who approved it
        decisions.revoke(membership.application, by=officer, reason_codes=["program_violation"])
        db.session.commit()


# --- Bug 1: an unpaid draft is not "applying"; the fee is checked again at checkout and at submission -----------


def test_a_parents_unpaid_draft_waives_nothing_so_the_minor_still_pays_after_the_parent_withdraws(app, client):
    reference = _parent(app, how="draft")
    _minor(app, client, reference)
    html = client.get("/apply").get_data(as_text=True)
    assert "$120.00" in html and "no fee: your parent or guardian" not in html
    client.post("/apply", data={"programs": ["global_entry"]})
    with app.app_context():  # the parent gives up before paying
        draft = db.session.scalar(select(Application).where(Application.reference == reference))
        casework.withdraw(draft, by=draft.profile.account)
        db.session.commit()

    response = client.post("/checkout", data={"confirm": "yes"})

    assert response.headers["Location"].startswith("/sandbox/pay/")  # asked to pay, not submitted for nothing
    assert _kid_applications(app) == {"global_entry": ("draft", "120.00", None, "new")}
    assert _payments(app) == [("120.00", "started")]


def test_a_waiver_that_no_longer_holds_at_checkout_is_shown_as_the_new_fee_and_nothing_is_charged(app, client):
    _minor(app, client, _parent(app, how="member"))
    client.post("/apply", data={"programs": ["global_entry"]})
    assert _kid_applications(app) == {"global_entry": ("draft", "0.00", "minor_with_member_parent", "new")}
    _lose_the_waiver(app)

    response = client.post("/checkout", data={"confirm": "yes"})

    assert response.headers["Location"] == "/checkout"  # back to the checkout: nothing submitted, nothing charged
    html = client.get("/checkout").get_data(as_text=True)
    assert "The fee changed since you last saw it: Global Entry is now $120.00 (it was $0.00)." in html
    assert WAIVER_RULE in html and "You have not been charged. Check the new total and confirm again." in html
    assert 'data-testid="fee-global_entry">$120.00<' in html and 'data-testid="total">$120.00<' in html
    assert _kid_applications(app) == {"global_entry": ("draft", "120.00", None, "new")}
    assert _payments(app) == []
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.fee_changed"))
        assert (event.details["old"], event.details["new"], event.details["new_waiver"]) == ("0.00", "120.00", None)

    # Having seen the new amount, the traveler confirms again and pays it.
    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"].startswith("/sandbox/pay/")
    assert _payments(app) == [("120.00", "started")]


def test_a_draft_opened_under_an_older_fee_is_charged_todays_after_the_traveler_is_told(app, client):
    with app.app_context():
        profile = create_profile(create_account("adult@example.com"))
        # opened on the last day of the $100 fee (BRIEF.md section 2), kept as drafts are, for months
        casework.start_application(profile, get_program("global_entry"), by=profile.account, today=dt.date(2024, 9, 30))
        db.session.commit()
    sign_in(client, "adult@example.com")
    assert 'data-testid="total">$100.00<' in client.get("/checkout").get_data(as_text=True)

    response = client.post("/checkout", data={"confirm": "yes"}, follow_redirects=True)

    html = response.get_data(as_text=True)
    assert "The fee changed since you last saw it: Global Entry is now $120.00 (it was $100.00)." in html
    assert WAIVER_RULE not in html  # nothing was waived
    assert 'data-testid="total">$120.00<' in html
    assert _payments(app) == []
    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"].startswith("/sandbox/pay/")
    assert _payments(app) == [("120.00", "started")]


def test_a_payment_started_at_the_old_fee_is_not_resumed(app, client):
    _minor(app, client, _parent(app, how="member"))
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    first = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]  # $78.00: PreCheck alone is owed
    _lose_the_waiver(app)

    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"] == "/checkout"  # told first
    second = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]

    assert second.startswith("/sandbox/pay/") and second != first
    assert _payments(app) == [("198.00", "started"), ("78.00", "started")]


def test_a_return_paid_before_the_waiver_ended_is_refunded_in_full_and_submits_nothing(app, client):
    _minor(app, client, _parent(app, how="member"))
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]  # $78.00, Global Entry waived
    _lose_the_waiver(app)  # while the traveler is on the card page
    return_url = client.post(pay_url, data=CARD).headers["Location"]

    response = client.get(return_url)

    assert response.headers["Location"] == "/checkout"
    message = (
        "While you were paying, the fee changed: Global Entry is now $120.00 (it was $0.00). We refunded the full "
        f"amount of $78.00 to your card and did not submit any application. {WAIVER_RULE} Pay again for what remains "
        "in your checkout."
    )
    html = client.get("/checkout").get_data(as_text=True)
    assert message in html and 'data-testid="total">$198.00<' in html
    assert _kid_applications(app) == {
        "precheck": ("draft", "78.00", None, "new"),
        "global_entry": ("draft", "120.00", None, "new"),
    }
    assert _payments(app) == [("78.00", "refunded")]
    with app.app_context():
        assert [t.status for t in db.session.scalars(select(SandboxTransaction))] == ["refunded"]
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "payment.refunded"))
        assert event.details["reason"] == "fee_changed"
        assert list(event.details["fees"].values()) == [{"paid": "0.00", "now": "120.00"}]

    # The repeated return says the same and refunds nothing more; paying again charges the new total.
    assert message in client.get(return_url, follow_redirects=True).get_data(as_text=True)
    pay_again = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    done = client.get(client.post(pay_again, data=CARD).headers["Location"])
    assert done.headers["Location"].startswith("/submitted?refs=")
    assert _payments(app) == [("198.00", "completed"), ("78.00", "refunded")]
    assert {code: row[0] for code, row in _kid_applications(app).items()} == {
        "precheck": "submitted",
        "global_entry": "conditionally_approved",
    }


def test_a_minor_whose_parent_has_only_an_unpaid_draft_is_told_what_paying_it_would_change(app, client, today):
    reference = _parent(app, how="draft")
    _minor(app, client, reference)
    html = client.get("/apply").get_data(as_text=True)
    assert (
        "Your parent or guardian has started a Global Entry application but has not paid for it yet. Once they have, "
        "your fee is $0.00: come back then, or pay $120.00 now."
    ) in html
    with app.app_context():  # the parent pays: the waiver holds and the note goes
        draft = db.session.scalar(select(Application).where(Application.reference == reference))
        payments.record_completed_payment(draft, gateway="test", reference=draft.reference, by=None)
        casework.attest(draft, by=draft.profile.account)
        casework.submit(draft, by=draft.profile.account, today=today)
        db.session.commit()
    html = client.get("/apply").get_data(as_text=True)
    assert "no fee: your parent or guardian is a member or is applying" in html
    assert 'data-testid="guardian-draft"' not in html


def test_an_adult_whose_linked_guardian_has_a_draft_sees_no_waiver_note(app, client, today):
    reference = _parent(app, how="draft")
    _minor(app, client, reference)
    with app.app_context():  # the "minor" is in fact 30: no waiver could apply
        kid = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email="kid@example.com")))
        kid.date_of_birth = today.replace(year=today.year - 30, day=1)
        db.session.commit()
    assert 'data-testid="guardian-draft"' not in client.get("/apply").get_data(as_text=True)


def test_a_waiver_still_holding_at_submission_is_kept(app, client):
    _minor(app, client, _parent(app, how="submitted"))
    client.post("/apply", data={"programs": ["global_entry"]})
    response = client.post("/checkout", data={"confirm": "yes"})
    assert response.headers["Location"].startswith("/submitted?refs=")
    status, fee, waiver, _kind = _kid_applications(app)["global_entry"]
    assert (status, fee, waiver) == ("conditionally_approved", "0.00", "minor_with_member_parent")
    assert _payments(app) == []


def test_the_guardian_counts_as_applying_only_once_their_application_is_paid_for(app_ctx, today):
    parent = create_profile(create_account("parent@example.com"))
    kid = create_profile(create_account("kid@example.com"), dob=today.replace(year=today.year - 12, day=1))
    kid.guardian_profile_id = parent.id
    draft = create_application("global_entry", profile=parent)
    assert not profiles.guardian_is_member_or_applying(kid, today)  # an unpaid draft is only an intention
    assert not profiles.guardian_is_member_or_applying(kid, today, paying_with=[draft])  # not even attested
    casework.attest(draft, by=parent.account)
    assert profiles.guardian_is_member_or_applying(kid, today, paying_with=[draft])  # paid for in the same checkout
    assert not profiles.guardian_is_member_or_applying(kid, today)
    casework.withdraw(draft, by=parent.account)
    assert not profiles.guardian_is_member_or_applying(kid, today, paying_with=[draft])
    create_application("global_entry", profile=parent, submitted=True)
    assert profiles.guardian_is_member_or_applying(kid, today)


def test_a_minor_who_turns_18_before_paying_loses_the_waiver_at_submission(app_ctx, today):
    """The submission itself works the fee out again: a waiver cannot ride through on a stale draft."""
    parent = create_profile(create_account("parent@example.com"))
    create_application("global_entry", profile=parent, submitted=True)
    kid = create_profile(
        create_account("kid@example.com"), dob=today.replace(year=today.year - 18) + dt.timedelta(days=1)
    )
    kid.guardian_profile_id = parent.id
    draft = casework.start_application(kid, get_program("global_entry"), by=kid.account, today=today)
    assert (str(draft.fee), draft.fee_waiver_reason) == ("0.00", "minor_with_member_parent")
    casework.attest(draft, by=kid.account)
    with pytest.raises(BusinessRuleViolation, match="The fee must be paid before the application is submitted."):
        casework.submit(draft, by=kid.account, today=today + dt.timedelta(days=1))  # the 18th birthday
    assert (draft.status, str(draft.fee), draft.fee_waiver_reason) == ("draft", "120.00", None)


# --- Bug 2: a minor renewing Global Entry gets the same waiver -------------------------------------------------


def _minor_member(app, client, guardian_link: str) -> None:
    """The minor of `_minor`, a Global Entry member whose membership ends in 60 days (inside the renewal window)."""
    today = service_today()
    _minor(app, client, guardian_link)
    with app.app_context():
        kid = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email="kid@example.com")))
        application = create_application("global_entry", profile=kid, submitted=True)
        casework.record_interview(
            application, by=create_officer("kid.officer@example.com"), documents_verified=True, biometrics_captured=True
        )
        membership = casework.approve(application, by=create_officer("kid.second@example.com"), today=today)
        membership.valid_until = today + dt.timedelta(days=60)
        db.session.commit()


def test_a_minor_renewing_global_entry_with_a_member_parent_pays_nothing(app, client):
    _minor_member(app, client, _parent(app, how="member"))
    html = client.get("/apply").get_data(as_text=True)
    assert "no fee: your parent or guardian is a member or is applying" in html

    client.post("/apply", data={"programs": ["global_entry"]})

    assert _kid_applications(app)["global_entry"] == ("draft", "0.00", "minor_with_member_parent", "renewal")
    response = client.post("/checkout", data={"still_right": "y", "confirm": "yes"})
    assert response.headers["Location"].startswith("/submitted?refs=")
    assert _kid_applications(app)["global_entry"][:2] == ("conditionally_approved", "0.00")
    assert _payments(app) == []


def test_a_minor_renewing_global_entry_without_a_member_parent_pays_the_renewal_fee(app, client):
    _minor_member(app, client, "")
    assert "no fee: your parent or guardian" not in client.get("/apply").get_data(as_text=True)
    client.post("/apply", data={"programs": ["global_entry"]})
    assert _kid_applications(app)["global_entry"] == ("draft", "120.00", None, "renewal")


# --- A parent or guardian is an adult, and someone else ------------------------------------------------------------


def _sibling(app) -> str:
    """A 15-year-old brother or sister with a submitted Global Entry application; returns its reference."""
    today = service_today()
    with app.app_context():
        sister = create_profile(
            create_account("sister@example.com"), dob=today.replace(year=today.year - 15, day=1), surname="Okoro"
        )
        reference = create_application("global_entry", profile=sister, submitted=True).reference
        db.session.commit()
        return reference


def _name_guardian(client, reference: str):
    return client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "Ada",
            "guardian_surname": "Okoro",
            "guardian_relationship": "mother",
            "guardian_email": "parent@example.com",
            "guardian_reference": reference,
            "consent": "y",
        },
    )


def test_a_brother_or_sisters_application_is_refused_as_a_parent_and_waives_nothing(app, client, today):
    reference = _sibling(app)
    with app.app_context():
        create_profile(create_account("kid@example.com"), dob=today.replace(year=today.year - 12, day=1))
        db.session.commit()
    sign_in(client, "kid@example.com")

    response = _name_guardian(client, reference)

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert (
        "That number is not an adult&#39;s. A parent or guardian must be 18 or older: enter their own application "
        "reference or Known Traveler Number, or leave it empty."
    ) in html
    assert f'value="{reference}"' in html and 'value="Ada"' in html  # nothing typed is lost
    with app.app_context():
        kid = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email="kid@example.com")))
        assert kid.guardian_profile_id is None and kid.guardian_given_names == "Pat"  # the earlier answer stands
    html = client.get("/apply").get_data(as_text=True)
    assert "$120.00" in html and "no fee: your parent or guardian" not in html


def test_a_minor_cannot_name_themself_as_their_parent_or_guardian(app, client, today):
    with app.app_context():
        kid = create_profile(
            create_account("kid@example.com"), dob=today.replace(year=today.year - 12, day=1), surname="Okoro"
        )
        own = create_application("global_entry", profile=kid).reference
        db.session.commit()
    sign_in(client, "kid@example.com")
    response = _name_guardian(client, own)
    assert response.status_code == 400
    assert "Enter your parent or guardian&#39;s number, not your own." in response.get_data(as_text=True)


def test_a_guardian_under_the_age_of_majority_never_counts_as_member_or_applying(app_ctx, today):
    """A link made before the guardian page refused it (or written by anything else) waives nothing either."""
    sister = create_profile(create_account("sister@example.com"), dob=today.replace(year=today.year - 15, day=1))
    create_application("global_entry", profile=sister, submitted=True)
    kid = create_profile(create_account("kid@example.com"), dob=today.replace(year=today.year - 12, day=1))
    kid.guardian_profile_id = sister.id
    assert not profiles.guardian_is_member_or_applying(kid, today)
    global_entry = get_program("global_entry")
    assert casework.fee_in_force(kid, global_entry, kind="new", today=today) == (fee_for(global_entry, today), None)
    kid.guardian_profile_id = kid.id  # themself
    create_application("global_entry", profile=kid, submitted=True)
    assert not profiles.guardian_is_member_or_applying(kid, today)
    # the day the sister comes of age, her application is an adult's
    kid.guardian_profile_id = sister.id
    assert profiles.guardian_is_member_or_applying(kid, today.replace(year=today.year + 3, day=1))
