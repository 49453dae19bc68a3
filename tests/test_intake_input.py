"""What the intake accepts: every answer that is wrong gets a specific message beside its field, keeps everything
typed, and saves nothing; never a 500.

1. Row numbers in field names are ASCII digits of sane length; others are ignored.
2. An answer of only spaces is no answer, and no text is longer than its column (a message, not a database error).
3. The Permanent Resident Card on the documents page agrees with the citizenship page's answer.
4. Offenses are dated between birth and today; an expiry date is within what the document can last.
5. Real names are accepted: periods after letters, apostrophes, hyphens, single spaces.
6. A parent's number means something for Global Entry only, and the guardian page says what PreCheck is instead.
7. A parent's number is matched with their surname: a wrong surname is told exactly what a number that does not
   exist is, so the field tells nobody whose numbers exist; only with the right surname is any other reason given.
"""

from __future__ import annotations

import datetime as dt
import html
import unicodedata

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.test_which_program import CLEAN
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import issue_membership
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

DOB = dt.date(1990, 5, 17)  # the factory's date of birth


def _traveler(app, client, *, dob=DOB, email="input@example.com"):
    """A signed-in traveler with a complete profile: a U.S. citizen, Luz Rivera, with a U.S. passport."""
    with app.app_context():
        create_profile(create_account(email), dob=dob)
        db.session.commit()
    sign_in(client, email)


def _profile(app, email="input@example.com"):
    """The stored profile of `email`, read in a context of its own; its lists are loaded before the context ends."""
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile).where(ApplicantProfile.account.has(email=email))).one()
        for name in ("documents", "offenses", "addresses", "employment", "other_names", "citizenships"):
            getattr(profile, name)
        db.session.expunge(profile)
        return profile


def _text(response) -> str:
    """The page as a reader sees it: entities such as &#39; decoded."""
    return html.unescape(response.get_data(as_text=True))


def _errors(response) -> list[str]:
    """The messages shown beside fields."""
    page = response.get_data(as_text=True)
    return [
        html.unescape(part.split("</span>", 1)[0].split(">", 1)[1])
        for part in page.split('class="usa-error-message"')[1:]
    ]


def _passport(today: dt.date, **changes) -> dict:
    return {
        "passports-0-issuing_country": "US",
        "passports-0-number": "123456789",
        "passports-0-expires_on": (today + dt.timedelta(days=900)).isoformat(),
        **changes,
    }


def _background(**changes) -> dict:
    return {
        "has_offenses": "no",
        "customs_immigration_violation": "no",
        "under_investigation": "no",
        "inadmissible_or_waiver": "no",
        "background_details": "",
        **changes,
    }


def _offense(date: dt.date | str, **changes) -> dict:
    return _background(
        has_offenses="yes",
        **{
            "offenses-0-category": "dui",
            "offenses-0-status": "convicted",
            "offenses-0-date": date if isinstance(date, str) else date.isoformat(),
            "offenses-0-details": "A fine, paid.",
            **changes,
        },
    )


# --- 1. Row numbers ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "index",
    ["²", "١", "0" * 5000, "1" * 5000, "1000"],
    ids=["superscript-two", "arabic-indic-one", "5000-zeros", "5000-ones", "four-digits"],
)
def test_a_row_number_that_is_not_one_to_three_ascii_digits_is_ignored_and_the_page_keeps_the_rows(app, client, index):
    _traveler(app, client)
    data = {
        "addresses-0-from_month": "01/2015",
        "addresses-0-line1": "1 Elm St",
        "addresses-0-city": "Reno",
        "addresses-0-country": "US",
        "addresses-0-postal_code": "02134",
        f"addresses-{index}-line1": "9 Forged Rd",
    }
    response = client.post("/profile/addresses", data={**data, "later": "1"})
    assert response.status_code == 302  # saved: the odd name is not a row
    assert [a.line1 for a in _profile(app).addresses] == ["1 Elm St"]


@pytest.mark.parametrize(
    "index", ["²", "1" * 5000, "-1", " 0"], ids=["superscript-two", "5000-ones", "negative", "space-first"]
)
def test_a_remove_button_with_an_odd_row_number_removes_nothing_and_keeps_what_was_typed(app, client, index):
    _traveler(app, client)
    data = {"addresses-0-from_month": "01/2015", "addresses-0-line1": "1 Elm St", "action": f"remove:addresses:{index}"}
    response = client.post("/profile/addresses", data=data)
    assert response.status_code == 200
    assert 'value="1 Elm St"' in response.get_data(as_text=True)


def test_the_public_check_ignores_an_odd_row_number_too(client):
    response = client.post("/which-program", data={"has_offenses": "yes", "offenses-²-date": "2020-01-01"})
    assert response.status_code == 400
    assert "Add each conviction or pending charge." in _text(response)  # the odd row is no row


# --- 2. Only spaces is no answer; nothing longer than its column --------------------------------------------------


def test_answers_of_only_spaces_in_optional_fields_are_saved_as_no_answer(app, client, today):
    _traveler(app, client)
    work = client.post(
        "/profile/employment",
        data={
            "employment-0-from_month": f"01/{today.year - 8}",
            "employment-0-status": "employed",
            "employment-0-employer": "Acme",
            "employment-0-occupation": " " * 300,
            "employment-0-phone": " \t" * 20,  # the column holds 32 (PostgreSQL cuts only spaces to fit)
        },
    )
    assert work.status_code == 302, _errors(work)
    background = client.post(
        "/profile/background",
        data=_offense(
            "2010-03-04",
            **{"offenses-0-details": "\r\n" * 1500, "background_details": "\n" * 4500},  # columns of 2,000 and 4,000
        ),
    )
    assert background.status_code == 302, _errors(background)
    documents = client.post("/profile/documents", data={**_passport(today), "green_card_number": "   "})
    assert documents.status_code == 302, _errors(documents)
    contact = client.post(
        "/profile/contact",
        data={"email": "input@example.com", "phone": "202-555-0123", "mailing_same_as_residential": "yes"},
    )
    assert contact.status_code == 302

    profile = _profile(app)
    (job,) = profile.employment
    assert (job.employer, job.occupation, job.phone) == ("Acme", None, None)
    assert (profile.offenses[0].details, profile.background_details) == (None, None)
    assert [d.kind for d in profile.documents] == ["passport"]  # no card saved as "   "


def test_a_required_answer_of_only_spaces_is_asked_for_again(app, client):
    _traveler(app, client)
    response = client.post(
        "/profile/contact",
        data={"email": "input@example.com", "phone": " " * 40, "mailing_same_as_residential": "yes"},
    )
    assert response.status_code == 400
    assert "Enter a phone number." in _errors(response)


def test_background_details_of_only_spaces_do_not_explain_a_yes(app, client):
    _traveler(app, client)
    response = client.post(
        "/profile/background", data=_background(under_investigation="yes", background_details=" " * 5000)
    )
    assert response.status_code == 400
    assert "Tell us more about each question you answered 'yes'." in _errors(response)


@pytest.mark.parametrize(
    ("step", "field", "limit", "data"),
    [
        ("background", "background_details", 4000, _background(under_investigation="yes")),
        ("background", "offenses-0-details", 2000, _offense("2010-03-04")),
        (
            "contact",
            "mailing_line1",
            200,
            {
                "email": "a@example.com",
                "phone": "2025550123",
                "mailing_same_as_residential": "no",
                "mailing_city": "Reno",
                "mailing_country": "US",
            },
        ),
        ("names", "surname", 100, {"given_names": "Ana"}),
    ],
)
def test_an_answer_longer_than_its_column_is_refused_beside_the_field_and_kept(app, client, step, field, limit, data):
    _traveler(app, client)
    before = _profile(app)
    value = "Lee" + "x" * (limit - 2)  # one character too many
    response = client.post(f"/profile/{step}", data={**data, field: value})
    assert response.status_code == 400
    assert f"Shorten this to {limit:,} characters or fewer: it has {limit + 1:,}." in _errors(response)
    assert value in response.get_data(as_text=True)  # nothing typed is lost
    after = _profile(app)
    assert (after.background_details, after.surname, after.mailing_line1) == (
        before.background_details,
        before.surname,
        before.mailing_line1,
    )


def test_the_longest_answer_a_column_holds_is_saved_whole(app, client):
    _traveler(app, client)
    details = ("Paid in full. " * 300)[:4000]  # the column holds 4,000
    response = client.post(
        "/profile/background", data=_background(under_investigation="yes", background_details=details)
    )
    assert response.status_code == 302
    assert len(_profile(app).background_details) == 4000


# --- 3. The Permanent Resident Card agrees with the citizenship answer ---------------------------------------------

CARD_MISSING_MESSAGE = (
    "You said you hold a Permanent Resident Card (on the Citizenship page). Enter its number, or change that answer."
)
CARD = {"green_card_number": "A12345678", "green_card_expires": "", "license_state": ""}


def _card(today: dt.date) -> dict:
    return {**CARD, "green_card_expires": (today + dt.timedelta(days=900)).isoformat()}


def _citizenship(client, *, green_card: str, country: str = "MX"):
    return client.post(
        "/profile/citizenship", data={"citizenships-0-country": country, "lawful_permanent_resident": green_card}
    )


def test_after_answering_no_green_card_the_documents_page_does_not_ask_for_one_and_keeps_none_sent(app, client, today):
    _traveler(app, client)
    _citizenship(client, green_card="no")
    page = client.get("/profile/documents").get_data(as_text=True)
    assert "green_card_number" not in page and "green_card_expires" not in page
    assert "Permanent Resident Card number" not in page
    # a card sent all the same (an old page, a hand-made post) is neither refused nor kept
    response = client.post(
        "/profile/documents", data={**_passport(today, **{"passports-0-issuing_country": "MX"}), **_card(today)}
    )
    assert response.status_code == 302
    assert [d.kind for d in _profile(app).documents] == ["passport"]
    # nor is a card needed for the page to count as done, nor its expiry date, even an unreadable one
    again = client.post(
        "/profile/documents",
        data={**_passport(today, **{"passports-0-issuing_country": "MX"}), "green_card_expires": "soon"},
    )
    assert again.status_code == 302


def test_after_answering_no_green_card_no_document_at_all_asks_only_for_what_the_page_offers(app, client):
    _traveler(app, client)
    _citizenship(client, green_card="no")
    html = client.post("/profile/documents", data={"license_state": ""}).get_data(as_text=True)
    assert "Add at least one document: a passport or a license." in html
    assert "Permanent Resident Card" not in html


def test_after_answering_yes_the_card_is_asked_as_needed_not_if_you_have_one(app, client, today):
    _traveler(app, client)
    _citizenship(client, green_card="yes")
    page = client.get("/profile/documents").get_data(as_text=True)
    assert ">Permanent Resident Card number<" in page and "(if you have one)" not in page


def test_a_yes_to_the_green_card_question_needs_the_cards_number(app, client, today):
    _traveler(app, client)
    _citizenship(client, green_card="yes")
    response = client.post("/profile/documents", data=_passport(today, **{"passports-0-issuing_country": "MX"}))
    assert response.status_code == 400
    assert CARD_MISSING_MESSAGE in _errors(response)
    saved = client.post(
        "/profile/documents", data={**_passport(today, **{"passports-0-issuing_country": "MX"}), **_card(today)}
    )
    assert saved.status_code == 302
    profile = _profile(app)
    assert profile.lawful_permanent_resident is True
    assert sorted(d.kind for d in profile.documents) == ["passport", "permanent_resident_card"]


def test_changing_the_answer_after_saving_the_card_sends_the_traveler_to_put_the_documents_right(app, client, today):
    _traveler(app, client)
    _citizenship(client, green_card="yes")
    saved = client.post(
        "/profile/documents", data={**_passport(today, **{"passports-0-issuing_country": "MX"}), **_card(today)}
    )
    assert saved.status_code == 302

    response = _citizenship(client, green_card="no")  # the answer is saved: nothing typed is refused or lost

    assert response.headers["Location"] == "/profile/documents"
    page = client.get("/profile/documents").get_data(as_text=True)
    assert "green_card_number" not in page  # not asked after a "No": the page says the card goes once saved
    assert "the card you gave before will be removed when you save this page" in page
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        assert profiles.missing_steps(profile, today) == ["documents"]
    assert client.get("/apply").headers["Location"] == "/profile"  # no application rests on the two
    fixed = client.post("/profile/documents", data=_passport(today, **{"passports-0-issuing_country": "MX"}))
    assert fixed.status_code == 302
    with app.app_context():
        assert profiles.missing_steps(db.session.scalars(select(ApplicantProfile)).one(), today) == []


def test_the_documents_page_asks_nothing_of_the_card_before_the_citizenship_question_is_answered(app, client, today):
    with app.app_context():
        create_profile(create_account("new@example.com"), complete=False)
        profile = db.session.scalars(select(ApplicantProfile)).one()
        profile.citizenships.clear()
        db.session.commit()
    sign_in(client, "new@example.com")
    response = client.post("/profile/documents", data={**_passport(today), **_card(today)})
    assert response.status_code == 302


# --- 4. Dates: offenses between birth and today, expiry within what a document lasts -------------------------------


def test_an_offense_dated_before_the_date_of_birth_is_refused_and_nothing_typed_is_lost(app, client):
    _traveler(app, client)
    response = client.post("/profile/background", data=_offense("1985-01-01"))
    assert response.status_code == 400
    assert "This date is before your date of birth (1990-05-17). Check the date." in _errors(response)
    page = response.get_data(as_text=True)
    assert 'value="1985-01-01"' in page and "A fine, paid." in page
    assert _profile(app).offenses == []


def test_an_offense_on_the_date_of_birth_or_later_is_accepted(app, client):
    _traveler(app, client)
    assert client.post("/profile/background", data=_offense(DOB)).status_code == 302
    assert [o.date for o in _profile(app).offenses] == [DOB]


def test_an_offense_dated_in_the_future_is_refused(app, client, today):
    _traveler(app, client)
    response = client.post("/profile/background", data=_offense(today + dt.timedelta(days=1)))
    assert response.status_code == 400
    assert "This date is in the future. Enter a date up to today." in _errors(response)


def test_the_public_check_refuses_an_offense_before_the_birth_date_it_was_given(client):
    data = {
        **CLEAN,
        "date_of_birth": "1990-05-17",
        "has_offenses": "yes",
        "offenses-0-category": "dui",
        "offenses-0-status": "convicted",
        "offenses-0-date": "1980-01-01",
    }
    response = client.post("/which-program", data=data)
    assert response.status_code == 400
    assert "This date is before your date of birth (1990-05-17). Check the date." in _text(response)


def _years_on(today: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February: the 28th)."""
    return dt.date(today.year + years, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)


@pytest.mark.parametrize(
    ("field", "years", "document"),
    [
        ("passports-0-expires_on", 10, {}),
        ("green_card_expires", 10, CARD),
        ("license_expires", 50, {"license_state": "AZ", "license_number": "D12345678"}),  # Arizona's: until 65
    ],
)
def test_an_expiry_further_ahead_than_the_document_lasts_is_refused(app, client, today, field, years, document):
    _traveler(app, client)
    _citizenship(client, green_card="yes" if document is CARD else "no")
    data = {**_passport(today, **{"passports-0-issuing_country": "MX"}), **document}
    last_day = _years_on(today, years)
    message = (
        f"This date is more than {years} years away, longer than such a document lasts. Check the expiry date on the "
        "document."
    )

    for too_late in ("9999-12-31", (last_day + dt.timedelta(days=1)).isoformat()):
        response = client.post("/profile/documents", data={**data, field: too_late})
        assert response.status_code == 400
        assert message in _errors(response)
        assert f'value="{too_late}"' in response.get_data(as_text=True)

    assert client.post("/profile/documents", data={**data, field: last_day.isoformat()}).status_code == 302


# --- 5. Real names ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "surname", ["O’Brien", "O'Brien", "Núñez", "St. John", "J. R. R.", "J.R.R.", "Smith Jr.", "Mary-Jane", "D’Souza-Ng"]
)
def test_real_names_are_accepted_as_typed(app, client, surname):
    _traveler(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana María", "surname": surname})
    assert response.status_code == 302, _errors(response)
    assert _profile(app).surname == surname


@pytest.mark.parametrize(
    "surname",
    [
        "Adébáyọ̀",  # ọ̀: o, dot below, grave; NFC composes ọ and leaves the grave a combining mark
        "Ą̃žuolas",  # Lithuanian ą̃: no composed form either
        "प्रिया",  # Devanagari: a virama and a vowel sign
        "สมศักดิ์",  # Thai: vowel and tone marks
    ],
)
def test_letters_written_with_combining_marks_are_letters(app, client, surname):
    """Some letters have no composed form, and whole scripts write vowels as marks on consonants: those names are
    real names, kept as typed (composed where Unicode can)."""
    _traveler(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana", "surname": surname})
    assert response.status_code == 302, _errors(response)
    assert _profile(app).surname == unicodedata.normalize("NFC", surname)


@pytest.mark.parametrize("surname", ["\u0301Lee", "Lee-\u0301Park", "Lee \u0301", "Lee'\u0300s"])
def test_a_combining_mark_that_follows_no_letter_is_refused(app, client, surname):
    _traveler(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana", "surname": surname})
    assert response.status_code == 400
    assert "Use letters only, with spaces, hyphens or apostrophes between names." in _errors(response)
    assert _profile(app).surname == "Rivera"


@pytest.mark.parametrize("typed", ["St.  John", "St. \tJohn", "St.\u00a0John", "  St. John  "])
def test_spaces_between_the_words_of_a_name_are_one_space(app, client, typed):
    _traveler(app, client)
    assert client.post("/profile/names", data={"given_names": "Ana", "surname": typed}).status_code == 302
    assert _profile(app).surname == "St. John"


@pytest.mark.parametrize(
    "surname", ["Lee3", "R2-D2", "Lee!", "@Lee", "Lee--Park", "-Lee", "Lee-", "Lee..", ".Lee", "Lee ."]
)
def test_digits_symbols_and_stray_punctuation_in_a_name_are_refused_and_kept_on_the_page(app, client, surname):
    _traveler(app, client)
    response = client.post("/profile/names", data={"given_names": "Ana", "surname": surname})
    assert response.status_code == 400
    assert "Use letters only, with spaces, hyphens or apostrophes between names." in _errors(response)
    assert f'value="{escape(surname)}"' in response.get_data(as_text=True)
    assert _profile(app).surname == "Rivera"


def test_a_guardians_and_an_other_name_follow_the_same_rule(app, client, today):
    _traveler(app, client, dob=today.replace(year=today.year - 12, day=1))
    names = client.post(
        "/profile/names",
        data={
            "given_names": "Sam",
            "surname": "St. John",
            "other_names-0-surname": "O’Brien",
            "other_names-0-kind": "previous",
        },
    )
    assert names.status_code == 302
    guardian = client.post(
        "/profile/guardian",
        data={
            "guardian_given_names": "J. R.",
            "guardian_surname": "St.  John",
            "guardian_relationship": "father",
            "guardian_email": "jr@example.com",
            "consent": "y",
        },
    )
    assert guardian.status_code == 302, _errors(guardian)
    profile = _profile(app)
    assert (profile.guardian_given_names, profile.guardian_surname) == ("J. R.", "St. John")
    assert [o.surname for o in profile.other_names] == ["O’Brien"]


# --- 6. A parent's number: Global Entry only ---------------------------------------------------------------------

PRECHECK_NUMBER_MESSAGE = (
    "That is a TSA PreCheck number. Only a parent or guardian's Global Entry membership or application waives a fee "
    "(the Global Entry fee): enter their Global Entry number, or leave this empty."
)
GUARDIAN = {
    "guardian_given_names": "Ada",
    "guardian_surname": "Okoro",
    "guardian_relationship": "mother",
    "guardian_email": "parent@example.com",
    "consent": "y",
}


def _parent_with_precheck(app, today) -> tuple[str, str]:
    """A parent who is a TSA PreCheck member; returns their Known Traveler Number and application reference."""
    with app.app_context():
        parent = create_profile(create_account("parent@example.com"), given_names="Ada", surname="Okoro")
        application = create_application("precheck", profile=parent, submitted=True)
        membership = issue_membership(application, today=today)
        db.session.commit()
        return membership.ktn, application.reference


@pytest.mark.parametrize("which", ["ktn", "reference"])
def test_a_parents_precheck_number_is_refused_with_the_reason_and_nothing_typed_is_lost(app, client, today, which):
    ktn, reference = _parent_with_precheck(app, today)
    number = ktn if which == "ktn" else reference
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1), email="kid@example.com")

    response = client.post("/profile/guardian", data={**GUARDIAN, "guardian_reference": number})

    assert response.status_code == 400
    assert PRECHECK_NUMBER_MESSAGE in _errors(response)
    page = response.get_data(as_text=True)
    assert f'value="{number}"' in page and 'value="Okoro"' in page
    assert _profile(app, "kid@example.com").guardian_profile_id is None


def test_a_parents_global_entry_number_still_links_them(app, client, today):
    with app.app_context():
        parent = create_profile(create_account("parent@example.com"), given_names="Ada", surname="Okoro")
        reference = create_application("global_entry", profile=parent, submitted=True).reference
        db.session.commit()
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1), email="kid@example.com")
    response = client.post("/profile/guardian", data={**GUARDIAN, "guardian_reference": reference})
    assert response.status_code == 302
    assert _profile(app, "kid@example.com").guardian_profile_id is not None


def test_the_guardian_page_says_the_number_is_for_global_entry_and_what_a_parents_precheck_means(app, client, today):
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1))
    page = _text(client.get("/profile/guardian"))
    assert (
        "Global Entry only: if your parent or guardian is a Global Entry member or is applying now, you pay no " in page
    )
    assert (
        "children 17 and under can go through the PreCheck lane with a parent or guardian who has it (from age 13, "
        "when on the same reservation)."
    ) in page


# --- 7. A parent's number is matched with their surname: no answer tells whose numbers exist -----------------------

NOT_FOUND_MESSAGE = (
    "We could not find a Global Entry application or membership with that number and that surname. Check that both "
    "are as written on their application, or leave the number empty."
)
NOWHERE = "TT2-ZZZZ-ZZZZ"  # a well-formed reference no application has


def _someones_number(app, today, holder: str) -> str:
    """The number of someone whose surname is Okoro, and the minor's own (input@example.com, Luz Rivera, 15):
    a Global Entry applicant's reference or member's KTN, a PreCheck member's, or a 15-year-old brother's."""
    with app.app_context():
        if holder == "own":
            kid = db.session.scalars(
                select(ApplicantProfile).where(ApplicantProfile.account.has(email="input@example.com"))
            ).one()
            number = create_application("global_entry", profile=kid).reference
        else:
            dob = today.replace(year=today.year - 15, day=1) if holder == "brother" else DOB
            holder_profile = create_profile(create_account("holder@example.com"), surname="Okoro", dob=dob)
            program = "precheck" if holder.startswith("precheck") else "global_entry"
            application = create_application(program, profile=holder_profile, submitted=True)
            number = application.reference
            if holder.endswith("member"):
                number = issue_membership(application, today=today).ktn
        db.session.commit()
        return number


@pytest.mark.parametrize(
    "holder", ["global_entry_applicant", "global_entry_member", "precheck_member", "brother", "own"]
)
def test_a_real_number_with_a_wrong_surname_is_told_exactly_what_a_number_that_does_not_exist_is(
    app, client, today, holder
):
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1))
    number = _someones_number(app, today, holder)
    wrong = {**GUARDIAN, "guardian_surname": "Smith"}

    missing = client.post("/profile/guardian", data={**wrong, "guardian_reference": NOWHERE})
    real = client.post("/profile/guardian", data={**wrong, "guardian_reference": number})

    assert (missing.status_code, real.status_code) == (400, 400)
    assert _errors(real) == _errors(missing) == [NOT_FOUND_MESSAGE]
    assert _profile(app).guardian_profile_id is None


def test_a_refused_number_and_surname_keep_everything_typed_on_the_page(app, client, today):
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1))
    number = _someones_number(app, today, "global_entry_applicant")
    typed = {**GUARDIAN, "guardian_surname": "O’Neil-Smith", "guardian_reference": number.lower()}

    response = client.post("/profile/guardian", data=typed)

    assert response.status_code == 400 and _errors(response) == [NOT_FOUND_MESSAGE]
    page = response.get_data(as_text=True)
    for name in ("guardian_given_names", "guardian_surname", "guardian_email", "guardian_reference"):
        assert f'value="{escape(typed[name])}"' in page, name
    assert '<option selected value="mother">' in page
    assert _profile(app).guardian_surname != "O’Neil-Smith"  # nothing saved


@pytest.mark.parametrize("typed", ["núñez-o'brien", "NUNEZ O’BRIEN", "Nunez Obrien", "Núñez-O’Brien"])
def test_the_holders_surname_in_another_case_accents_or_spacing_links_them_and_waives_the_fee(
    app, client, today, typed
):
    with app.app_context():
        parent = create_profile(create_account("parent@example.com"), given_names="Ada", surname="Núñez-O'Brien")
        reference = create_application("global_entry", profile=parent, submitted=True).reference
        parent_id = parent.id
        db.session.commit()
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1))

    response = client.post(
        "/profile/guardian", data={**GUARDIAN, "guardian_surname": typed, "guardian_reference": reference}
    )

    assert response.status_code == 302, _errors(response)
    assert _profile(app).guardian_profile_id == parent_id
    assert "no fee: your parent or guardian is a member or is applying" in _text(client.get("/apply"))
    client.post("/apply", data={"programs": ["global_entry"]})
    with app.app_context():
        (draft,) = db.session.scalars(
            select(Application).where(Application.profile.has(ApplicantProfile.account.has(email="input@example.com")))
        ).all()
        assert (str(draft.fee), draft.fee_waiver_reason) == ("0.00", "minor_with_member_parent")


@pytest.mark.parametrize("which", ["ktn", "reference"])
def test_a_precheck_numbers_reason_is_given_only_with_its_holders_surname(app, client, today, which):
    ktn, reference = _parent_with_precheck(app, today)  # Ada Okoro's
    number = ktn if which == "ktn" else reference
    _traveler(app, client, dob=today.replace(year=today.year - 15, day=1), email="kid@example.com")

    wrong = client.post(
        "/profile/guardian", data={**GUARDIAN, "guardian_surname": "Smith", "guardian_reference": number}
    )
    right = client.post(
        "/profile/guardian", data={**GUARDIAN, "guardian_surname": "okoro", "guardian_reference": number}
    )

    assert _errors(wrong) == [NOT_FOUND_MESSAGE]
    assert _errors(right) == [PRECHECK_NUMBER_MESSAGE]


@pytest.mark.parametrize(
    "typed, on_record, same",
    [
        ("Okoro", "Okoro", True),
        ("OKORO", "okoro", True),
        ("Nunez", "Núñez", True),
        ("Nuñez", "Núñez", True),  # the accent typed as a combining mark
        ("de la Cruz", "De La Cruz", True),
        ("DelaCruz", "De la Cruz", True),
        ("O'Brien", "O’Brien", True),
        ("Smith-Jones", "Smith Jones", True),
        ("St. John", "St John", True),
        ("Okoro", "Okora", False),
        ("Okoro", "Okoro-Smith", False),
        ("", "", False),  # an empty surname matches nothing, not even an empty one
        (None, None, False),
        ("-", "'", False),
    ],
)
def test_surnames_are_compared_whatever_their_case_accents_spaces_hyphens_and_apostrophes(typed, on_record, same):
    assert profiles.same_surname(typed, on_record) is same
