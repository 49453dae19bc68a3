"""The traveler's apply → checkout → dashboard journey has no dead ends: an option that cannot be chosen is not
offered (nor recommended), and the page says why and when; an application already under way is named, with its link,
instead of being silently ignored; Global Entry including PreCheck is said when the other program is already under
way or held; and a draft removed before paying is not listed as an application the traveler made."""

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.states import public_label
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import memberships_for, renewal_window

CONTINUE = re.compile(r'<button[^>]*type="submit"[^>]*>\s*Continue\s*</button>')


def _day(date: dt.date) -> str:
    return f"{date:%B} {date.day}, {date.year}"


def _global_entry_member(app, email: str, *, valid_until: dt.date, today: dt.date) -> None:
    """An approved Global Entry member whose membership runs to `valid_until`."""
    with app.app_context():
        profile = create_profile(create_account(email), given_names="Carla")
        application = create_application("global_entry", profile=profile, submitted=True)
        casework.record_interview(application, by=create_officer(), documents_verified=True, biometrics_captured=True)
        membership = casework.approve(application, by=create_officer("second.officer@example.com"), today=today)
        membership.valid_until = valid_until
        db.session.commit()


def _applicant_with(app, email: str, program: str, **profile) -> str:
    """A traveler with a submitted application to `program`; returns its reference."""
    with app.app_context():
        application = create_application(
            program, profile=create_profile(create_account(email), **profile), submitted=True
        )
        db.session.commit()
        return application.reference


# --- 1. A member outside the renewal window: nothing to choose, no Continue, told when they can renew -------------


def test_a_member_before_the_renewal_window_is_told_when_and_offered_no_continue_button(app, client, today):
    valid_until = dt.date(today.year + 5, 6, 30)  # Carla's Global Entry runs to June 30, five years on
    _global_entry_member(app, "carla@example.com", valid_until=valid_until, today=today)
    with app.app_context():
        opens, _closes = renewal_window(db.session.scalar(select(Membership)))
    assert opens == valid_until - dt.timedelta(days=365)  # Global Entry: renew up to a year early
    sign_in(client, "carla@example.com")

    html = client.get("/apply").get_data(as_text=True)

    assert f"You are a Global Entry member until {_day(valid_until)}. You can renew from {_day(opens)}." in html
    assert "Your Global Entry membership already includes TSA PreCheck" in html
    assert re.search(r'value="global_entry"\s+disabled', html) and re.search(r'value="precheck"\s+disabled', html)
    assert not CONTINUE.search(html)
    assert "Recommended for you" not in html  # nothing that cannot be chosen is recommended
    assert "There is nothing to apply for or renew now. Each program above says why, and when you can." in html
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert "Your renewal is open" not in dashboard


def test_once_the_renewal_window_opens_the_dashboard_says_so_with_a_link_and_the_apply_page_offers_it(
    app, client, today
):
    valid_until = today + dt.timedelta(days=90)
    _global_entry_member(app, "carla@example.com", valid_until=valid_until, today=today)
    sign_in(client, "carla@example.com")

    dashboard = client.get("/dashboard").get_data(as_text=True)

    last_day = valid_until - dt.timedelta(days=1)
    assert f"Your renewal is open: renew by {_day(last_day)} so your membership does not lapse." in dashboard
    assert re.search(r'data-testid="renewal-open">.*?href="/apply"', dashboard, re.S)
    html = client.get("/apply").get_data(as_text=True)
    assert "Global Entry — renewal" in html and CONTINUE.search(html)
    assert client.post("/apply", data={"programs": ["global_entry"]}).headers["Location"] == "/checkout"
    # the renewal started: the dashboard no longer asks for it
    assert "Your renewal is open" not in client.get("/dashboard").get_data(as_text=True)


# --- 2. A program already under way cannot be ticked, and a stale form posting it is told why ----------------------


def test_a_program_under_way_is_named_with_its_link_and_cannot_be_chosen(app, client):
    reference = _applicant_with(app, "jose@example.com", "global_entry", given_names="José")
    with app.app_context():
        status = db.session.scalar(select(Application.status).where(Application.reference == reference))
    sign_in(client, "jose@example.com")

    html = client.get("/apply").get_data(as_text=True)

    label = public_label("global_entry", status)
    assert f"You have an application under way: {reference} ({label})." in html
    assert f'href="/applications/{reference}"' in html
    assert re.search(r'value="global_entry"\s+disabled', html)
    assert not re.search(r'value="precheck"\s+disabled', html) and CONTINUE.search(html)  # PreCheck still can be


def test_a_stale_form_choosing_a_program_under_way_gets_a_message_beside_the_field_and_keeps_the_other_choice(
    app, client
):
    reference = _applicant_with(app, "jose@example.com", "global_entry", given_names="José")
    sign_in(client, "jose@example.com")

    response = client.post("/apply", data={"programs": ["precheck", "global_entry"]})

    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = re.search(r'id="programs-error">([^<]*)<', html).group(1)
    assert f"You have an application under way: {reference}" in error
    assert "You cannot apply for Global Entry again while it is under way." in error
    assert re.search(r'value="precheck"\s+checked', html)  # what they chose is still chosen
    with app.app_context():
        assert db.session.scalars(select(Application.reference)).all() == [reference]  # no draft opened


# --- 3. Global Entry includes PreCheck: said when the other program is already under way or held ------------------


def test_precheck_is_told_a_global_entry_application_under_way_includes_it_once_approved(app, client):
    reference = _applicant_with(app, "jose@example.com", "global_entry", given_names="José")
    sign_in(client, "jose@example.com")
    note = (
        f"Your Global Entry application {reference} includes TSA PreCheck once approved, so you may not need this: "
        "its Known Traveler Number will work for TSA PreCheck too."
    )

    assert note in client.get("/apply").get_data(as_text=True)
    assert client.post("/apply", data={"programs": ["precheck"]}).headers["Location"] == "/checkout"  # not blocked
    checkout = client.get("/checkout").get_data(as_text=True)
    assert note in checkout and 'data-testid="overlap-note-precheck"' in checkout


def test_global_entry_says_what_happens_to_a_precheck_application_under_way(app, client):
    reference = _applicant_with(app, "ana@example.com", "precheck", given_names="Ana")
    with app.app_context():
        status = db.session.scalar(select(Application.status).where(Application.reference == reference))
    sign_in(client, "ana@example.com")
    note = (
        "Global Entry includes TSA PreCheck: once you are approved, your Global Entry Known Traveler Number works for "
        f"TSA PreCheck too. Your TSA PreCheck application {reference} ({public_label('precheck', status)}) is not "
        "changed by this: it goes on to its own decision, and its fee is not refunded."
    )

    assert note in client.get("/apply").get_data(as_text=True)
    client.post("/apply", data={"programs": ["global_entry"]})
    checkout = client.get("/checkout").get_data(as_text=True)
    assert note in checkout and 'data-testid="total">$120.00' in checkout


def test_global_entry_says_a_precheck_membership_held_may_not_need_renewing(app, client):
    with app.app_context():
        profile = create_profile(create_account("pat@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        casework.record_biometrics(application, by=create_officer())
        (membership,) = memberships_for(profile.id)
        ktn, until = membership.ktn, membership.valid_until
        db.session.commit()
    sign_in(client, "pat@example.com")

    html = client.get("/apply").get_data(as_text=True)

    assert (
        f"Your TSA PreCheck membership (Known Traveler Number {ktn}) stays valid until {_day(until)}, so you may not "
        "need to renew it."
    ) in html


def test_two_new_drafts_get_only_the_checkouts_own_note(app, client):
    with app.app_context():
        create_profile(create_account("both@example.com"))
        db.session.commit()
    sign_in(client, "both@example.com")
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    checkout = client.get("/checkout").get_data(as_text=True)
    assert checkout.count('data-testid="includes-note"') == 1 and 'data-testid="overlap-note' not in checkout


# --- 4. A draft removed before paying is not an application the traveler made -------------------------------------


def test_a_program_removed_at_checkout_is_not_listed_on_the_dashboard_but_its_record_is_kept(app, client):
    with app.app_context():
        create_profile(create_account("jose@example.com"), given_names="José")
        db.session.commit()
    sign_in(client, "jose@example.com")
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    with app.app_context():
        drafts = {a.program.code: a.reference for a in db.session.scalars(select(Application))}
    client.post(f"/checkout/{drafts['precheck']}/remove")

    dashboard = client.get("/dashboard").get_data(as_text=True)

    assert drafts["precheck"] not in dashboard and "Withdrawn" not in dashboard
    assert drafts["global_entry"] in dashboard
    page = client.get(f"/applications/{drafts['precheck']}", follow_redirects=True)
    assert page.request.path == "/dashboard"
    assert f"{drafts['precheck']} was never sent: it was removed, or it expired, before it was paid for." in (
        page.get_data(as_text=True)
    )
    with app.app_context():
        removed = db.session.scalar(select(Application).where(Application.reference == drafts["precheck"]))
        assert removed.status == "withdrawn"
        events = db.session.scalars(
            select(StatusEvent).where(StatusEvent.application_id == removed.id).order_by(StatusEvent.id)
        ).all()
        assert [(e.from_status, e.to_status, e.reason_code) for e in events][-1] == (
            "draft",
            "withdrawn",
            "withdrawn_by_applicant",
        )
