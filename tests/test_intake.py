"""The guided intake: one topic per page, saved at every step, resumable, with specific messages and nothing
lost on an error; histories name their missing months."""

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import OutboxMessage
from trusted_traveler.notifications.worker import build_email
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile


def _start(app, client, email="intake@example.com"):
    with app.app_context():
        create_account(email)
        db.session.commit()
    sign_in(client, email)


class _Snapshot:
    def __init__(self, profile):
        self.__dict__.update({c.key: getattr(profile, c.key) for c in profile.__mapper__.column_attrs})
        self.addresses = list(profile.addresses)
        self.offenses = list(profile.offenses)


def _profile(app):
    """The stored profile's columns and a few lists, read in a context of its own."""
    with app.app_context():
        return _Snapshot(db.session.scalars(select(ApplicantProfile)).one())


def test_a_new_traveler_starts_at_the_first_step_and_each_step_leads_to_the_next(app, client):
    _start(app, client)
    assert client.get("/profile").headers["Location"] == "/profile/names"
    response = client.post("/profile/names", data={"given_names": "José", "surname": "D’Souza-Ng"})
    assert response.headers["Location"] == "/profile/birth"
    assert client.get("/profile").headers["Location"] == "/profile/birth"  # resume where they stopped
    profile = _profile(app)
    assert (profile.given_names, profile.surname) == ("José", "D’Souza-Ng")


def test_errors_are_specific_and_nothing_typed_is_lost(app, client):
    _start(app, client)
    response = client.post(
        "/profile/birth",
        data={"date_of_birth": "2099-01-01", "birth_city": "Oaxaca", "height_feet": "12", "height_inches": "3"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "This date is in the future.",
        "Choose the country where you were born.",
        "Choose the sex shown on your passport.",
        "Enter feet as a whole number between 1 and 8.",
        "Choose your eye color.",
    ):
        assert message in html
    assert 'value="Oaxaca"' in html and 'value="3"' in html
    assert "There is a problem" in html


def test_phone_email_and_document_numbers_are_checked_by_their_libraries(app, client):
    _start(app, client)
    html = client.post(
        "/profile/contact", data={"email": "nope@", "phone": "12", "mailing_same_as_residential": "yes"}
    ).get_data(as_text=True)
    assert "Enter a real e-mail address" in html
    assert "phone number" in html
    good = client.post(
        "/profile/contact",
        data={"email": "Ana@Example.com", "phone": "(202) 555-0123", "mailing_same_as_residential": "yes"},
    )
    assert good.status_code == 302
    assert _profile(app).phone == "+12025550123"
    html = client.post(
        "/profile/documents",
        data={
            "passports-0-issuing_country": "US",
            "passports-0-number": "12AB",
            "passports-0-expires_on": "2001-01-01",
        },
    ).get_data(as_text=True)
    assert "A passport number has 6 to 12 letters and digits." in html
    assert "This document has expired." in html


def test_rows_are_added_and_removed_without_losing_what_was_typed(app, client):
    _start(app, client)
    data = {
        "given_names": "Ana",
        "surname": "Lee",
        "other_names-0-surname": "Park",
        "other_names-0-kind": "maiden",
        "action": "add:other_names",
    }
    html = client.post("/profile/names", data=data).get_data(as_text=True)
    assert 'name="other_names-1-surname"' in html and 'value="Park"' in html
    data["action"] = "remove:other_names:0"
    html = client.post("/profile/names", data=data).get_data(as_text=True)
    assert 'value="Park"' not in html and 'value="Lee"' in html


def test_address_history_with_a_gap_is_saved_and_the_missing_months_are_named(app, client):
    _start(app, client)
    today = service_today()
    long_ago = f"01/{today.year - 6}"
    until = dt.date(today.year - 2, 1, 1)
    resumed = dt.date(today.year - 2, 5, 1)
    response = client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": long_ago,
            "addresses-0-to_month": until.strftime("%m/%Y"),
            "addresses-0-line1": "1 Elm St",
            "addresses-0-city": "Austin",
            "addresses-0-country": "US",
            "addresses-0-postal_code": "02134",
            "addresses-1-from_month": resumed.strftime("%m/%Y"),
            "addresses-1-line1": "9 Oak Ave",
            "addresses-1-city": "Denver",
            "addresses-1-country": "US",
            "addresses-1-postal_code": "02134",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Some months are missing" in html
    assert f"February {today.year - 2} to April {today.year - 2}" in html
    assert len(_profile(app).addresses) == 2  # saved as they go


def test_unemployment_counts_in_the_employment_history(app, client):
    _start(app, client)
    today = service_today()
    response = client.post(
        "/profile/employment",
        data={
            "employment-0-from_month": f"01/{today.year - 7}",
            "employment-0-to_month": f"12/{today.year - 3}",
            "employment-0-status": "employed",
            "employment-0-employer": "Acme",
            "employment-1-from_month": f"01/{today.year - 2}",
            "employment-1-status": "unemployed",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 302, html[:2000]


def test_an_employer_is_required_when_employed_but_not_when_retired(app, client):
    _start(app, client)
    html = client.post(
        "/profile/employment", data={"employment-0-from_month": "01/2015", "employment-0-status": "employed"}
    ).get_data(as_text=True)
    assert "Enter the employer or school." in html
    ok = client.post(
        "/profile/employment", data={"employment-0-from_month": "01/2015", "employment-0-status": "retired"}
    )
    assert ok.status_code == 302


def test_background_answers_need_details_for_every_yes(app, client):
    _start(app, client)
    html = client.post(
        "/profile/background",
        data={
            "has_offenses": "yes",
            "customs_immigration_violation": "yes",
            "under_investigation": "no",
            "inadmissible_or_waiver": "no",
        },
    ).get_data(as_text=True)
    assert "Add each conviction or pending charge." in html
    assert "Tell us more about each question you answered" in html
    ok = client.post(
        "/profile/background",
        data={
            "has_offenses": "yes",
            "offenses-0-category": "dui",
            "offenses-0-status": "convicted",
            "offenses-0-date": "2019-03-02",
            "customs_immigration_violation": "no",
            "under_investigation": "no",
            "inadmissible_or_waiver": "no",
        },
    )
    assert ok.status_code == 302
    assert [o.category for o in _profile(app).offenses] == ["dui"]


def test_save_and_come_back_later_goes_to_the_dashboard(app, client):
    _start(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana", "surname": "Lee", "later": "1"})
    assert response.headers["Location"] == "/dashboard"
    assert "Continue my profile" in client.get("/dashboard").get_data(as_text=True)


def test_a_change_link_returns_to_where_it_came_from(app, client):
    _start(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana", "surname": "Lee", "return_to": "/checkout"})
    assert response.headers["Location"] == "/checkout"
    evil = client.post(
        "/profile/names", data={"given_names": "Ana", "surname": "Lee", "return_to": "https://evil.example.com"}
    )
    assert evil.headers["Location"] == "/dashboard"


def test_profile_changes_are_audited_by_field_name_never_by_value(app, client):
    _start(app, client)
    client.post("/profile/names", data={"given_names": "Ana", "surname": "Lee"})
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "profile.updated")).first()
        assert event.details == {"step": "names", "fields": ["given_names", "surname"]}
        assert "Lee" not in str(event.details)


def test_a_minor_is_asked_for_a_parent_or_guardian_and_their_consent(app, client):
    _start(app, client)
    minor_dob = service_today().replace(year=service_today().year - 12)
    client.post(
        "/profile/birth",
        data={
            "date_of_birth": minor_dob.isoformat(),
            "birth_city": "Reno",
            "birth_country": "US",
            "sex": "F",
            "height_feet": "4",
            "height_inches": "6",
            "eye_color": "Brown",
        },
    )
    page = client.get("/profile/guardian")
    assert page.status_code == 200
    html = client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "Kim",
            "guardian_surname": "Lee",
            "guardian_relationship": "mother",
            "guardian_email": "kim@example.com",
            "guardian_reference": "TT2-ZZZZ-ZZZZ",
        },
    ).get_data(as_text=True)
    assert "Your parent or guardian must agree to this application." in html
    assert "We could not find" not in html  # the form failed before the lookup; all messages come together
    html = client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "Kim",
            "guardian_surname": "Lee",
            "guardian_relationship": "mother",
            "guardian_email": "kim@example.com",
            "consent": "y",
            "guardian_reference": "TT2-ZZZZ-ZZZZ",
        },
    ).get_data(as_text=True)
    assert "We could not find a Global Entry application or membership with that number and that surname." in html


def test_an_adult_never_sees_the_guardian_step(app, client):
    _start(app, client)
    client.post(
        "/profile/birth",
        data={
            "date_of_birth": "1980-01-01",
            "birth_city": "Reno",
            "birth_country": "US",
            "sex": "M",
            "height_feet": "6",
            "height_inches": "0",
            "eye_color": "Blue",
        },
    )
    assert client.get("/profile/guardian").headers["Location"] == "/profile"


# --- A young child's history starts at birth; no month before it is accepted ----------------------------------------


def _born(client, dob: dt.date):
    response = client.post(
        "/profile/birth",
        data={
            "date_of_birth": dob.isoformat(),
            "birth_city": "Reno",
            "birth_country": "US",
            "sex": "F",
            "height_feet": "2",
            "height_inches": "10",
            "eye_color": "Brown",
        },
    )
    assert response.status_code == 302


def _two_years_old() -> dt.date:
    """A date of birth two years ago, on the 10th of its month."""
    today = service_today()
    return dt.date(today.year - 2, today.month, 10)


def test_a_two_year_old_at_one_address_since_birth_finishes_the_histories(app, client):
    _start(app, client)
    dob = _two_years_old()
    _born(client, dob)
    since_birth = dob.strftime("%m/%Y")
    addresses = client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": since_birth,
            "addresses-0-line1": "1 Elm St",
            "addresses-0-city": "Reno",
            "addresses-0-country": "US",
            "addresses-0-postal_code": "02134",
        },
    )
    assert addresses.status_code == 302, addresses.get_data(as_text=True)[:2000]  # no months before birth asked for
    work = client.post(
        "/profile/employment",
        data={"employment-0-from_month": since_birth, "employment-0-status": "unemployed"},  # "Not working"
    )
    assert work.status_code == 302, work.get_data(as_text=True)[:2000]
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        assert profiles.step_complete(profile, "addresses", service_today())
        assert profiles.step_complete(profile, "employment", service_today())


def test_a_history_month_before_the_date_of_birth_is_refused_and_nothing_typed_is_lost(app, client):
    _start(app, client)
    dob = _two_years_old()
    _born(client, dob)
    response = client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": "01/1950",
            "addresses-0-line1": "1 Elm St",
            "addresses-0-city": "Reno",
            "addresses-0-country": "US",
            "addresses-0-postal_code": "02134",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"This month is before your date of birth. Enter {dob.strftime('%m/%Y')} or a later month." in html
    assert 'value="01/1950"' in html and 'value="1 Elm St"' in html
    assert _profile(app).addresses == []
    work = client.post(
        "/profile/employment", data={"employment-0-from_month": "01/1950", "employment-0-status": "unemployed"}
    )
    assert work.status_code == 400
    assert "This month is before your date of birth." in work.get_data(as_text=True)


def test_save_and_come_back_later_goes_to_the_dashboard_even_with_months_missing(app, client):
    _start(app, client)
    today = service_today()
    response = client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": f"01/{today.year - 1}",
            "addresses-0-line1": "9 Oak Ave",
            "addresses-0-city": "Denver",
            "addresses-0-country": "US",
            "addresses-0-postal_code": "02134",
            "later": "1",
        },
    )
    assert response.headers["Location"] == "/dashboard"
    assert len(_profile(app).addresses) == 1  # saved; the missing months are named when they come back
    assert "Some months are missing" in client.post(
        "/profile/addresses",
        data={
            "addresses-0-from_month": f"01/{today.year - 1}",
            "addresses-0-line1": "9 Oak Ave",
            "addresses-0-city": "Denver",
            "addresses-0-country": "US",
            "addresses-0-postal_code": "02134",
        },
    ).get_data(as_text=True)


def test_a_remove_button_with_a_digit_that_is_not_ascii_removes_nothing_and_keeps_the_page(app, client):
    _start(app, client)
    data = {"addresses-0-from_month": "01/2015", "addresses-0-line1": "1 Elm St", "action": "remove:addresses:²"}
    response = client.post("/profile/addresses", data=data)
    assert response.status_code == 200
    assert 'value="1 Elm St"' in response.get_data(as_text=True)


# --- A parent or guardian's consent is theirs: a new guardian consents afresh, and is told ------------------------

LONG_AGO = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
GUARDIAN = {  # as the factory's complete profile of a minor names them
    "guardian_given_names": "Pat",
    "guardian_surname": "Rivera",
    "guardian_relationship": "parent",
    "guardian_email": "parent@example.com",
    "consent": "y",
}


def _minor_with_a_guardian(app, client):
    """A signed-in 12-year-old, Sam Rivera, whose parent Pat consented long ago."""
    with app.app_context():
        today = service_today()
        kid = create_profile(
            create_account("kid@example.com"), given_names="Sam", dob=today.replace(year=today.year - 12, day=1)
        )
        kid.guardian_consent_at = LONG_AGO
        db.session.commit()
    sign_in(client, "kid@example.com")


def _consent_events(app):
    with app.app_context():
        return [
            e.details
            for e in db.session.scalars(
                select(AuditEvent).where(AuditEvent.action.like("%consent%")).order_by(AuditEvent.id)
            )
        ]


def _mails(app):
    with app.app_context():
        return [
            (m.recipient, m.kind, m.payload)
            for m in db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_saving_the_same_guardian_again_keeps_their_consent_and_tells_no_one(app, client):
    _minor_with_a_guardian(app, client)
    response = client.post("/profile/guardian", data={**GUARDIAN, "guardian_relationship": "mother"})
    assert response.status_code == 302
    profile = _profile(app)
    assert (profile.guardian_relationship, profile.guardian_consent_at) == ("mother", LONG_AGO)
    assert _consent_events(app) == [] and _mails(app) == []


def test_a_different_guardian_consents_afresh_is_told_by_email_and_the_change_is_audited(app, client):
    _minor_with_a_guardian(app, client)
    before = dt.datetime.now(dt.UTC)

    kim = {"guardian_given_names": "Kim", "guardian_surname": "Lee", "guardian_email": "kim@example.com"}
    response = client.post("/profile/guardian", data={**GUARDIAN, **kim})

    assert response.status_code == 302
    assert _profile(app).guardian_consent_at >= before  # taken afresh, not carried over from Pat
    assert _consent_events(app) == [{"linked_guardian": False}]  # audited, without names or addresses
    ((recipient, kind, payload),) = _mails(app)
    assert (recipient, kind) == ("kim@example.com", "email.guardian_consent")
    assert payload["subject"] == "Sam Rivera named you as their parent or guardian"
    assert payload["body"].startswith(
        "Sam Rivera named you as their parent or guardian on an application for Trusted Traveler (TSA PreCheck or "
        "Global Entry), and confirmed that you consent to it on their behalf. Applicants under 18 need the consent "
        "of a parent or legal guardian."
    )
    assert (
        "If it is wrong (you are not their parent or guardian, or you do not consent), ask Sam Rivera to correct the "
        '"Parent or guardian" page of their Trusted Traveler profile, or to withdraw the application.'
    ) in payload["body"]
    with app.app_context():  # what the outbox worker sends
        mail = build_email(db.session.scalar(select(OutboxMessage)))
        assert (mail["To"], mail["Subject"]) == ("kim@example.com", "Sam Rivera named you as their parent or guardian")


def test_a_new_guardian_email_or_linked_application_is_a_new_consent_too(app, client):
    _minor_with_a_guardian(app, client)
    with app.app_context():
        parent = create_profile(create_account("pat@example.com"), given_names="Pat")
        reference = create_application("global_entry", profile=parent).reference
        db.session.commit()
    client.post("/profile/guardian", data={**GUARDIAN, "guardian_email": "pat@example.com"})
    client.post(
        "/profile/guardian", data={**GUARDIAN, "guardian_email": "pat@example.com", "guardian_reference": reference}
    )
    assert [recipient for recipient, _kind, _payload in _mails(app)] == ["pat@example.com", "pat@example.com"]
    assert _consent_events(app) == [{"linked_guardian": False}, {"linked_guardian": True}]


def _traveler_with_countries(app, client, email="countries@example.com", *, saved_at=None):
    """A complete profile of a Mexican citizen born in Springfield, U.S., who visited Mexico and Spain."""
    from trusted_traveler.profiles.models import CountryVisited

    with app.app_context():
        profile = create_profile(create_account(email), citizenship="MX")
        profile.countries_visited.clear()
        db.session.flush()
        profile.countries_visited.extend([CountryVisited(country_code="MX"), CountryVisited(country_code="ES")])
        if saved_at is not None:
            profile.updated_at = saved_at
        db.session.commit()
    sign_in(client, email)


def test_the_profile_summary_names_countries_in_the_readers_language(app, client):
    _traveler_with_countries(app, client)
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "Springfield, United States" in html and "Springfield, US" not in html
    assert "Mexico" in html and "Spain" in html
    assert ">MX<" not in html and "MX, " not in html and ", ES" not in html
    client.get("/language/es")
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "Springfield, Estados Unidos" in html
    assert "México" in html and "España" in html


def test_last_saved_is_shown_in_eastern_time_with_its_abbreviation_not_utc(app, client):
    # 18:14 UTC on July 1 is 2:14 PM in New York (daylight time); 15:05 UTC on January 15 is 10:05 AM (standard)
    _traveler_with_countries(app, client, saved_at=dt.datetime(2026, 7, 1, 18, 14, tzinfo=dt.UTC))
    html = client.get("/profile/summary").get_data(as_text=True)
    assert 'Last saved July 1, 2026 at 2:14 PM <abbr title="Eastern Daylight Time">EDT</abbr>' in html
    assert "UTC" not in html.split('data-testid="last-saved"')[1].split("</p>")[0]
    client.get("/language/es")
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "1 de julio de 2026" in html and "14:14" in html and ">EDT</abbr>" in html
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        profile.updated_at = dt.datetime(2026, 1, 15, 15, 5, tzinfo=dt.UTC)
        db.session.commit()
    client.get("/language/en")
    html = client.get("/profile/names").get_data(as_text=True)
    assert 'January 15, 2026 at 10:05 AM <abbr title="Eastern Standard Time">EST</abbr>' in html


def test_spanish_country_lists_sort_accented_names_as_a_dictionary_does(app, client):
    sign_in(client, "sofia.orden@example.com")
    client.get("/language/es")
    html = client.get("/profile/birth").get_data(as_text=True)
    listed = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', html)
    assert listed, "the birth step lists the countries"
    for first, then in (("Bélgica", "Bermudas"), ("Líbano", "Lituania"), ("Mónaco", "Mozambique"), ("Túnez", "Tuvalu")):
        assert listed.index(first) < listed.index(then), (first, then)
