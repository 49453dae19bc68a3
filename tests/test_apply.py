"""Choosing programs: a live eligibility answer with reasons before any payment; the ineligible are told why and
never asked to pay; minors with a member parent pay nothing; renewals open in their window; status pages show
how long each step typically takes."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for
from trusted_traveler.payments.models import Payment
from trusted_traveler.profiles.models import ApplicantProfile


def _traveler(app, client, email="apply@example.com", **profile):
    with app.app_context():
        create_profile(create_account(email), **profile)
        db.session.commit()
    sign_in(client, email)


def _applications(app):
    """Each program's application, for tests with a single traveler."""
    with app.app_context():
        rows = db.session.scalars(select(Application).order_by(Application.id))
        return {a.program.code: (a.status, str(a.fee), a.kind, a.eligibility_snapshot) for a in rows}


def test_an_unfinished_profile_is_sent_back_to_the_intake(app, client):
    _traveler(app, client, complete=False)
    response = client.get("/apply")
    assert response.headers["Location"] == "/profile"


def test_both_programs_are_offered_with_fees_and_a_recommendation(app, client):
    _traveler(app, client)
    html = client.get("/apply").get_data(as_text=True)
    assert "$78.00" in html and "$120.00" in html
    assert "Recommended for you" in html
    assert html.count("You can apply.") == 2
    assert "Rules in effect since " in html and "precheck-" not in html  # a date, not the versions' labels


def test_the_apply_page_dates_its_rules_by_the_newest_setting_it_shows(app, client):
    """The page shows renewal fees as well as the rules' answers and new fees: the newest of those is the PreCheck
    renewal fee of November 12, 2024, not the day the first rule versions took effect (2008, 2013)."""
    _traveler(app, client)
    html = client.get("/apply").get_data(as_text=True)
    assert "Rules in effect since November 12, 2024." in html


def test_a_canadian_is_told_why_global_entry_and_precheck_are_closed_and_is_never_asked_to_pay(app, client):
    _traveler(app, client, citizenship="CA")
    html = client.get("/apply").get_data(as_text=True)
    assert html.count("You cannot apply.") == 2
    assert "NEXUS" in html and "8 CFR 235.12(b)(1)" in html
    assert 'href="https://www.cbp.gov/travel/trusted-traveler-programs/nexus"' in html
    assert "you will not be asked to pay" in html
    response = client.post("/apply", data={"programs": ["global_entry"]})
    assert response.status_code == 400
    assert "You cannot apply for Global Entry." in response.get_data(as_text=True)
    assert _applications(app) == {}
    assert client.get("/checkout").headers["Location"] == "/apply"


def test_a_dui_closes_global_entry_but_not_precheck(app, client):
    _traveler(app, client, offenses=[{"category": "dui", "status": "convicted", "date": dt.date(2020, 2, 1)}])
    html = client.get("/apply").get_data(as_text=True)
    assert html.count("You cannot apply.") == 1
    client.post("/apply", data={"programs": ["precheck"]})
    status, fee, kind, snapshot = _applications(app)["precheck"]
    assert (status, fee, kind) == ("draft", "78.00", "new")
    assert snapshot["outcome"] == "eligible" and snapshot["rule_set"] == "precheck-2026-11-01"
    assert snapshot["as_of"] == service_today().isoformat()


def test_a_minor_whose_parent_is_applying_pays_no_global_entry_fee_and_submits_without_paying(app, client):
    with app.app_context():
        parent = create_profile(create_account("parent@example.com"), surname="Okoro")
        parent_app = create_application("global_entry", profile=parent, submitted=True)
        db.session.commit()
        parent_reference = parent_app.reference
    twelve = service_today().replace(year=service_today().year - 12, day=1)
    _traveler(app, client, "kid@example.com", dob=twelve, surname="Okoro")
    client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "Ada",
            "guardian_surname": "Okoro",
            "guardian_relationship": "mother",
            "guardian_email": "parent@example.com",
            "guardian_reference": parent_reference.lower(),
            "consent": "y",
        },
    )
    html = client.get("/apply").get_data(as_text=True)
    assert "$0.00" in html
    assert "a parent or legal guardian must agree to your application" in html  # the rule's condition, shown
    client.post("/apply", data={"programs": ["global_entry"]})
    assert "Confirm and submit" in client.get("/checkout").get_data(as_text=True)
    response = client.post("/checkout", data={"confirm": "yes"})
    assert response.headers["Location"].startswith("/submitted?refs=")
    with app.app_context():
        kid = db.session.scalar(
            select(Application).where(Application.profile.has(ApplicantProfile.account.has(email="kid@example.com")))
        )
        assert (kid.program.code, kid.status, str(kid.fee)) == ("global_entry", "conditionally_approved", "0.00")
        assert kid.fee_waiver_reason == "minor_with_member_parent"
        charged = db.session.scalars(select(Payment).where(Payment.account_id == kid.profile.account_id)).all()
        assert charged == []  # nothing owed, nothing charged


def _member(app, email, *, valid_until):
    with app.app_context():
        profile = create_profile(create_account(email))
        application = create_application("precheck", profile=profile, submitted=True)
        casework.record_biometrics(application, by=create_officer(f"officer.{email}"))
        (member,) = memberships_for(profile.id)
        member.valid_until = valid_until
        db.session.commit()


def test_a_member_cannot_renew_before_the_window_opens_and_is_told_when(app, client):
    _member(app, "early@example.com", valid_until=service_today() + dt.timedelta(days=400))
    sign_in(client, "early@example.com")
    html = client.get("/apply").get_data(as_text=True)
    assert "You can renew from" in html
    response = client.post("/apply", data={"programs": ["precheck"]})
    assert response.status_code == 400 and "You can renew from" in response.get_data(as_text=True)


def test_a_renewal_in_its_window_uses_the_renewal_fee_and_extends_from_the_old_expiry(app, client):
    old_expiry = service_today() + dt.timedelta(days=60)
    _member(app, "renew@example.com", valid_until=old_expiry)
    sign_in(client, "renew@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    with app.app_context():
        renewal = db.session.scalar(select(Application).where(Application.kind == "renewal"))
        assert str(renewal.fee) == "58.75" and renewal.renewal_of_id is not None
        casework.attest(renewal, by=renewal.profile.account)
        from trusted_traveler.payments import service as payments

        payments.record_completed_payment(renewal, gateway="test", reference="r1", by=None)
        casework.submit(renewal, by=renewal.profile.account)
        casework.record_biometrics(renewal, by=create_officer("second.officer@example.com"))
        newest = max(memberships_for(renewal.profile_id), key=lambda m: m.valid_until)
        assert newest.valid_until == old_expiry.replace(year=old_expiry.year + 5)
        db.session.rollback()


def test_the_status_page_shows_the_typical_time_of_the_current_step_from_real_applications(app, client):
    with app.app_context():
        for i in range(6):
            create_application("precheck", profile=create_profile(create_account(f"p{i}@example.com")), submitted=True)
            db.session.commit()
        for application in db.session.scalars(select(Application)):
            casework.record_biometrics(application, by=create_officer(f"o{application.id}@example.com"))
        db.session.commit()
        profile = create_profile(create_account("waiting@example.com"))
        mine = create_application("precheck", profile=profile, submitted=True)
        db.session.commit()
        reference = mine.reference
    sign_in(client, "waiting@example.com")
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert 'data-testid="typical-time"' in html
    assert "median and 75th percentile of 6 recent applications" in html


# --- A renewal rests on answers that still stand: a valid document, a recent travel answer -------------------------


def _expire_passport(app, email, *, days_ago=400):
    with app.app_context():
        profile = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email=email)))
        (passport,) = profile.documents
        passport.expires_on = service_today() - dt.timedelta(days=days_ago)
        db.session.commit()


def test_a_renewal_with_an_expired_passport_is_sent_to_update_it_first(app, client):
    _member(app, "renew@example.com", valid_until=service_today() + dt.timedelta(days=60))
    sign_in(client, "renew@example.com")
    client.post("/apply", data={"programs": ["precheck"]})  # a renewal draft, opened while the passport was valid
    _expire_passport(app, "renew@example.com")

    response = client.get("/checkout", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert response.request.path == "/profile/documents"
    assert "Some answers in your profile are out of date. Update them before you apply." in html
    assert "This document has expired. Enter a document that is still valid." in html  # on its expiry date
    assert client.post("/checkout", data={"confirm": "yes"}).headers["Location"] == "/profile"
    assert client.get("/apply").headers["Location"] == "/profile"
    with app.app_context():
        assert db.session.scalars(select(Payment).where(Payment.gateway != "test")).all() == []
        renewal = db.session.scalar(select(Application).where(Application.kind == "renewal"))
        assert (renewal.status, renewal.attested_at) == ("draft", None)  # nothing confirmed, paid or submitted

    renewed = (service_today() + dt.timedelta(days=3650)).isoformat()
    passport = {"passports-0-issuing_country": "US", "passports-0-number": "123456789"}
    client.post("/profile/documents", data={**passport, "passports-0-expires_on": renewed})
    assert client.get("/checkout").status_code == 200


def test_a_passport_that_expires_today_is_expired_as_the_documents_page_says(app, client):
    _traveler(app, client, "today@example.com")
    _expire_passport(app, "today@example.com", days_ago=0)
    assert client.get("/apply").headers["Location"] == "/profile"
    assert client.get("/profile").headers["Location"] == "/profile/documents"


def _answer_travel_on(app, email, day):
    with app.app_context():
        profile = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email=email)))
        progress = dict(profile.intake_progress)
        progress["saved_on"] = {**progress["saved_on"], "travel": day.isoformat()}
        profile.intake_progress = progress
        db.session.commit()


def test_a_renewal_asks_again_which_countries_were_visited_in_the_last_5_years(app, client):
    _member(app, "renew@example.com", valid_until=service_today() + dt.timedelta(days=60))
    answered = service_today() - dt.timedelta(days=5 * 365)  # when they first applied
    _answer_travel_on(app, "renew@example.com", answered)
    sign_in(client, "renew@example.com")
    assert "Apply or renew" in client.get("/dashboard").get_data(as_text=True)  # their profile is not unfinished

    response = client.get("/apply", follow_redirects=True)

    html = response.get_data(as_text=True)
    assert response.request.path == "/profile/travel"
    assert "Some answers in your profile are out of date. Update them before you apply." in html
    assert "Check the countries you have visited in the last 5 years, then save this page again." in html
    assert 'value="MX"' in html  # what they said before, to confirm or change
    client.post("/profile/travel", data={"travelled": "yes", "countries-0-country": "MX", "countries-1-country": "JP"})
    assert "Renew now; the new 5 years start when the old ones end." in client.get("/apply").get_data(as_text=True)


def test_a_travel_answer_stands_for_180_days(app, client):
    _traveler(app, client, "recent@example.com")
    _answer_travel_on(app, "recent@example.com", service_today() - dt.timedelta(days=180))
    assert client.get("/apply").status_code == 200
    _answer_travel_on(app, "recent@example.com", service_today() - dt.timedelta(days=181))
    assert client.get("/apply").headers["Location"] == "/profile"
    assert client.get("/profile").headers["Location"] == "/profile/travel"


@pytest.mark.parametrize(("last_saved_days_ago", "asked_again"), [(30, False), (400, True)])
def test_a_profile_saved_before_step_days_were_kept_counts_from_its_last_save(
    app, client, last_saved_days_ago, asked_again
):
    """Profiles from before each step's day was recorded (and seeded ones) are not all sent back to the travel page:
    their last save stands in for the day the countries were answered."""
    _traveler(app, client, "older@example.com")
    with app.app_context():
        profile = db.session.scalar(
            select(ApplicantProfile).where(ApplicantProfile.account.has(email="older@example.com"))
        )
        progress = dict(profile.intake_progress)
        progress.pop("saved_on", None)
        profile.intake_progress = progress
        profile.updated_at = utcnow() - dt.timedelta(days=last_saved_days_ago)
        db.session.commit()
    answer = client.get("/apply")
    assert (answer.status_code == 302 and answer.headers["Location"] == "/profile") is asked_again


def test_minor_and_adult_follow_the_same_age_of_majority_setting(app_ctx):
    """With the dated age_of_majority at 21, a 19-year-old is a minor (asked for a parent or guardian) and not an
    adult (cannot be one): never neither."""
    from trusted_traveler.profiles import service as profiles
    from trusted_traveler.rules.models import Parameter

    today = service_today()
    nineteen = create_profile(create_account("nineteen@example.com"), dob=today.replace(year=today.year - 19, day=1))
    assert not profiles.is_minor(nineteen, today) and profiles.is_adult(nineteen, today)
    db.session.add(
        Parameter(
            program_id=None, key="age_of_majority", value=21, effective_from=dt.date(2020, 1, 1), reference="test"
        )
    )
    db.session.flush()
    assert profiles.is_minor(nineteen, today) and not profiles.is_adult(nineteen, today)
    assert "guardian" in profiles.applicable_steps(nineteen, today)


def test_choosing_both_programs_says_global_entry_includes_precheck_and_what_removing_it_saves(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck", "global_entry"]})
    html = client.get("/checkout").get_data(as_text=True)
    assert 'data-testid="total">$198.00' in html
    assert html.count('data-testid="includes-note"') == 1
    assert (
        "Global Entry includes TSA PreCheck: once you are approved, your Global Entry Known Traveler Number works "
        "for TSA PreCheck too, so you do not need both. To pay $78.00 less, remove TSA PreCheck."
    ) in html
    assert html.count(">Declaration<") == 1  # the heading, and the tick box under it is not the same word again
    assert re.search(
        r'<input[^>]*type="checkbox"[^>]*name="confirm"|<input[^>]*name="confirm"[^>]*type="checkbox"', html
    )


def test_one_program_alone_gets_no_note_about_the_other(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["global_entry"]})
    assert 'data-testid="includes-note"' not in client.get("/checkout").get_data(as_text=True)


def test_the_checkout_names_countries_in_the_readers_language(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck"]})
    html = client.get("/checkout").get_data(as_text=True)
    assert "Springfield, United States" in html and "Springfield, US" not in html
    client.get("/language/es")
    html = client.get("/checkout").get_data(as_text=True)
    assert "Springfield, Estados Unidos" in html
