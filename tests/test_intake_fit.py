"""The profile asks only what applies, in an order that makes sense, and Check your answers shows all of it:

- every answer that will be sent is shown before the declaration: sex, height and eye color and the mailing address
  too, on the profile's summary and at checkout;
- where the person lives is asked before the contact details, whose mailing address question names that home
  address; the mailing address is asked only after "No" (the page groups it for app.js to hide), and after "Yes"
  whatever is sent for it is neither checked nor kept;
- a list's error summary names the row and the field of each message, and links to it;
- the checkout's declaration is a tick box, still required;
- dates and numbers follow the page's language: a date's hint, its message and how it is read; the survey's limit;
- the step counter and the README say the same number of topics."""

from __future__ import annotations

import html
import re
from pathlib import Path

from sqlalchemy import select

from tests.factories import create_account, create_profile, sign_in, survey_invitation
from trusted_traveler.extensions import db
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

EMAIL = "fit@example.com"
README = Path(__file__).resolve().parent.parent / "README.md"


def _traveler(app, client, *, complete=True, **kwargs):
    with app.app_context():
        create_profile(create_account(EMAIL), complete=complete, **kwargs)
        db.session.commit()
    sign_in(client, EMAIL)


def _stored(app) -> ApplicantProfile:
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile).order_by(ApplicantProfile.id)).first()
        db.session.expunge(profile)
        return profile


def _rows(page: str) -> dict[str, str]:
    """The summary's single answers, label to value, as text."""
    found = re.findall(r"<dt[^>]*>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", page, re.S)
    return {_text(label): _text(value) for label, value in found}


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def _contact(**changes) -> dict:
    return {"email": EMAIL, "phone": "202-555-0123", "mailing_same_as_residential": "yes", **changes}


# --- 1. Check your answers shows every answer ----------------------------------------------------------------------


def test_the_profile_summary_shows_sex_height_eye_color_and_the_mailing_address(app, client):
    _traveler(app, client)  # female, 165 cm, brown eyes, mail at home
    rows = _rows(client.get("/profile/summary").get_data(as_text=True))
    assert rows["Sex"].startswith("Female")
    assert rows["Height"].startswith("5 ft 5 in")  # as the birth page asks it, feet and inches
    assert rows["Eye color"].startswith("Brown")
    assert rows["Mailing address"].startswith("The same as your home address")


def test_check_your_answers_shows_a_mailing_address_of_its_own_before_the_declaration(app, client):
    _traveler(app, client)
    client.post(
        "/profile/contact",
        data=_contact(
            mailing_same_as_residential="no",
            mailing_line1="PO Box 12",
            mailing_city="Reno",
            mailing_region="NV",
            mailing_postal_code="89501",
            mailing_country="US",
        ),
    )
    client.post("/apply", data={"programs": ["precheck"]})
    page = client.get("/checkout").get_data(as_text=True)
    rows = _rows(page)
    assert "PO Box 12" in rows["Mailing address"] and "Reno, NV 89501" in rows["Mailing address"]
    assert rows["Sex"].startswith("Female") and rows["Eye color"].startswith("Brown")
    assert page.index("PO Box 12") < page.index(">Declaration<")


def test_the_summary_names_coded_answers_never_their_codes(app, client):
    _traveler(app, client)
    client.get("/language/es")
    rows = _rows(client.get("/profile/summary").get_data(as_text=True))
    assert rows["Sexo"] not in ("F", "—") and rows["Color de ojos"] not in ("Brown", "—")


# --- 2. Questions that fit the answers before them ----------------------------------------------------------------


def test_where_you_live_is_asked_before_the_contact_details(app, client):
    _traveler(app, client, complete=False)
    steps = profiles.STEPS
    assert steps.index("addresses") < steps.index("contact")
    page = client.get("/profile/addresses").get_data(as_text=True)
    contact = client.get("/profile/contact").get_data(as_text=True)
    assert re.search(r'current-step">5<', page) and re.search(r'current-step">6<', contact)


def test_the_mailing_question_names_the_home_address_given_on_the_page_before(app, client):
    _traveler(app, client)  # lives at 1 Main St, Springfield
    page = html.unescape(client.get("/profile/contact").get_data(as_text=True))
    hint = re.search(r'id="mailing_same_as_residential-hint">(.*?)</div>', page, re.S).group(1)
    assert "Your home address is the one you live at now:" in hint
    with app.app_context():
        home = profiles.home_address(db.session.scalars(select(ApplicantProfile)).one())
        assert home.line1 in hint and home.city in hint


def test_before_any_address_the_mailing_question_says_what_a_home_address_is(app, client):
    _traveler(app, client, complete=False)
    page = html.unescape(client.get("/profile/contact").get_data(as_text=True))
    assert "Your home address is the one you live at now. You give it on the page “Where you have lived”." in page


def test_the_mailing_address_is_one_group_shown_only_after_no(app, client):
    _traveler(app, client)
    page = client.get("/profile/contact").get_data(as_text=True)
    group = re.search(r'<fieldset[^>]*id="mailing-address"[^>]*>(.*?)</fieldset>', page, re.S)
    assert 'data-shown-when="mailing_same_as_residential=no"' in group.group(0)
    for name in ("mailing_line1", "mailing_line2", "mailing_city", "mailing_region", "mailing_postal_code"):
        assert f'name="{name}"' in group.group(1)
    assert 'name="mailing_country"' in group.group(1)
    assert 'name="mailing_same_as_residential"' not in group.group(1)  # the question itself stays in view


def test_after_yes_a_mailing_address_sent_all_the_same_is_neither_checked_nor_kept(app, client):
    _traveler(app, client)
    response = client.post(
        "/profile/contact",
        data=_contact(mailing_line1="x" * 500, mailing_postal_code="not a zip", mailing_country="US"),
    )
    assert response.status_code == 302  # no message about answers to a question not asked
    profile = _stored(app)
    assert profile.mailing_same_as_residential is True
    assert (profile.mailing_line1, profile.mailing_postal_code, profile.mailing_country) == (None, None, None)


def test_after_no_the_mailing_address_is_needed_and_kept(app, client):
    _traveler(app, client)
    refused = client.post("/profile/contact", data=_contact(mailing_same_as_residential="no"))
    assert refused.status_code == 400
    assert "Enter the first line of your mailing address." in refused.get_data(as_text=True)
    saved = client.post(
        "/profile/contact",
        data=_contact(
            mailing_same_as_residential="no", mailing_line1="PO Box 12", mailing_city="Reno", mailing_country="IE"
        ),
    )
    assert saved.status_code == 302
    profile = _stored(app)
    assert (profile.mailing_same_as_residential, profile.mailing_line1, profile.mailing_country) == (
        False,
        "PO Box 12",
        "IE",
    )


# --- 3. The error summary names each row's field -----------------------------------------------------------------


def test_bad_from_and_to_months_are_two_summary_lines_each_naming_and_linking_its_field(app, client):
    _traveler(app, client)
    data = {
        "addresses-0-from_month": "13/2020",
        "addresses-0-to_month": "2021",
        "addresses-0-line1": "1 Main St",
        "addresses-0-city": "Reno",
        "addresses-0-postal_code": "89501",
        "addresses-0-country": "US",
    }
    response = client.post("/profile/addresses", data=data)
    assert response.status_code == 400
    summary = html.unescape(response.get_data(as_text=True).split("data-error-summary>")[1].split("</ul>")[0])
    links = re.findall(r'<a class="usa-link" href="#([^"]+)">([^<]+)</a>', summary)
    assert links == [
        ("addresses-0-from_month", "Address 1, From: Enter the month as MM/YYYY, like 04/2023."),
        ("addresses-0-to_month", "Address 1, To: Enter the month as MM/YYYY, like 04/2023."),
    ]


# --- 4. The declaration is a tick box -------------------------------------------------------------------------------


def test_the_declaration_is_a_tick_box_that_must_be_ticked(app, client):
    _traveler(app, client)
    client.post("/apply", data={"programs": ["precheck"]})
    page = client.get("/checkout").get_data(as_text=True)
    declaration = page.split('data-testid="declaration"')[1].split("</form>")[0]
    assert re.search(r'<input[^>]*type="checkbox"', declaration) and 'type="radio"' not in declaration
    assert "I confirm that the information I have given is true and complete." in declaration
    refused = client.post("/checkout", data={})
    assert refused.status_code == 400
    assert "Confirm the declaration to continue." in refused.get_data(as_text=True)
    ticked = client.post("/checkout", data={"confirm": "y"})
    assert ticked.status_code == 302 and "/sandbox/pay/" in ticked.headers["Location"]


# --- 5. Dates and numbers in the page's language ------------------------------------------------------------------


def test_a_spanish_page_gives_reads_and_explains_dates_in_one_order_whatever_the_browser(app, client):
    _traveler(app, client, complete=False)
    client.get("/language/es")
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    page = client.get("/profile/birth", headers=english_browser).get_data(as_text=True)
    assert "Por ejemplo, 12/04/2024" in page and "data-date-example" not in page
    birth = {
        "birth_city": "Quito",
        "birth_country": "EC",
        "sex": "F",
        "height_feet": "5",
        "height_inches": "4",
        "eye_color": "Brown",
    }
    refused = client.post("/profile/birth", data={**birth, "date_of_birth": "04/31/1990"}, headers=english_browser)
    assert refused.status_code == 400 and "12/04/2024" in refused.get_data(as_text=True)
    typed = client.post("/profile/birth", data={**birth, "date_of_birth": "12/04/1990"}, headers=english_browser)
    assert typed.status_code == 302
    assert _stored(app).date_of_birth.isoformat() == "1990-04-12"  # day first, as the hint and the message say


def test_the_surveys_limit_is_written_as_the_pages_language_writes_numbers(app, client):
    with app.app_context():
        token = survey_invitation("submission")
        db.session.commit()
    english = client.get(f"/feedback/submission?invitation={token}").get_data(as_text=True)
    assert "Up to 2,000 characters" in english
    client.get("/language/es")
    spanish = client.get(f"/feedback/submission?invitation={token}").get_data(as_text=True)
    assert "2.000" in spanish and "2,000" not in spanish


# --- 6. How many topics ---------------------------------------------------------------------------------------------


def test_the_readme_says_as_many_topics_as_the_pages_count(app, client):
    _traveler(app, client, complete=False)
    page = client.get("/profile/names").get_data(as_text=True)
    total = int(re.search(r'total-steps">\D*(\d+)<', page).group(1))
    words = {9: "nine", 10: "ten"}
    assert total == len(profiles.STEPS) - 1  # an adult's: all but the parent or guardian's
    assert f"in {words[total]} short topics" in README.read_text()
