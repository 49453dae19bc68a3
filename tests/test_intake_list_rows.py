"""The intake's lists of rows: Enter in a field saves the page (the form's first submit button is "Save and
continue", not the first row's "Remove"), each row is a fieldset named with its number, the error summary says which
row a message is about, and radio groups and check boxes in error point at their message. The real browser's Enter is
in tests/browser/test_list_rows.py."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import select

from tests.factories import create_account, create_profile, sign_in
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile


class _StepForm(HTMLParser):
    """The step page's form: its submit buttons in tree order (attributes and text), and every input's attributes."""

    def __init__(self):
        super().__init__()
        self.depth = 0  # inside the step form while > 0
        self.buttons: list[dict] = []
        self.inputs: dict[str, dict] = {}
        self._button: dict | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "usa-form--large" in (attrs.get("class") or ""):
            self.depth = 1
            return
        if not self.depth:
            return
        if tag == "form":
            self.depth += 1
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self._button = {**attrs, "text": ""}
            self.buttons.append(self._button)
        elif tag == "input" and attrs.get("type") == "submit":
            self.buttons.append({**attrs, "text": attrs.get("value", "")})
        if tag == "input" and attrs.get("id"):
            self.inputs[attrs["id"]] = attrs

    def handle_endtag(self, tag):
        if tag == "form" and self.depth:
            self.depth -= 1
        elif tag == "button":
            self._button = None

    def handle_data(self, data):
        if self._button is not None:
            self._button["text"] += data


def _step_form(html: str) -> _StepForm:
    parsed = _StepForm()
    parsed.feed(html)
    assert parsed.buttons, "no step form on the page"
    return parsed


def _traveler(app, client, email="rows@example.com", **profile):
    with app.app_context():
        create_profile(create_account(email), **profile)
        db.session.commit()
    sign_in(client, email)


def _two_addresses(today: dt.date, **second) -> dict:
    """Two address rows with no months missing in the last 5 years; `second` overrides the second row's fields."""
    return {
        "addresses-0-from_month": f"01/{today.year - 7}",
        "addresses-0-to_month": f"04/{today.year - 2}",
        "addresses-0-line1": "1 Elm St",
        "addresses-0-city": "Austin",
        "addresses-0-country": "US",
        "addresses-0-postal_code": "02134",
        "addresses-1-from_month": f"05/{today.year - 2}",
        "addresses-1-line1": "9 Oak Ave",
        "addresses-1-city": "Denver",
        "addresses-1-country": "US",
        "addresses-1-postal_code": "02134",
        **{f"addresses-1-{k}": v for k, v in second.items()},
    }


# --- 1. Enter saves the page: the form's default button is "Save and continue" --------------------------------------


@pytest.mark.parametrize(
    "step", ["names", "citizenship", "documents", "addresses", "employment", "travel", "background"]
)
def test_the_first_submit_button_of_every_intake_form_is_save_and_continue(app, client, step):
    _traveler(app, client)
    html = client.get(f"/profile/{step}").get_data(as_text=True)
    buttons = _step_form(html).buttons
    default = buttons[0]  # what a browser presses for Enter in a field (HTML's implicit submission)
    assert default["text"].strip() == "Save and continue"
    assert "name" not in default and "value" not in default  # posts what the visible "Save and continue" posts
    assert "formnovalidate" not in default and "disabled" not in default
    # out of sight, out of the Tab order and of the accessibility tree, but rendered (not display:none / hidden)
    assert default["class"] == "usa-sr-only" and default["tabindex"] == "-1" and default["aria-hidden"] == "true"
    assert "hidden" not in default and "display" not in default.get("style", "")
    visible = [b for b in buttons[1:] if b["text"].strip() == "Save and continue"]
    assert len(visible) == 1 and "name" not in visible[0] and "aria-hidden" not in visible[0]


def test_the_pages_with_rows_have_the_remove_buttons_after_the_default_button(app, client):
    _traveler(app, client)
    for step, action in (
        ("citizenship", "remove:citizenships:0"),
        ("documents", "remove:passports:0"),
        ("addresses", "remove:addresses:0"),
        ("employment", "remove:employment:0"),
    ):
        buttons = _step_form(client.get(f"/profile/{step}").get_data(as_text=True)).buttons
        actions = [b.get("value") for b in buttons]
        assert action in actions and actions.index(action) > 0, step


def test_the_default_buttons_post_saves_every_row_and_goes_on(app, client):
    _traveler(app, client, complete=False)
    today = service_today()
    response = client.post("/profile/addresses", data=_two_addresses(today))  # no "action": what Enter now sends
    assert response.status_code == 302 and response.headers["Location"].startswith("/profile/")
    assert "/profile/addresses" not in response.headers["Location"]
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        assert sorted(a.city for a in profile.addresses) == ["Austin", "Denver"]


# --- 2. Rows are named with their number ------------------------------------------------------------------------------


def test_each_row_is_a_fieldset_named_with_its_number(app, client):
    _traveler(app, client, complete=False)
    today = service_today()
    html = client.post("/profile/addresses", data={**_two_addresses(today), "action": "add:addresses"}).get_data(
        as_text=True
    )
    legends = re.findall(r'<fieldset class="usa-fieldset" data-row>\s*<legend[^>]*>([^<]*)</legend>', html)
    assert legends == ["Address 1", "Address 2", "Address 3"]
    assert 'Remove<span class="usa-sr-only"> Address 2</span>' in html
    assert 'Add another<span class="usa-sr-only"> — Addresses</span>' in html  # unchanged: the list's name
    # each row's fields are inside its own fieldset (and so named by its legend)
    rows = html.split("data-row>")[1:]
    assert 'id="addresses-0-city"' in rows[0] and 'id="addresses-1-city"' in rows[1]
    assert 'id="addresses-1-city"' not in rows[0]


def test_every_list_names_its_rows(app, client):
    _traveler(app, client)
    for step, first in (
        ("citizenship", "Citizenship 1"),
        ("documents", "Passport 1"),
        ("addresses", "Address 1"),
        ("employment", "Activity 1"),
    ):
        html = client.get(f"/profile/{step}").get_data(as_text=True)
        assert re.search(rf"<legend[^>]*>{first}</legend>", html), step
    # an empty list offers to add one; a list with rows, another
    assert 'Add one<span class="usa-sr-only"> — Other names' in client.get("/profile/names").text
    data = {"given_names": "Ana", "surname": "Lee", "action": "add:other_names"}
    html = client.post("/profile/names", data=data).text
    assert re.search(r"<legend[^>]*>Other name 1</legend>", html)
    assert 'Add another<span class="usa-sr-only"> — Other names' in html
    data = {"travelled": "yes", "action": "add:countries"}
    assert re.search(r"<legend[^>]*>Country 1</legend>", client.post("/profile/travel", data=data).text)
    data = {"has_offenses": "yes", "action": "add:offenses"}
    html = client.post("/profile/background", data=data).text
    assert re.search(r"<legend[^>]*>Conviction or charge 1</legend>", html)


def test_the_error_summary_says_which_row_and_links_to_the_field(app, client):
    _traveler(app, client, complete=False)
    today = service_today()
    response = client.post("/profile/addresses", data=_two_addresses(today, line1="", city=""))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = html.split("data-error-summary>")[1].split("</ul>")[0]
    assert (
        '<a class="usa-link" href="#addresses-1-line1">Address 2, Street address: Enter the street address.</a>'
        in summary
    )
    assert (
        '<a class="usa-link" href="#addresses-1-city">Address 2, City or town: Enter the city or town.</a>' in summary
    )
    assert "Address 1" not in summary
    # next to the field, inside the row's fieldset, the message stays as it is
    assert '<span class="usa-error-message" id="addresses-1-line1-error">Enter the street address.</span>' in html


def test_a_lists_own_error_in_the_summary_names_no_row(app, client):
    _traveler(app, client, complete=False)
    today = service_today()
    data = _two_addresses(today)
    del data["addresses-0-to_month"]  # two addresses where they live now
    html = client.post("/profile/addresses", data=data).get_data(as_text=True)
    summary = html.split("data-error-summary>")[1].split("</ul>")[0]
    assert (
        '<a class="usa-link" href="#addresses">Only one address can be where you live now. '
        "Add an end month to the others.</a>"
    ) in summary


# --- 3. Radio groups and check boxes in error ---------------------------------------------------------------------


def test_radios_in_error_are_invalid_and_described_by_their_message(app, client):
    _traveler(app, client, complete=False)
    html = client.post("/profile/birth", data={"birth_city": "Oaxaca"}).get_data(as_text=True)
    form = _step_form(html)
    assert 'id="sex-error"' in html
    for key in ("sex-0", "sex-1", "sex-2"):
        assert form.inputs[key]["aria-invalid"] == "true"
        assert form.inputs[key]["aria-describedby"] == "sex-error"
    # a question with a hint: described by both, the hint first
    html = client.post("/profile/background", data={}).get_data(as_text=True)
    form = _step_form(html)
    assert 'id="has_offenses-hint"' in html and 'id="has_offenses-error"' in html
    assert form.inputs["has_offenses-0"]["aria-describedby"] == "has_offenses-hint has_offenses-error"
    assert form.inputs["has_offenses-0"]["aria-invalid"] == "true"
    assert form.inputs["customs_immigration_violation-1"]["aria-describedby"] == "customs_immigration_violation-error"


def test_radios_without_an_error_are_not_invalid(app, client):
    _traveler(app, client, complete=False)
    form = _step_form(client.get("/profile/birth").get_data(as_text=True))
    assert "aria-invalid" not in form.inputs["sex-0"] and "aria-describedby" not in form.inputs["sex-0"]
    form = _step_form(client.get("/profile/background").get_data(as_text=True))
    assert form.inputs["has_offenses-0"]["aria-describedby"] == "has_offenses-hint"
    assert "aria-invalid" not in form.inputs["has_offenses-0"]


def test_the_consent_checkbox_in_error_is_invalid_and_described_by_its_message(app, client):
    today = service_today()
    _traveler(app, client, dob=dt.date(today.year - 15, 1, 1))  # a minor: the guardian step applies
    data = {
        "guardian_given_names": "Rosa",
        "guardian_surname": "Rivera",
        "guardian_relationship": "mother",
        "guardian_email": "rosa@example.com",
    }
    response = client.post("/profile/guardian", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    consent = _step_form(html).inputs["consent"]
    assert consent["aria-invalid"] == "true" and consent["aria-describedby"] == "consent-error"
    assert '<span class="usa-error-message" id="consent-error">' in html
    consent = _step_form(client.get("/profile/guardian").get_data(as_text=True)).inputs["consent"]
    assert "aria-invalid" not in consent and "aria-describedby" not in consent


# --- 4. Spanish for the form macros' own words --------------------------------------------------------------------


def test_the_form_macros_words_have_spanish():
    from babel.messages.extract import extract_from_file

    from tests.test_translations import CATALOG, KEYWORDS, ROOT

    with CATALOG.open("rb") as fh:
        catalog = read_po(fh, locale="es")
    path = ROOT / "templates/_macros/forms.html"
    missing = [
        msgid
        for _line, msgid, _comments, _context in extract_from_file("jinja2", str(path), keywords=KEYWORDS)
        if not (catalog.get(msgid) and catalog.get(msgid).string)
    ]
    assert missing == []


def test_the_other_forms_with_rows_also_save_on_enter(app, client):
    """The public "which program" check (rows of offenses) and the rule editor (rows of clauses) have the same
    default button first, so Enter in a row's field does not press "Remove"."""
    assert _step_form(client.get("/which-program").get_data(as_text=True)).buttons[0]["text"].strip() == "Check"
    with app.app_context():
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")
    label = client.post("/program-lead/programs/precheck/drafts").headers["Location"].rsplit("/", 1)[1]
    html = client.get(f"/program-lead/versions/{label}/rules/new").get_data(as_text=True)
    assert _step_form(html).buttons[0]["text"].strip() == "Save rule"
