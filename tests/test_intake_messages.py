"""What the intake says when an answer will not do, found by a reviewer walking the profile:

1. A long answer is never cut short: no control has a `maxlength` (the browser cut a 10,000-character paste to 4,000
   without a word, an emoji counting twice); the server refuses it with how long it may be and how long it is, and
   shows it again whole. Characters are counted once each, emoji included, and a line break is one.
2. A U.S. address's ZIP code is 5 digits or ZIP+4; other countries' postal codes are free-form.
3. No WTForms message of its own ("Not a valid integer value.") reaches a page, and a field says one thing at a time.
4. The mailing address's required fields are asked for in whole sentences.
5. An address history keeps the order the person gave its rows when it is saved with months missing.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from pathlib import Path

import pytest
import wtforms
from markupsafe import escape
from sqlalchemy import select

from tests.factories import create_account, create_hit_case, create_profile, sign_in
from tests.test_hostile_input import profile_steps
from trusted_traveler.extensions import db
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

EMAIL = "messages@example.com"
TOO_LONG = re.compile(r"Shorten this to [\d,.]+ characters or fewer: it has [\d,.]+\.")


@pytest.fixture
def traveler(app, client, today):
    """A signed-in minor (so every step, the guardian's too, applies) with a complete profile."""
    with app.app_context():
        create_profile(create_account(EMAIL), dob=today.replace(year=today.year - 12))
        db.session.commit()
    sign_in(client, EMAIL)


def stored(app) -> ApplicantProfile:
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        for name in ("addresses", "offenses", "documents"):
            getattr(profile, name)
        db.session.expunge(profile)
        return profile


def beside(page: str, field_id: str) -> list[str]:
    """The messages shown beside the field `field_id` (each is a <span id="FIELD-error">)."""
    return [
        html.unescape(m)
        for m in re.findall(rf'<span class="usa-error-message" id="{field_id}-error">(.*?)</span>', page)
    ]


def background(**changes) -> dict:
    return {
        "has_offenses": "no",
        "customs_immigration_violation": "no",
        "under_investigation": "yes",
        "inadmissible_or_waiver": "no",
        "background_details": "Questioned as a witness.",
        **changes,
    }


def contact(**changes) -> dict:
    return {
        "email": EMAIL,
        "phone": "202-555-0123",
        "mailing_same_as_residential": "no",
        "mailing_line1": "1 Main St",
        "mailing_city": "Reno",
        "mailing_postal_code": "89501",
        "mailing_country": "US",
        **changes,
    }


def address(today: dt.date, index: int = 0, **changes) -> dict:
    row = {
        "from_month": f"01/{today.year - 8}",
        "line1": "1 Main St",
        "city": "Reno",
        "postal_code": "89501",
        "country": "US",
        **changes,
    }
    return {f"addresses-{index}-{name}": value for name, value in row.items()}


# --- 1. Long answers: refused with their length, never cut short --------------------------------------------------


def test_a_10000_character_answer_is_refused_with_its_length_and_shown_again_whole(app, client, traveler):
    before = stored(app).background_details
    pasted = ("Stopped at the border in 2019; released the same day. 😀 " * 200)[:10_000]
    assert len(pasted) == 10_000
    response = client.post("/profile/background", data=background(background_details=pasted))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "background_details") == ["Shorten this to 4,000 characters or fewer: it has 10,000."]
    assert f"{escape(pasted)}</textarea>" in page  # every character typed, on the page again
    assert stored(app).background_details == before


def test_an_emoji_is_one_character_as_the_database_counts_it(app, client, traveler):
    assert client.post("/profile/background", data=background(background_details="😀" * 4000)).status_code == 302
    assert stored(app).background_details == "😀" * 4000
    refused = client.post("/profile/background", data=background(background_details="😀" * 4001))
    assert beside(refused.get_data(as_text=True), "background_details") == [
        "Shorten this to 4,000 characters or fewer: it has 4,001."
    ]


def test_a_line_break_is_one_character_though_the_browser_sends_two(app, client, traveler):
    """A text area posts each line break as CR LF; the page's count (the browser's value) has LF, one character.
    4,398 characters as posted are 3,999 as counted and kept."""
    posted = "\r\n".join(["Paid fine."[:9]] * 400)
    assert len(posted) == 4398
    assert client.post("/profile/background", data=background(background_details=posted)).status_code == 302
    assert stored(app).background_details == "\n".join(["Paid fine"] * 400)


def test_no_intake_control_has_a_maxlength_and_a_text_area_says_its_limit(app, client, traveler):
    for step in profile_steps(dt.date.today()):
        page = client.get(f"/profile/{step}").get_data(as_text=True)
        assert "maxlength" not in page, step
    page = client.get("/profile/background").get_data(as_text=True)
    textarea = re.search(r"<textarea[^>]*id=\"background_details\"[^>]*>", page).group(0)
    assert 'data-most="4000"' in textarea
    assert "background_details-count" in re.search(r'aria-describedby="([^"]*)"', textarea).group(1)
    assert (
        '<div class="usa-character-count__message usa-hint" id="background_details-count">You can enter up to ' in page
    )
    assert "You can enter up to 4,000 characters." in page
    city = re.search(r"<input[^>]*id=\"birth_city\"[^>]*>", client.get("/profile/birth").get_data(as_text=True))
    assert 'data-most="100"' in city.group(0)  # a field of one line is counted too (app.js speaks once it is over)


@pytest.mark.parametrize(
    ("step", "field", "data", "limit"),
    [
        ("birth", "birth_city", None, 100),
        ("contact", "mailing_city", contact(), 100),
        ("names", "surname", {"given_names": "Ana"}, 100),
        ("addresses", "addresses-0-line1", None, 200),
        ("background", "offenses-0-details", None, 2000),
        ("guardian", "guardian_reference", None, 20),
    ],
)
def test_every_limited_intake_field_says_its_limit_and_keeps_the_text(
    app, client, traveler, today, step, field, data, limit
):
    data = data if data is not None else profile_steps(today)[step][0]
    typed = "Ab" * limit  # twice as long as the field takes
    response = client.post(f"/profile/{step}", data={**data, field: typed})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, field)[:1] == [f"Shorten this to {limit:,} characters or fewer: it has {2 * limit:,}."]
    assert typed in page


def test_the_limit_is_said_in_spanish_with_spanish_numbers(app, client, traveler):
    client.get("/language/es")
    pasted = "x" * 10_000
    page = client.post("/profile/background", data=background(background_details=pasted)).get_data(as_text=True)
    assert beside(page, "background_details") == ["Acorte este texto a 4.000 caracteres o menos: tiene 10.000."]
    assert "Puede escribir hasta 4.000 caracteres." in page
    assert 'data-left="Quedan {count} caracteres"' in page and 'data-over-one="Sobra {count} carácter"' in page


def test_the_character_count_in_the_browser_counts_as_the_server_does():
    """app.js counts code points (Array.from) of the answer NFC-composed and trimmed, as AtMost counts it after
    clean_text; never `.length`, which counts an emoji twice."""
    script = (Path(__file__).resolve().parents[1] / "static/js/app.js").read_text()
    assert 'Array.from((value.normalize ? value.normalize("NFC") : value).trim()).length' in script
    assert "value.length" not in script


# --- 2. ZIP codes ---------------------------------------------------------------------------------------------------

ZIP_MESSAGE = "Enter a 5-digit ZIP code, like 20001, or a ZIP+4 code, like 20001-1234."


def test_a_us_mailing_address_needs_a_zip_code(app, client, traveler):
    before = stored(app).mailing_postal_code
    response = client.post("/profile/contact", data=contact(mailing_postal_code="7870A"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "mailing_postal_code") == [ZIP_MESSAGE]
    assert 'value="7870A"' in page and 'value="1 Main St"' in page
    assert stored(app).mailing_postal_code == before


def test_a_us_home_address_needs_a_zip_code(app, client, traveler, today):
    response = client.post("/profile/addresses", data=address(today, postal_code="ABCDE"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "addresses-0-postal_code") == [ZIP_MESSAGE]
    assert "Address 1, ZIP or postal code: " + ZIP_MESSAGE in html.unescape(page)  # the summary names row and field
    assert 'value="ABCDE"' in page


@pytest.mark.parametrize(
    ("typed", "kept"),
    [("78701", "78701"), ("78701-1234", "78701-1234"), ("787011234", "78701-1234"), (" 78701 1234 ", "78701-1234")],
)
def test_a_zip_code_or_zip_plus_4_is_accepted_and_kept_in_one_form(app, client, traveler, today, typed, kept):
    assert client.post("/profile/contact", data=contact(mailing_postal_code=typed)).status_code == 302
    assert client.post("/profile/addresses", data=address(today, postal_code=typed)).status_code == 302
    profile = stored(app)
    assert profile.mailing_postal_code == kept and profile.addresses[0].postal_code == kept


@pytest.mark.parametrize(("country", "postal_code"), [("CA", "K1A 0B1"), ("GB", "SW1A 1AA"), ("MX", "01000")])
def test_other_countries_postal_codes_are_free_form(app, client, traveler, today, country, postal_code):
    mailing = contact(mailing_country=country, mailing_postal_code=postal_code)
    assert client.post("/profile/contact", data=mailing).status_code == 302
    assert (
        client.post("/profile/addresses", data=address(today, country=country, postal_code=postal_code)).status_code
        == 302
    )
    profile = stored(app)
    assert profile.mailing_postal_code == postal_code and profile.addresses[0].postal_code == postal_code


def test_puerto_rico_uses_zip_codes_too(app, client, traveler, today):
    refused = client.post("/profile/addresses", data=address(today, country="PR", postal_code="PR-009"))
    assert beside(refused.get_data(as_text=True), "addresses-0-postal_code") == [ZIP_MESSAGE]
    assert client.post("/profile/addresses", data=address(today, country="PR", postal_code="00901")).status_code == 302


@pytest.mark.parametrize("country", ["US", "PR"])
def test_an_address_where_zip_codes_are_used_cannot_leave_it_out(app, client, traveler, today, country):
    refused = client.post("/profile/addresses", data=address(today, country=country, postal_code=""))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert beside(page, "addresses-0-postal_code") == ["Enter the ZIP code, like 20001. Every U.S. address has one."]
    assert 'value="1 Main St"' in page and 'value="Reno"' in page  # the rest of the row is kept
    mailing = client.post("/profile/contact", data=contact(mailing_country=country, mailing_postal_code=""))
    assert beside(mailing.get_data(as_text=True), "mailing_postal_code") == [
        "Enter the ZIP code, like 20001. Every U.S. address has one."
    ]


def test_an_address_abroad_may_have_no_postal_code(app, client, traveler, today):
    assert client.post("/profile/addresses", data=address(today, country="IE", postal_code="")).status_code == 302
    abroad = contact(mailing_country="IE", mailing_postal_code="")
    assert client.post("/profile/contact", data=abroad).status_code == 302


def test_a_mailing_address_that_is_the_home_address_is_not_checked(app, client, traveler):
    same = contact(mailing_same_as_residential="yes", mailing_postal_code="7870A")
    assert client.post("/profile/contact", data=same).status_code == 302
    assert stored(app).mailing_postal_code is None


# --- 3. Plain messages, one a field ---------------------------------------------------------------------------------


def _wtforms_messages() -> re.Pattern:
    """Every message WTForms has of its own (its catalog's), as a pattern whose placeholders match anything."""
    catalog = (Path(wtforms.__file__).parent / "locale/wtforms.pot").read_text()
    texts = re.findall(r'^msgid(?:_plural)? "(.+)"$', catalog, re.MULTILINE)
    return re.compile("|".join(re.sub(r"%\\\(\w+\\\)[sd]|%s", ".*?", re.escape(t)) for t in texts))


WTFORMS_MESSAGES = _wtforms_messages()


def test_feet_that_are_not_a_whole_number_get_one_plain_message(app, client, traveler):
    data = {**profile_steps(dt.date.today())["birth"][0], "height_feet": "5.5"}
    response = client.post("/profile/birth", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "height_feet") == ["Enter feet as a whole number between 1 and 8."]
    assert 'value="5.5"' in page
    words = client.post("/profile/birth", data={**data, "height_feet": "five"}).get_data(as_text=True)
    assert beside(words, "height_feet") == ["Enter feet as a whole number between 1 and 8."]
    # kept as typed: in a number box the browser would show "five" as empty
    feet = re.search(r'<input[^>]*id="height_feet"[^>]*>', words).group(0)
    assert 'value="five"' in feet and 'type="text"' in feet
    inches = re.search(r'<input[^>]*id="height_inches"[^>]*>', words).group(0)
    assert 'type="number"' in inches
    out_of_range = client.post("/profile/birth", data={**data, "height_feet": "12", "height_inches": "12"})
    assert beside(out_of_range.get_data(as_text=True), "height_feet") == [
        "Enter feet as a whole number between 1 and 8."
    ]
    assert beside(out_of_range.get_data(as_text=True), "height_inches") == [
        "Enter inches as a whole number between 0 and 11."
    ]


@pytest.mark.parametrize("typed", ["20245-04-12", "yesterday", "2024-02-30", "12.04.2024"])
def test_a_date_that_cannot_be_read_says_how_to_write_one(app, client, traveler, typed):
    data = {**profile_steps(dt.date.today())["birth"][0], "date_of_birth": typed}
    response = client.post("/profile/birth", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "date_of_birth") == ["Enter a real date, with a 4-digit year, like 04/12/2024."]
    assert f'value="{typed}"' in page


def test_a_date_typed_as_the_message_writes_it_is_read_in_the_readers_order(app, client, traveler):
    """A browser without a date field has the person type it: as the message's example is written, it is read."""
    data = profile_steps(dt.date.today())["birth"][0]
    assert client.post("/profile/birth", data={**data, "date_of_birth": "05/17/1990"}).status_code == 302
    assert stored(app).date_of_birth == dt.date(1990, 5, 17)
    client.get("/language/es")
    refused = client.post("/profile/birth", data={**data, "date_of_birth": "05/17/1990"})  # no 17th month
    assert beside(refused.get_data(as_text=True), "date_of_birth") == [
        "Escriba una fecha real, con el año en 4 dígitos, como 12/04/2024."
    ]
    assert client.post("/profile/birth", data={**data, "date_of_birth": "17/05/1991"}).status_code == 302
    assert stored(app).date_of_birth == dt.date(1991, 5, 17)


def test_an_answer_that_is_none_of_the_choices_gets_a_plain_message(app, client, traveler, today):
    data = {**profile_steps(today)["birth"][0], "birth_country": "ZZ", "sex": "Q"}
    page = client.post("/profile/birth", data=data).get_data(as_text=True)
    assert beside(page, "birth_country") == ["Choose one of the answers given."]
    assert beside(page, "sex") == ["Choose one of the answers given."]


JUNK = ["junk", "5.5", "20245-04-12", "99/99/9999", "-1", "x" * 5000]


@pytest.mark.parametrize("step", list(profile_steps(dt.date.today())))
def test_no_intake_page_shows_a_wtforms_message_or_two_messages_for_one_field(app, client, traveler, today, step):
    base, names = profile_steps(today)[step]
    for name in dict.fromkeys([*base, *names]):
        for value in JUNK:
            page = client.post(f"/profile/{step}", data={**base, name: value}).get_data(as_text=True)
            shown = re.findall(r'<span class="usa-error-message" id="([^"]+)-error">(.*?)</span>', page)
            found = WTFORMS_MESSAGES.search(" ".join(html.unescape(m) for _f, m in shown))
            assert found is None, (name, value, found and found.group(0))
            ids = [field for field, _m in shown]
            assert len(ids) == len(set(ids)), (name, value, shown)


# --- 4. The mailing address's required fields -----------------------------------------------------------------------


def test_a_mailing_address_asks_for_each_missing_part_in_a_whole_sentence(app, client, traveler):
    response = client.post(
        "/profile/contact", data=contact(mailing_line1="", mailing_city="", mailing_postal_code="", mailing_country="")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert beside(page, "mailing_line1") == ["Enter the first line of your mailing address."]
    assert beside(page, "mailing_city") == ["Enter the city or town of your mailing address."]
    assert beside(page, "mailing_country") == ["Choose the country of your mailing address."]
    assert f'value="{EMAIL}"' in page  # nothing else typed is lost
    client.get("/language/es")
    spanish = client.post("/profile/contact", data=contact(mailing_line1="", mailing_country="")).get_data(as_text=True)
    assert beside(spanish, "mailing_line1") == ["Escriba la primera línea de su dirección postal."]
    assert beside(spanish, "mailing_country") == ["Elija el país de su dirección postal."]


# --- 5. A history keeps the order the person gave it ---------------------------------------------------------------


def _rows(page: str, name: str = "line1") -> list[str]:
    return re.findall(rf'id="addresses-\d+-{name}"[^>]*value="([^"]*)"', page) or re.findall(
        rf'value="([^"]*)"[^>]*id="addresses-\d+-{name}"', page
    )


def test_saving_with_months_missing_keeps_each_address_where_the_person_put_it(app, client, traveler, today):
    oldest_first = {
        **address(today, 0, from_month=f"01/{today.year - 8}", to_month=f"01/{today.year - 2}", line1="1 Elm St"),
        **address(today, 1, from_month=f"05/{today.year - 2}", line1="9 Oak Ave", city="Denver", postal_code="80202"),
    }
    response = client.post("/profile/addresses", data=oldest_first)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Some months are missing" in page
    assert _rows(page) == ["1 Elm St", "9 Oak Ave"]  # Address 1 is still the one typed first
    assert _rows(client.get("/profile/addresses").get_data(as_text=True)) == ["1 Elm St", "9 Oak Ave"]
    assert [a.line1 for a in stored(app).addresses] == ["1 Elm St", "9 Oak Ave"]

    newest_first = {
        **address(today, 0, from_month=f"02/{today.year - 2}", line1="9 Oak Ave", city="Denver", postal_code="80202"),
        **address(today, 1, from_month=f"01/{today.year - 8}", to_month=f"01/{today.year - 2}", line1="1 Elm St"),
    }
    assert client.post("/profile/addresses", data=newest_first).status_code == 302  # no months missing: on
    assert _rows(client.get("/profile/addresses").get_data(as_text=True)) == ["9 Oak Ave", "1 Elm St"]


def test_the_officer_reads_a_history_newest_first_whatever_its_order(app, client, today):
    with app.app_context():
        reference = create_hit_case()
        profile = db.session.scalars(select(ApplicantProfile).where(ApplicantProfile.surname == "Hitman")).one()
        old = {"line1": "1 Elm St", "line2": None, "city": "Reno", "region": None, "postal_code": None, "country": "US"}
        rows = [  # oldest first, as the traveler gave them
            {**old, "from_month": dt.date(today.year - 8, 1, 1), "to_month": dt.date(today.year - 2, 1, 1)},
            {**old, "line1": "9 Oak Ave", "from_month": dt.date(today.year - 2, 2, 1), "to_month": None},
        ]
        profiles.save_step(profile, "addresses", by=profile.account, collections={"addresses": rows})
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    page = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert page.index("9 Oak Ave") < page.index("1 Elm St")
