"""Accessibility of form pages:

- a page that shows errors says so first: its <title> starts with "Error: " (the GOV.UK and USWDS practice), on public,
  traveler and staff pages alike, and only while it shows them;
- after "Add one" / "Add another" on a list of rows the page comes back with focus on the new row's first field, and
  after "Remove" on the row now in the removed one's place (or on "Add" when no row is left), with no script needed
  (autofocus). The real browser's focus is in tests/browser/test_list_focus.py."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

from tests.factories import create_account, create_profile, form_version, sign_in, survey_invitation
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.get_data(as_text=True), re.S).group(1).strip()


class _Autofocus(HTMLParser):
    """The ids (or the action of a button without an id) of every element carrying `autofocus`."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "autofocus" in attrs:
            self.found.append(attrs.get("id") or attrs.get("value") or tag)


def autofocused(response) -> list[str]:
    parser = _Autofocus()
    parser.feed(response.get_data(as_text=True))
    return parser.found


def _traveler(app, client, email="titles@example.com", **profile):
    with app.app_context():
        create_profile(create_account(email), **profile)
        db.session.commit()
    sign_in(client, email)


# --- 1. "Error: " in the title of a page that shows errors --------------------------------------------------------


def test_a_public_form_with_errors_has_a_title_starting_with_error(app, client):
    fine = client.get("/appointments/availability")
    assert fine.status_code == 200 and not title(fine).startswith("Error:")
    refused = client.get("/appointments/availability?program=nonsense")
    assert refused.status_code == 400
    assert title(refused) == "Error: Soonest appointment openings | Trusted Traveler"


def test_the_public_survey_sent_empty_has_a_title_starting_with_error(app, client):
    with app.app_context():
        invitation = survey_invitation("submission")
        db.session.commit()
    page = client.get(f"/feedback/submission?invitation={invitation}")
    assert page.status_code == 200 and not title(page).startswith("Error:")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.get_data(as_text=True))
    sent = {"invitation": invitation, **({"csrf_token": token.group(1)} if token else {})}
    refused = client.post("/feedback/submission", data=sent)
    assert refused.status_code == 400
    assert title(refused).startswith("Error: ")


def test_a_profile_step_with_errors_has_a_title_starting_with_error_and_loses_it_once_fixed(app, client):
    _traveler(app, client, complete=False)
    shown = client.get("/profile/names")
    assert not title(shown).startswith("Error:")
    refused = client.post("/profile/names", data={"given_names": "", "surname": ""})
    assert refused.status_code == 400
    assert re.fullmatch(r"Error: Your name \(step 1 of \d+\) \| Trusted Traveler", title(refused))
    # the next page, once the answers are right, says no error
    saved = client.post("/profile/names", data={"given_names": "Luz", "surname": "Rivera"}, follow_redirects=True)
    assert saved.status_code == 200 and not title(saved).startswith("Error:")


def test_adding_a_row_is_not_an_error(app, client):
    _traveler(app, client, complete=False)
    response = client.post("/profile/addresses", data={"action": "add:addresses"})
    assert response.status_code == 200 and not title(response).startswith("Error:")


def test_a_staff_form_with_errors_and_a_refused_action_both_have_a_title_starting_with_error(app, client, case):
    sign_in(client, "olga.officer@example.com")
    page = client.get(f"/officer/cases/{case}")
    assert page.status_code == 200 and not title(page).startswith("Error:")
    version = form_version(page.get_data(as_text=True))
    due = (service_today() + dt.timedelta(days=20)).isoformat()

    empty = client.post(f"/officer/cases/{case}/request-info", data={"version": version, "message": "", "due_on": due})
    assert empty.status_code == 400
    assert title(empty).startswith("Error: ")

    stale = {"version": "0", "message": "Send the court record.", "due_on": due}
    refused = client.post(f"/officer/cases/{case}/request-info", data=stale)
    assert refused.status_code == 409
    assert "This case changed while you were looking at it." in refused.get_data(as_text=True)
    assert title(refused).startswith("Error: ")


# --- 2. Focus after adding or removing a row -----------------------------------------------------------------------


def test_after_add_one_the_new_rows_first_field_has_focus(app, client):
    _traveler(app, client, complete=False)
    typed = {"addresses-0-line1": "1 Elm St", "addresses-0-city": "Austin", "action": "add:addresses"}
    response = client.post("/profile/addresses", data=typed)
    assert response.status_code == 200
    assert autofocused(response) == ["addresses-1-from_month"]  # the new row, "Address 2": its first field
    assert 'value="Austin"' in response.get_data(as_text=True)  # nothing typed is lost


def test_after_add_one_on_the_other_lists_the_new_rows_first_field_has_focus(app, client):
    _traveler(app, client, complete=False)
    for step, action, first in (
        ("names", "add:other_names", "other_names-0-given_names"),
        ("citizenship", "add:citizenships", "citizenships-1-country"),
        ("documents", "add:passports", "passports-1-issuing_country"),
        ("employment", "add:employment", "employment-1-from_month"),
        ("travel", "add:countries", "countries-0-country"),
    ):
        html = client.get(f"/profile/{step}").get_data(as_text=True)
        rows = len(set(re.findall(rf'name="{action[4:]}-(\d+)-', html)))
        response = client.post(f"/profile/{step}", data={**_rows_of(html, action[4:]), "action": action})
        assert response.status_code == 200, step
        expected = first.replace(f"-{first.split('-')[1]}-", f"-{rows}-")
        assert autofocused(response) == [expected], step


def _rows_of(html: str, name: str) -> dict:
    """What the page posts for the rows it shows (their text fields and selected options), so posting keeps them."""
    data = {m.group(1): m.group(2) for m in re.finditer(rf'name="({name}-\d+-[a-z_]+)"[^>]*value="([^"]*)"', html)}
    for select in re.finditer(rf'<select[^>]*name="({name}-\d+-[a-z_]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', select.group(2))
        data[select.group(1)] = (chosen.group(1) or chosen.group(2)) if chosen else ""
    return data


def test_after_remove_the_row_now_in_its_place_has_focus_and_the_page_says_what_went(app, client):
    _traveler(app, client, complete=False)
    rows = {f"addresses-{i}-city": city for i, city in enumerate(("Austin", "Boston", "Chicago"))}
    response = client.post("/profile/addresses", data={**rows, "action": "remove:addresses:1"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Boston" not in page and 'value="Chicago"' in page
    # Chicago's row, now "Address 2" (a row keeps the field names it was posted with until the page is saved)
    assert autofocused(response) == ["addresses-2-from_month"]
    assert re.search(r'id="addresses-2-city"[^>]*value="Chicago"|value="Chicago"[^>]*id="addresses-2-city"', page)
    assert re.search(r'data-testid="addresses-removed">\s*Address 2 removed\.', page)


def test_after_removing_the_last_row_the_row_before_it_has_focus(app, client):
    _traveler(app, client, complete=False)
    rows = {"addresses-0-city": "Austin", "addresses-1-city": "Boston"}
    response = client.post("/profile/addresses", data={**rows, "action": "remove:addresses:1"})
    assert autofocused(response) == ["addresses-0-from_month"]


def test_after_removing_the_only_row_the_add_button_has_focus(app, client):
    _traveler(app, client, complete=False)
    response = client.post("/profile/addresses", data={"addresses-0-city": "Austin", "action": "remove:addresses:0"})
    assert autofocused(response) == ["addresses-add"]
    assert re.search(r'id="addresses-add"[^>]*>\s*Add one', response.get_data(as_text=True))


def test_a_page_shown_without_a_list_button_focuses_nothing(app, client):
    _traveler(app, client, complete=False)
    client.post("/profile/addresses", data={"action": "add:addresses"})  # nothing of it reaches the next page
    assert autofocused(client.get("/profile/addresses")) == []
    assert autofocused(client.post("/profile/addresses", data={})) == []  # refused: the error summary takes focus
