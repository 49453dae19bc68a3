"""Hostile input on every traveler form (and the officer's request for information): huge, empty, control
characters, mixed scripts, SQL and HTML fragments, impossible dates. Each answer is a page with a field-level
message (400) or a save that keeps exactly what was typed (after the documented trim and NFC, and a name's words one
space apart) — never a 500, never markup echoed unescaped, never a value silently dropped.

Hypothesis picks one field of a valid submission and replaces it with a hostile value. The number of requests is
counted in HOSTILE_REQUESTS (docs/RELIABILITY.md quotes it; run with `-s` to see the tally printed)."""

from __future__ import annotations

import collections
import datetime as dt
import re
import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in, survey_invitation
from tests.test_which_program import CLEAN
from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import Application, InfoRequest
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.feedback.models import FeedbackResponse
from trusted_traveler.profiles.service import STEPS

EXAMPLES = 20
HOSTILE_REQUESTS: collections.Counter = collections.Counter()

# Markup that must never come back as markup: each is checked verbatim against every response.
HTML = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "<b onmouseover=alert(1)>x</b>",
    "</textarea><svg/onload=alert(1)>",
]
SQL = ["'; DROP TABLE applications; --", "1 OR 1=1", "Robert'); DELETE FROM profiles;--", "\\' UNION SELECT 1--"]
DATES = ["2023-02-30", "0000-00-00", "9999-99-99", "1899-12-31", "2024-13-01", "31/12/2020", "-1", "2147483648-01-01"]
MIXED = ["Ἀλέξανδρος Иван 李小龍 محمد", "Zoë\u0301 O’Brien", "\u202egnirts desrever", "ｆｕｌｌｗｉｄｔｈ", "😀🛂✈️"]

hostile = st.one_of(
    st.sampled_from(["", " ", "   \t  "]),
    st.integers(min_value=101, max_value=120_000).map(lambda n: "A" * n),  # huge
    st.text(alphabet=st.characters(categories=["Cc"]), min_size=1, max_size=4).map(lambda c: f"Ana{c}Lee"),
    st.sampled_from(HTML + SQL + DATES + MIXED),
    st.text(max_size=60),  # anything Unicode
    st.tuples(st.sampled_from(HTML + SQL + MIXED), st.text(max_size=10)).map("".join),
)


def normalized(value: str) -> str:
    return unicodedata.normalize("NFC", value).strip()


def check_response(response, value: str, tally: collections.Counter = HOSTILE_REQUESTS) -> str:
    """Never a 500; markup never echoed; a refusal names the field at fault on the page. Counted in `tally`."""
    tally[response.status_code] += 1
    assert response.status_code in (200, 302, 400), response.status_code
    html = response.get_data(as_text=True)
    for fragment in HTML:
        assert fragment not in html, "markup echoed unescaped"
    if response.status_code == 400:
        assert "usa-error-message" in html or 'data-testid="problem"' in html, "refused without a message"
    return html


def in_900_days(today: dt.date) -> str:
    """A due date or a document's expiry far enough ahead."""
    return (today + dt.timedelta(days=900)).isoformat()


def kept(page: str, value: str, *, name: bool = False) -> bool:
    """The value, as stored, is shown back (escaped) on the page; a person's `name` with its words one space apart."""
    stored = " ".join(normalized(value).split()) if name else normalized(value)
    return str(escape(stored)) in page or str(escape(value)) in page


def profile_steps(today: dt.date) -> dict[str, tuple[dict, list[str]]]:
    """Each intake step's valid answers, and the fields given hostile values. Dated from `today` (when the test
    runs): a passport valid for years yet, and histories from eight years back."""
    return {
        "names": (
            {
                "given_names": "Ana",
                "middle_names": "",
                "surname": "Lee",
                "other_names-0-given_names": "Ana",
                "other_names-0-surname": "Park",
                "other_names-0-kind": "maiden",
            },
            ["given_names", "middle_names", "surname", "other_names-0-surname", "other_names-0-kind"],
        ),
        "birth": (
            {
                "date_of_birth": "1990-05-17",
                "birth_city": "Oaxaca",
                "birth_region": "",
                "birth_country": "MX",
                "sex": "F",
                "height_feet": "5",
                "height_inches": "6",
                "eye_color": "Brown",
            },
            ["date_of_birth", "birth_city", "birth_region", "birth_country", "sex", "height_feet", "eye_color"],
        ),
        "citizenship": (
            {"citizenships-0-country": "US", "lawful_permanent_resident": "no"},
            ["citizenships-0-country", "lawful_permanent_resident"],
        ),
        "documents": (
            {
                "passports-0-issuing_country": "US",
                "passports-0-number": "123456789",
                "passports-0-expires_on": in_900_days(today),
            },
            [
                "passports-0-number",
                "passports-0-expires_on",
                "passports-0-issuing_country",
                "license_number",
                "green_card_number",
                "green_card_expires",
            ],
        ),
        "contact": (
            {
                "email": "ana@example.com",
                "phone": "+1 202 456 1111",
                "mailing_same_as_residential": "no",
                "mailing_line1": "1 Main St",
                "mailing_line2": "",
                "mailing_city": "Reno",
                "mailing_region": "NV",
                "mailing_postal_code": "89501",
                "mailing_country": "US",
            },
            [
                "email",
                "phone",
                "mailing_line1",
                "mailing_line2",
                "mailing_city",
                "mailing_region",
                "mailing_postal_code",
                "mailing_country",
            ],
        ),
        "addresses": (
            {
                "addresses-0-from_month": f"01/{today.year - 8}",
                "addresses-0-to_month": "",
                "addresses-0-line1": "1 Main St",
                "addresses-0-line2": "",
                "addresses-0-city": "Reno",
                "addresses-0-region": "NV",
                "addresses-0-postal_code": "89501",
                "addresses-0-country": "US",
            },
            [
                "addresses-0-from_month",
                "addresses-0-to_month",
                "addresses-0-line1",
                "addresses-0-line2",
                "addresses-0-city",
                "addresses-0-region",
                "addresses-0-postal_code",
                "addresses-0-country",
            ],
        ),
        "employment": (
            {
                "employment-0-from_month": f"01/{today.year - 8}",
                "employment-0-to_month": "",
                "employment-0-status": "employed",
                "employment-0-employer": "Acme",
                "employment-0-occupation": "Welder",
                "employment-0-city": "Reno",
                "employment-0-country": "US",
                "employment-0-phone": "",
            },
            [
                "employment-0-from_month",
                "employment-0-status",
                "employment-0-employer",
                "employment-0-occupation",
                "employment-0-city",
                "employment-0-phone",
            ],
        ),
        "travel": ({"travelled": "yes", "countries-0-country": "MX"}, ["travelled", "countries-0-country"]),
        "background": (
            {
                "has_offenses": "yes",
                "offenses-0-category": "dui",
                "offenses-0-status": "convicted",
                "offenses-0-date": "2010-03-04",
                "offenses-0-released_on": "",
                "offenses-0-details": "A fine.",
                "customs_immigration_violation": "no",
                "under_investigation": "no",
                "inadmissible_or_waiver": "no",
                "background_details": "Paid in full.",
            },
            [
                "offenses-0-category",
                "offenses-0-date",
                "offenses-0-released_on",
                "offenses-0-details",
                "background_details",
                "under_investigation",
            ],
        ),
        "guardian": (
            {
                "guardian_given_names": "Rosa",
                "guardian_surname": "Lee",
                "guardian_relationship": "mother",
                "guardian_email": "rosa@example.com",
                "guardian_reference": "",
                "consent": "y",
            },
            [
                "guardian_given_names",
                "guardian_surname",
                "guardian_relationship",
                "guardian_email",
                "guardian_reference",
            ],
        ),
    }


# Free text that a successful save must keep exactly (after trim and NFC); other fields are codes, numbers or dates
# whose accepted form is checked by their own tests.
FREE_TEXT = re.compile(r"(names|surname|city|region|line[12]|postal_code|employer|occupation|details|message)$")


@pytest.fixture
def traveler(app, client, today):
    with app.app_context():
        account = create_account("hostile@example.com")
        create_profile(account, dob=today.replace(year=today.year - 12))  # a minor: every step applies
        db.session.commit()
    sign_in(client, "hostile@example.com")
    return account


@pytest.mark.parametrize("step", STEPS)
def test_every_intake_step_answers_hostile_values_with_a_message_or_keeps_them(app, client, traveler, step, today):
    base, names = profile_steps(today)[step]

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(name=st.sampled_from(names), value=hostile)
    def run(name, value):
        response = client.post(f"/profile/{step}", data={**base, name: value})
        check_response(response, value)
        if response.status_code == 302 and FREE_TEXT.search(name) and normalized(value):
            page = client.get(f"/profile/{step}").get_data(as_text=True)
            assert kept(page, value, name=name.endswith(("names", "surname"))), (name, value)

    run()


def test_which_program_answers_hostile_values_with_a_message(client):
    base = {**CLEAN, "date_of_birth": "1990-05-17"}

    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(name=st.sampled_from(list(base) + ["offenses-0-date", "offenses-0-category"]), value=hostile)
    def run(name, value):
        check_response(client.post("/which-program", data={**base, name: value}), value)

    run()


def test_apply_answers_hostile_program_choices_with_a_message(app, client):
    with app.app_context():
        create_profile(create_account("chooser@example.com"))
        db.session.commit()
    sign_in(client, "chooser@example.com")

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(value=hostile)
    def run(value):
        check_response(client.post("/apply", data={"programs": [value]}), value)

    run()


def test_the_survey_answers_hostile_values_and_keeps_free_text_exactly(app, client):
    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(name=st.sampled_from(["satisfaction", "trust", "free_text", "identify", "application"]), value=hostile)
    def run(name, value):
        with app.app_context():
            before = db.session.scalar(select(db.func.count()).select_from(FeedbackResponse))
            invitation = survey_invitation("submission")  # each answer needs its own
            db.session.commit()
        data = {"satisfaction": "5", "free_text": "Fine.", "invitation": invitation, name: value}
        response = client.post("/feedback/submission", data=data)
        check_response(response, value)
        if response.status_code == 302 and name == "free_text":
            with app.app_context():
                latest = db.session.scalars(select(FeedbackResponse).order_by(FeedbackResponse.id.desc())).first()
                assert db.session.scalar(select(db.func.count()).select_from(FeedbackResponse)) == before + 1
                assert (latest.free_text or "") in (value, normalized(value)), "free text changed or dropped"

    run()


def _fresh_case(app, *, denied: bool):
    """A submitted Global Entry case with an open request for information (or denied), its traveler signed out."""
    today = service_today()
    with app.app_context():
        officer = create_account("hostile.officer@example.com", roles=("officer",))
        profile = create_profile(create_account(), surname="Hitman", dob=dt.date(1980, 1, 1))  # a sandbox hit
        application = create_application("global_entry", profile=profile, submitted=True)
        if denied:
            decisions.deny(application, by=officer, reason_codes=["not_low_risk"])
        else:
            decisions.request_info(
                application, by=officer, message="Send the record.", due_on=today + dt.timedelta(days=9), today=today
            )
        db.session.commit()
        return application.reference, application.profile.account.email


@pytest.mark.parametrize(
    ("form", "field", "denied"), [("answer", "answer", False), ("reconsideration", "statement", True)]
)
def test_answers_and_reconsideration_requests_answer_hostile_text_or_keep_it(app, client, form, field, denied):
    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(value=hostile)
    def run(value):
        reference, email = _fresh_case(app, denied=denied)
        sign_in(client, email)
        response = client.post(f"/applications/{reference}/{form}", data={field: value})
        check_response(response, value)
        if response.status_code == 302:
            with app.app_context():
                application = db.session.scalar(select(Application).where(Application.reference == reference))
                if form == "answer":
                    request = db.session.scalars(
                        select(InfoRequest).where(InfoRequest.application_id == application.id)
                    ).one()
                    assert request.answer == normalized(value), "the answer changed or was dropped"
                else:
                    assert application.status == "reconsideration_requested"

    run()


def test_the_officers_request_for_information_answers_hostile_values(app, client, today):
    reference, _ = _fresh_case(app, denied=False)
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        decisions.answer_info_request(application, by=application.profile.account, answer="Here.")
        db.session.commit()
    sign_in(client, "hostile.officer@example.com")

    @settings(max_examples=EXAMPLES * 2, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(name=st.sampled_from(["message", "due_on", "version"]), value=hostile)
    def run(name, value):
        page = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
        version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
        due_on = (today + dt.timedelta(days=20)).isoformat()  # a request is due within 90 days
        data = {"version": version, "message": "Send the court record.", "due_on": due_on, name: value}
        response = client.post(f"/officer/cases/{reference}/request-info", data=data)
        if response.status_code == 409:  # a tampered version: the case as it is now, saying so
            assert name == "version" and "This case changed while you were looking at it." in response.get_data(
                as_text=True
            )
            return
        check_response(response, value)
        if response.status_code == 302:
            with app.app_context():
                application = db.session.scalar(select(Application).where(Application.reference == reference))
                latest = db.session.scalars(
                    select(InfoRequest)
                    .where(InfoRequest.application_id == application.id)
                    .order_by(InfoRequest.id.desc())
                ).first()
                if decisions.open_info_request(application) is None:
                    return  # a tampered version: the officer is told the case changed and sees it as it is
                if name == "message":
                    assert latest.message in (value, normalized(value)), "the request changed or was dropped"
                decisions.answer_info_request(application, by=application.profile.account, answer="Here.")
                db.session.commit()

    run()


@pytest.mark.parametrize(
    "path",
    [
        "/checkout/return?token=abc%00def",  # read straight from the link, outside any form
        "/submitted?refs=TT2-AAAA-AAAA%00",
        "/applications/TT2-AAAA%00AAAA",  # in the path itself
        "/applications/TT2-AAAA%00AAAA/appointment",
        "/notifications?before=1%00",
    ],
)
def test_a_nul_in_a_links_address_or_parameters_is_not_found_not_an_error_page(app, client, path):
    """PostgreSQL cannot compare text holding NUL: a reference or token read outside WTForms (which refuses it per
    field, with a message) that reached a query was an error page. No reference or token holds NUL: not found."""
    with app.app_context():
        create_profile(create_account("nul@example.com"))
        db.session.commit()
    sign_in(client, "nul@example.com")
    response = client.get(path)
    assert response.status_code in (200, 404), response.status_code  # the notifications: as with no link
    if response.status_code == 404:
        assert (
            "could not find" in response.get_data(as_text=True).lower()
            or "not found" in response.get_data(as_text=True).lower()
        )


def test_a_nul_in_any_part_of_a_pages_address_is_not_found(app, client):
    """The rule at the door (web/input_guard.py), for every route with a text part: here an officer's case."""
    with app.app_context():
        create_account("nul.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "nul.officer@example.com")
    response = client.get("/officer/cases/TT2-AAAA%00AAAA")
    assert response.status_code == 404 and "Page not found" in response.get_data(as_text=True)


def test_zz_report_the_tally(capsys):
    """Prints how many hostile requests were sent and how they were answered (docs/RELIABILITY.md)."""
    with capsys.disabled():
        print(f"\nhostile input: {sum(HOSTILE_REQUESTS.values())} requests, by status {dict(HOSTILE_REQUESTS)}")  # noqa: T201
