"""Eligibility is judged again after the program is chosen, and Global Entry's TSA PreCheck is not sold twice.

The rules run when a draft is opened, but the traveler can change their profile afterwards ("Change" on Check your
answers) and rules change: the rules in force run again when checkout begins, before any charge (an ineligible
draft stops the checkout with the reasons, nothing is charged and the draft is kept), and when the payment returns,
before anything is submitted (an ineligible draft gets the whole payment refunded). A `needs_review` answer goes on,
and the answer at submission is the snapshot officers read. Global Entry includes TSA PreCheck (BRIEF.md section 2):
a current Global Entry member is told their Known Traveler Number already works for it, and cannot apply for it."""

import datetime as dt
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.models import Notification
from trusted_traveler.payments import service as payments
from trusted_traveler.payments.models import Payment
from trusted_traveler.payments.sandbox import SandboxTransaction
from trusted_traveler.payments.service import reconcile
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

CARD = {"cardholder": "Luz Rivera", "expiry": "12/39", "security_code": "123", "card_number": "4111111111111111"}
DUI = {"category": "dui", "status": "convicted", "date": "2021-03-02"}
MURDER = {"category": "murder", "status": "convicted", "date": "1999-05-01"}
GE_CRIMINAL_HISTORY = (
    "You reported a criminal conviction or a pending charge. Global Entry does not accept anyone with a conviction or "
    "an open charge in any country, and that includes DUI. You may still qualify for TSA PreCheck."
)
PRECHECK_PERMANENT = (
    "You reported a conviction for a crime that always blocks TSA PreCheck, no matter how long ago it happened. You "
    "cannot enroll. If you think the court record is wrong, ask the court for a corrected copy."
)
PRECHECK_PERMANENT_ES = (
    "Usted indicó una condena por un delito que siempre impide obtener TSA PreCheck, sin importar cuándo ocurrió. No "
    "puede inscribirse. Si cree que el expediente judicial tiene un error, pida una copia corregida al tribunal."
)


def _traveler(app, client, email="traveler@example.com", **profile) -> None:
    with app.app_context():
        create_profile(create_account(email), **profile)
        db.session.commit()
    sign_in(client, email)


def _change_background(client, *offenses) -> None:
    """The traveler follows "Change" on Check your answers and reports `offenses` (none: they remove them)."""
    data = {
        "has_offenses": "yes" if offenses else "no",
        "customs_immigration_violation": "no",
        "under_investigation": "no",
        "inadmissible_or_waiver": "no",
        "return_to": "/checkout",
    }
    for i, offense in enumerate(offenses):
        data.update({f"offenses-{i}-{key}": value for key, value in offense.items()})
    response = client.post("/profile/background", data=data)
    assert response.headers["Location"] == "/checkout", response.get_data(as_text=True)[:300]


def _applications(app) -> dict:
    with app.app_context():
        rows = db.session.scalars(select(Application).order_by(Application.id))
        return {a.program.code: (a.status, (a.eligibility_snapshot or {}).get("outcome")) for a in rows}


def _payments(app) -> list:
    with app.app_context():
        return sorted((str(p.amount), p.status) for p in db.session.scalars(select(Payment)))


def _audit(app, action: str) -> list[dict]:
    with app.app_context():
        return [e.details for e in db.session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


# --- Bug 1: eligibility is judged again at checkout and at submission -------------------------------------------


def test_a_dui_reported_after_choosing_global_entry_stops_the_checkout_before_any_charge(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["global_entry"]})
    assert _applications(app) == {"global_entry": ("draft", "eligible")}
    _change_background(client, DUI)

    response = client.post("/checkout", data={"confirm": "yes"})

    assert response.headers["Location"] == "/checkout"  # back to the checkout: nothing charged, nothing submitted
    html = client.get("/checkout").get_data(as_text=True)
    assert (
        f"You cannot apply for Global Entry. {GE_CRIMINAL_HISTORY} You have not been charged. If something in your "
        "profile is wrong, correct it and confirm again; otherwise remove Global Entry from your checkout."
    ) in html
    assert _applications(app) == {"global_entry": ("draft", "ineligible")}  # the draft is kept, with today's answer
    assert _payments(app) == []
    (event,) = _audit(app, "application.eligibility_changed")
    assert (event["old"], event["new"], event["reasons"]) == (
        "eligible",
        "ineligible",
        ["global_entry.criminal_history"],
    )

    # The DUI was entered by mistake: once it is taken out, the same draft can be paid for.
    _change_background(client)
    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"].startswith("/sandbox/pay/")
    assert _applications(app) == {"global_entry": ("draft", "eligible")}
    assert _payments(app) == [("120.00", "started")]


def test_only_the_program_now_closed_stops_the_checkout_and_the_other_can_be_paid_alone(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    _change_background(client, DUI)  # closes Global Entry, not TSA PreCheck

    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"] == "/checkout"
    with app.app_context():
        reference = db.session.scalar(select(Application.reference).where(Application.program.has(code="global_entry")))
    client.post(f"/checkout/{reference}/remove")

    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"].startswith("/sandbox/pay/")
    assert _payments(app) == [("78.00", "started")]


def test_the_apply_page_says_an_open_draft_can_no_longer_go_ahead_and_why(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["global_entry"]})
    with app.app_context():
        reference = db.session.scalar(select(Application.reference))
    _change_background(client, DUI)

    html = client.get("/apply").get_data(as_text=True)

    assert "You already have an application under way" not in html
    assert html.count("You cannot apply.") == 1 and GE_CRIMINAL_HISTORY in html
    assert (
        f"Your draft application {reference} cannot be paid for or submitted as it is. If something in your profile "
        "is wrong, correct it; otherwise remove the draft."
    ) in html
    response = client.post("/apply", data={"programs": ["global_entry"]})
    assert response.status_code == 400
    assert f"You cannot apply for Global Entry. {GE_CRIMINAL_HISTORY}" in response.get_data(as_text=True)


def test_a_payment_returning_for_a_draft_that_is_now_ineligible_is_refunded_and_submits_nothing(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck"]})
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    _change_background(client, MURDER)  # in another tab, while the card page is open
    return_url = client.post(pay_url, data=CARD).headers["Location"]

    response = client.get(return_url)

    assert response.headers["Location"] == "/checkout"
    message = (
        "Before submitting, we checked your profile again against the rules in force today: you can no longer apply "
        "for TSA PreCheck. We refunded the full amount of $78.00 to your card and did not submit any application. "
        f"You cannot apply for TSA PreCheck. {PRECHECK_PERMANENT} If something in your profile is wrong, correct it "
        "and pay again; otherwise remove TSA PreCheck from your checkout."
    )
    assert message in client.get("/checkout").get_data(as_text=True)
    assert _applications(app) == {"precheck": ("draft", "ineligible")}
    assert _payments(app) == [("78.00", "refunded")]
    with app.app_context():
        assert [t.status for t in db.session.scalars(select(SandboxTransaction))] == ["refunded"]
        assert db.session.scalars(select(Membership)).all() == []  # no Known Traveler Number
        (note,) = db.session.scalars(select(Notification).where(Notification.kind == "payment_refunded"))
        assert note.body == message
    (refund,) = _audit(app, "payment.refunded")
    assert refund["reason"] == "ineligible"
    assert [s["outcome"] for s in refund["eligibility"].values()] == ["ineligible"]

    # The repeated return says the same and refunds nothing more.
    assert message in client.get(return_url, follow_redirects=True).get_data(as_text=True)
    assert _payments(app) == [("78.00", "refunded")]


def test_the_sweep_refunds_a_payment_for_a_draft_now_ineligible_and_says_why_in_the_travelers_language(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck"]})
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    _change_background(client, MURDER)
    client.post(pay_url, data=CARD)  # the tab is closed before the return
    with app.app_context():
        profile = db.session.scalar(select(ApplicantProfile))
        profile.account.preferred_language = "es"
        for row in [*db.session.scalars(select(Payment)), *db.session.scalars(select(SandboxTransaction))]:
            row.created_at -= dt.timedelta(hours=1)
        db.session.commit()
        with force_locale("en"):  # the worker's language, outside a request
            assert reconcile(utcnow()).refunded == 1
        (reason,) = db.session.scalar(select(Application)).eligibility_snapshot["reasons"]
        assert reason["message"] == PRECHECK_PERMANENT  # kept in English; the notice is in Spanish
        (note,) = db.session.scalars(select(Notification).where(Notification.kind == "payment_refunded"))
        assert f"No puede solicitar TSA PreCheck. {PRECHECK_PERMANENT_ES}" in note.body
    assert _applications(app) == {"precheck": ("draft", "ineligible")}
    assert _payments(app) == [("78.00", "refunded")]


def test_an_answer_that_now_needs_review_goes_through_and_officers_see_it(app, client, today):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck"]})
    felony = {"category": "other_felony", "status": "convicted", "date": (today - dt.timedelta(days=700)).isoformat()}
    _change_background(client, felony)

    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    done = client.get(client.post(pay_url, data=CARD).headers["Location"])

    assert done.headers["Location"].startswith("/submitted?refs=")
    with app.app_context():
        application = db.session.scalar(select(Application))
        assert application.status == "submitted"
        snapshot = application.eligibility_snapshot
    assert (snapshot["outcome"], snapshot["as_of"]) == ("needs_review", today.isoformat())
    assert [r["code"] for r in snapshot["reasons"]] == ["precheck.other_felony_review"]
    assert _payments(app) == [("78.00", "completed")]


def test_the_snapshot_kept_is_the_answer_at_submission(app_ctx, today):
    profile = create_profile(create_account("late@example.com"))
    draft = create_application("precheck", profile=profile, paid=True)
    draft.eligibility_snapshot = {"outcome": "eligible", "reasons": [], "rule_set": "old", "as_of": "2025-01-01"}

    casework.submit(draft, by=profile.account, today=today)

    assert draft.eligibility_snapshot["as_of"] == today.isoformat()
    assert draft.eligibility_snapshot["rule_set"] != "old"


def test_submission_itself_refuses_a_draft_whose_person_can_no_longer_apply(app_ctx, today):
    """Whoever submits, and however the fee was paid: a stale "eligible" answer cannot carry a draft through."""
    profile = create_profile(create_account("murder@example.com"))
    draft = create_application("precheck", profile=profile, paid=True)
    profiles.save_step(
        profile, "background", by=profile.account, collections={"offenses": [{**MURDER, "date": dt.date(1999, 5, 1)}]}
    )

    with pytest.raises(casework.NoLongerEligible, match=r"You cannot apply for TSA PreCheck\. You reported a convic"):
        casework.submit(draft, by=profile.account, today=today)

    assert (draft.status, draft.eligibility_snapshot["outcome"]) == ("draft", "ineligible")


# --- Bug 2: Global Entry includes TSA PreCheck -------------------------------------------------------------------


def _global_entry_member(app, email="member@example.com") -> tuple[str, dt.date]:
    """An approved Global Entry member; returns their Known Traveler Number and the day the membership ends."""
    with app.app_context():
        profile = create_profile(create_account(email))
        application = create_application("global_entry", profile=profile, submitted=True)
        casework.record_interview(application, by=create_officer(), documents_verified=True, biometrics_captured=True)
        membership = casework.approve(
            application, by=create_officer("second.officer@example.com"), today=service_today()
        )
        db.session.commit()
        return membership.ktn, membership.valid_until


def test_a_global_entry_member_is_told_precheck_is_included_and_cannot_apply_for_it(app, client):
    ktn, until = _global_entry_member(app)
    sign_in(client, "member@example.com")
    included = (
        "Your Global Entry membership already includes TSA PreCheck, so you do not need to apply for it: your Known "
        f"Traveler Number {ktn} works for TSA PreCheck until your membership ends on {until:%B %-d, %Y}."
    )

    html = client.get("/apply").get_data(as_text=True)

    assert included in html
    assert "$78.00" not in html and "You can apply." not in html
    assert re.search(r'value="precheck"\s+disabled', html)  # the choice is not offered
    response = client.post("/apply", data={"programs": ["precheck"]})
    assert response.status_code == 400 and included in response.get_data(as_text=True)
    assert _applications(app) == {"global_entry": ("approved", "eligible")}  # no PreCheck draft


def test_someone_whose_global_entry_application_is_only_under_way_may_still_apply_for_precheck(app, client):
    with app.app_context():
        profile = create_profile(create_account("waiting@example.com"))
        create_application("global_entry", profile=profile, submitted=True)
        db.session.commit()
    sign_in(client, "waiting@example.com")

    html = client.get("/apply").get_data(as_text=True)

    assert "already includes TSA PreCheck" not in html and "$78.00" in html
    assert client.post("/apply", data={"programs": ["precheck"]}).headers["Location"] == "/checkout"
    assert _applications(app)["precheck"] == ("draft", "eligible")


@pytest.mark.parametrize("how", ["expires today", "revoked"])
def test_precheck_is_offered_again_once_the_global_entry_membership_has_ended(app, client, how, today):
    _global_entry_member(app)
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        if how == "revoked":
            membership.status = "revoked"
        else:  # the day it expires; the daily job has not run yet
            membership.valid_until = today
        db.session.commit()
    sign_in(client, "member@example.com")

    html = client.get("/apply").get_data(as_text=True)

    assert "already includes TSA PreCheck" not in html and "$78.00" in html
    assert client.post("/apply", data={"programs": ["precheck"]}).headers["Location"] == "/checkout"


def test_a_precheck_draft_opened_before_global_entry_was_approved_is_refused_at_checkout(app, client, today):
    """The draft was fine when opened; by checkout the person's Global Entry number already covers PreCheck."""
    with app.app_context():
        profile = create_profile(create_account("both@example.com"))
        global_entry_id = create_application("global_entry", profile=profile, submitted=True).id
        db.session.commit()
    sign_in(client, "both@example.com")
    assert client.post("/apply", data={"programs": ["precheck"]}).headers["Location"] == "/checkout"
    with app.app_context():
        global_entry = db.session.get(Application, global_entry_id)
        casework.record_interview(global_entry, by=create_officer(), documents_verified=True, biometrics_captured=True)
        ktn = casework.approve(global_entry, by=create_officer("second.officer@example.com"), today=today).ktn
        db.session.commit()

    response = client.post("/checkout", data={"still_right": "y", "confirm": "yes"})

    assert response.headers["Location"] == "/checkout"  # nothing charged
    html = client.get("/checkout").get_data(as_text=True)
    assert "Your Global Entry membership already includes TSA PreCheck" in html and ktn in html
    with app.app_context():
        assert db.session.scalars(select(Payment).where(Payment.gateway != "test")).all() == []  # none begun
    assert _applications(app)["precheck"][0] == "draft"


def test_a_membership_kept_in_use_by_a_pending_renewal_still_includes_precheck(app, client, today):
    """Past its expiry date, a Global Entry membership whose renewal was filed before that date is still in use:
    PreCheck is not offered as a new application, and the page says until when the number works."""
    ktn, _until = _global_entry_member(app)
    with app.app_context():
        membership = db.session.scalar(select(Membership))
        renewal = casework.start_application(
            membership.profile,
            membership.program,
            by=membership.profile.account,
            today=today,
            kind="renewal",
            renewal_of=membership.application,
        )
        casework.attest(renewal, by=membership.profile.account)
        payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
        casework.submit(renewal, by=membership.profile.account)
        renewal.submitted_at = utcnow() - dt.timedelta(days=20)
        membership.valid_until = today - dt.timedelta(days=5)  # expired five days ago, renewal filed before
        db.session.commit()
        grace_end = membership.valid_until + dt.timedelta(days=730)
    sign_in(client, "member@example.com")

    html = client.get("/apply").get_data(as_text=True)

    assert "already includes TSA PreCheck" in html and f"until your membership ends on {grace_end:%B %-d, %Y}" in html
    assert "$78.00" not in html


def test_a_precheck_payment_returning_after_global_entry_was_approved_is_refunded_and_submits_nothing(
    app, client, today
):
    """The checkout began before the approval and the card page was paid after it: by the return, the person's
    Global Entry number already covers PreCheck, so its fee goes back as for a draft now ineligible."""
    with app.app_context():
        profile = create_profile(create_account("both@example.com"))
        global_entry_id = create_application("global_entry", profile=profile, submitted=True).id
        db.session.commit()
    sign_in(client, "both@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    pay_url = client.post("/checkout", data={"still_right": "y", "confirm": "yes"}).headers["Location"]
    assert pay_url.startswith("/sandbox/pay/")
    with app.app_context():  # approved while the card page is open
        global_entry = db.session.get(Application, global_entry_id)
        casework.record_interview(global_entry, by=create_officer(), documents_verified=True, biometrics_captured=True)
        membership = casework.approve(global_entry, by=create_officer("second.officer@example.com"), today=today)
        ktn, until = membership.ktn, membership.valid_until
        db.session.commit()
    return_url = client.post(pay_url, data=CARD).headers["Location"]

    response = client.get(return_url)

    assert response.headers["Location"] == "/checkout"
    message = (
        "Your Global Entry membership already includes TSA PreCheck, so you do not need to apply for it: your Known "
        f"Traveler Number {ktn} works for TSA PreCheck until your membership ends on {until:%B %-d, %Y}. We refunded "
        "the full amount of $78.00 to your card and did not submit any application. Remove TSA PreCheck from your "
        "checkout."
    )
    assert message in client.get("/checkout").get_data(as_text=True)
    assert _applications(app) == {"global_entry": ("approved", "eligible"), "precheck": ("draft", "eligible")}
    with app.app_context():
        precheck = db.session.scalar(select(Application).where(Application.program.has(code="precheck")))
        reference = precheck.reference
        assert [e.to_status for e in precheck.events] == ["draft"]  # never submitted
        assert precheck.submitted_profile is None
        assert [m.ktn for m in db.session.scalars(select(Membership))] == [ktn]  # no PreCheck number
        paid = db.session.scalars(select(Payment).where(Payment.gateway != "test"))
        assert [(str(p.amount), p.status) for p in paid] == [("78.00", "refunded")]
        assert [t.status for t in db.session.scalars(select(SandboxTransaction))] == ["refunded"]
        (note,) = db.session.scalars(select(Notification).where(Notification.kind == "payment_refunded"))
        assert note.body == message
    (refund,) = _audit(app, "payment.refunded")
    assert (refund["reason"], refund["amount"], refund["included"]) == ("included", "78.00", {reference: ktn})
    assert _audit(app, "application.eligibility_changed") == []  # the rules' answer is unchanged: only the membership

    # The repeated return says the same and refunds nothing more; paying again is refused before any charge.
    assert message in client.get(return_url, follow_redirects=True).get_data(as_text=True)
    assert len(_audit(app, "payment.refunded")) == 1
    assert client.post("/checkout", data={"still_right": "y", "confirm": "yes"}).headers["Location"] == "/checkout"


def test_a_returning_payment_judges_each_application_once(app, client, monkeypatch, today):
    """At the return each draft is judged before the money is kept, and that answer is the one it is submitted with
    (its snapshot): the rules are not run a second time for the submission."""
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    pay_url = client.post("/checkout", data={"confirm": "yes"}).headers["Location"]
    return_url = client.post(pay_url, data=CARD).headers["Location"]
    judged = []
    check_eligibility = casework.check_eligibility
    monkeypatch.setattr(casework, "check_eligibility", lambda *a, **kw: judged.append(1) or check_eligibility(*a, **kw))

    assert client.get(return_url).headers["Location"].startswith("/submitted?refs=")

    assert len(judged) == 2  # one for each application
    assert _payments(app) == [("198.00", "completed")]
    with app.app_context():
        for application in db.session.scalars(select(Application)):  # submitted, with the return's answer
            assert application.submitted_at is not None
            assert application.eligibility_snapshot["as_of"] == today.isoformat()
