"""A field of one line refuses a line break (a newline, a carriage return, U+2028 or U+2029) and a tab, on the staff
pages and the traveler's alike (web/input_guard.py). Nobody types one in an <input>, but a paste or a crafted post can
hold one, and a center's name, a closure's reason, a rule's citation or an address is copied as it is into letters,
e-mails and spreadsheets. The page says so beside the field (400), keeps everything typed, and stores nothing. A
text area keeps its line breaks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from markupsafe import escape
from sqlalchemy import select

from tests.factories import change_hours, create_account, create_profile, form_revision, sign_in
from tests.test_hostile_input import profile_steps
from tests.test_hostile_staff_input import CENTER, CENTER_DETAILS, CENTER_TEXT, RULE, _hours
from trusted_traveler.extensions import db
from trusted_traveler.payments.sandbox import SandboxGateway, SandboxTransaction
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.rules import authoring
from trusted_traveler.rules.authoring import setting_label
from trusted_traveler.rules.models import Parameter, Rule
from trusted_traveler.scheduling.models import CapacityTemplate, Closure, EnrollmentCenter

ONE_LINE = "Write this answer on one line: remove the line breaks (they can come from copying and pasting)."
CONTROL = "Remove the hidden control characters from this answer (they can come from copying and pasting)."
BREAKS = {"newline": "\n", "CR LF": "\r\n", "line separator": "\u2028", "paragraph separator": "\u2029"}


def broken(value: str, line_break: str) -> str:
    """`value` with a line break in the middle, where trimming cannot take it away."""
    middle = len(value) // 2 or 1
    return f"{value[:middle]}{line_break}{value[middle:]}"


def refused_beside(page: str, field_id: str, message: str = ONE_LINE) -> bool:
    return f'<span class="usa-error-message" id="{field_id}-error">{escape(message)}</span>' in page


def all_kept(page: str, data: dict[str, str], typed: tuple[str, ...]) -> bool:
    """Every `typed` answer of `data` is on the page again (escaped), the refused one included."""
    return all(str(escape(data[name])) in page for name in typed if data[name])


@pytest.fixture
def admin(app, client):
    with app.app_context():
        create_account("lines.admin@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, "lines.admin@example.com")


def _center(app) -> dict:
    with app.app_context():
        center = db.session.get(EnrollmentCenter, CENTER)
        hours = db.session.scalars(select(CapacityTemplate).where(CapacityTemplate.center_id == CENTER)).all()
        return {
            "details": {name: getattr(center, name) for name in CENTER_TEXT},
            "hours": sorted((t.weekday, t.opens_at, t.closes_at, t.valid_until) for t in hours),
            "closures": db.session.scalars(select(Closure.id).where(Closure.center_id == CENTER)).all(),
        }


# The center's fields of one line that its valid details fill in.
CENTER_FIELDS = [name for name in CENTER_TEXT if CENTER_DETAILS[name]]
CLOSURE = {"starts_on": "", "ends_on": "", "reason": "Power work"}  # the dates are filled in when the test runs


@pytest.mark.parametrize("line_break", list(BREAKS.values()), ids=list(BREAKS))
@pytest.mark.parametrize(
    ("form", "field"),
    [*(("details", name) for name in CENTER_FIELDS), ("hours", "days-0-opens_at"), ("closure", "reason")],
)
def test_a_centers_field_of_one_line_refuses_a_line_break_keeps_the_form_and_stores_nothing(
    app, client, admin, today, form, field, line_break
):
    first_closed = (today + dt.timedelta(days=100)).isoformat()
    url, data, typed = {
        "details": (f"/admin/centers/{CENTER}", dict(CENTER_DETAILS), (*CENTER_TEXT, "notes")),
        "hours": (
            f"/admin/centers/{CENTER}/hours/preview",
            {**_hours(), "effective_from": today.isoformat()},
            tuple(name for name in _hours() if "_at" in name),
        ),
        "closure": (
            f"/admin/centers/{CENTER}/closures",
            {**CLOSURE, "starts_on": first_closed, "ends_on": first_closed},
            ("starts_on", "ends_on", "reason"),
        ),
    }[form]
    data[field] = broken(data[field], line_break)
    before = _center(app)

    response = client.post(url, data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert refused_beside(page, field, f"Monday, opening time: {ONE_LINE}" if form == "hours" else ONE_LINE)
    assert all_kept(page, data, typed)
    assert _center(app) == before, "stored although refused"


@pytest.fixture
def draft(app, client):
    """A program lead signed in, with a new draft of the PreCheck rules; its label."""
    with app.app_context():
        create_account("lines.lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lines.lead@example.com")
    return client.post("/program-lead/programs/precheck/drafts").headers["Location"].rsplit("/", 1)[1]


def _proposals(app, label: str) -> tuple[list, list]:
    with app.app_context():
        version = authoring.get_version(label)
        rules = db.session.scalars(select(Rule.code).where(Rule.version_id == version.id)).all()
        settings = db.session.scalars(select(Parameter.key).where(Parameter.version_id == version.id)).all()
        return sorted(rules), sorted(settings)


SETTING = {"key": "fee_new", "value": "80.00", "reference": "Federal Register 2027-00001"}


@pytest.mark.parametrize("line_break", ["\n", "\u2028"], ids=["newline", "line separator"])
@pytest.mark.parametrize(
    ("form", "field"),
    [
        ("rule", "code"),
        ("rule", "citation"),
        ("rule", "clauses-0-value"),
        ("setting", "value"),
        ("setting", "reference"),
    ],
)
def test_a_rules_console_field_of_one_line_refuses_a_line_break_keeps_the_form_and_stores_nothing(
    app, client, draft, form, field, line_break
):
    url, data, typed = {
        "rule": (
            f"/program-lead/versions/{draft}/rules/new",
            {**RULE, "code": "precheck.one_line"},
            ("code", "clauses-0-value", "message_en", "message_es", "citation"),
        ),
        "setting": (f"/program-lead/versions/{draft}/parameters", dict(SETTING), ("value", "reference")),
    }[form]
    data[field] = broken(data[field], line_break)
    data["revision"] = form_revision(client.get(f"/program-lead/versions/{draft}").get_data(as_text=True))
    before = _proposals(app, draft)

    response = client.post(url, data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    # the settings form names what each error is about: the value by its setting, the source as "Source"
    named = {"value": setting_label(SETTING["key"]).capitalize(), "reference": "Source"}
    assert refused_beside(page, field, f"{named[field]}: {ONE_LINE}" if form == "setting" else ONE_LINE)
    assert all_kept(page, data, typed)
    assert _proposals(app, draft) == before, "stored although refused"


def test_the_same_answers_without_the_line_break_are_saved(app, client, draft, today):
    """The refusals above are for the line break alone: each form, posted as they post it but for that, saves."""
    revision = form_revision(client.get(f"/program-lead/versions/{draft}").get_data(as_text=True))
    rule = {**RULE, "code": "precheck.one_line", "revision": revision}
    assert client.post(f"/program-lead/versions/{draft}/rules/new", data=rule).status_code == 302
    revision = form_revision(client.get(f"/program-lead/versions/{draft}").get_data(as_text=True))
    assert (
        client.post(f"/program-lead/versions/{draft}/parameters", data={**SETTING, "revision": revision}).status_code
        == 302
    )
    rules, settings = _proposals(app, draft)
    assert "precheck.one_line" in rules and settings == ["fee_new"]

    with app.app_context():
        create_account("lines.admin@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, "lines.admin@example.com")
    first_closed = (today + dt.timedelta(days=100)).isoformat()
    closure = {**CLOSURE, "starts_on": first_closed, "ends_on": first_closed}
    for url, data in [
        (f"/admin/centers/{CENTER}", CENTER_DETAILS),
        (f"/admin/centers/{CENTER}/closures", closure),
    ]:
        assert client.post(url, data=data).status_code == 302, url
    assert change_hours(client, CENTER, _hours(), today).status_code == 302
    with app.app_context():
        center = db.session.get(EnrollmentCenter, CENTER)
        assert {name: getattr(center, name) or "" for name in CENTER_TEXT} == {
            n: CENTER_DETAILS[n] for n in CENTER_TEXT
        }
        assert [c.reason for c in center.closures] == ["Power work"]


def test_a_tab_in_a_field_of_one_line_is_refused_as_a_control_character(app, client, admin):
    data = {**CENTER_DETAILS, "address": "Terminal\t4"}
    before = _center(app)
    page = client.post(f"/admin/centers/{CENTER}", data=data).get_data(as_text=True)
    assert refused_beside(page, "address", CONTROL) and all_kept(page, data, CENTER_TEXT)
    assert _center(app) == before


def test_a_text_area_keeps_its_line_breaks(app, client, admin):
    notes = "Bring your passport.\r\n\r\nWalk-ins from 9:00 to 11:00.\u2028Parking in lot B."
    assert client.post(f"/admin/centers/{CENTER}", data={**CENTER_DETAILS, "notes": notes}).status_code == 302
    with app.app_context():
        assert db.session.get(EnrollmentCenter, CENTER).notes == notes


# --- The traveler's forms ------------------------------------------------------------------------------------------


@pytest.fixture
def traveler(app, client):
    with app.app_context():
        create_profile(create_account("lines.traveler@example.com"))
        db.session.commit()
    sign_in(client, "lines.traveler@example.com")


def _profile(app) -> dict:
    with app.app_context():
        profile = db.session.scalars(select(ApplicantProfile)).one()
        return {c.key: getattr(profile, c.key) for c in ApplicantProfile.__table__.columns}


@pytest.mark.parametrize("line_break", ["\n", "\u2028"], ids=["newline", "line separator"])
@pytest.mark.parametrize(
    ("step", "field"),
    [("birth", "birth_city"), ("contact", "mailing_line1"), ("contact", "mailing_city")],
)
def test_an_intake_field_of_one_line_refuses_a_line_break_and_keeps_the_page(
    app, client, traveler, today, step, field, line_break
):
    data, _ = profile_steps(today)[step]
    data = {**data, field: broken(data[field], line_break)}
    before = _profile(app)

    response = client.post(f"/profile/{step}", data=data)

    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert refused_beside(page, field)
    assert all_kept(page, data, tuple(name for name in data if name.endswith(("city", "line1", "line2", "region"))))
    assert _profile(app) == before, "stored although refused"


def test_a_line_break_between_the_words_of_a_name_is_one_space(app, client, traveler, today):
    """A name's words are one space apart (web.forms.single_spaces), whatever was between them: the name saved has
    no line break, as it is typed on a passport."""
    data, _ = profile_steps(today)["names"]
    assert client.post("/profile/names", data={**data, "surname": "Lee\u2028Park"}).status_code == 302
    assert _profile(app)["surname"] == "Lee Park"


def test_the_name_on_the_card_refuses_a_line_break_and_nothing_is_charged(app, client):
    with app.app_context():
        token = SandboxGateway().start(
            amount=Decimal("78.00"), tracking_id="one-line", description="TSA PreCheck", return_url="/checkout/return"
        )
        db.session.commit()
    card = {
        "cardholder": "Luz\nRivera",
        "card_number": "4111 1111 1111 1111",
        "expiry": "12/39",
        "security_code": "123",
    }

    response = client.post(f"/sandbox/pay/{token}", data=card)

    page = response.get_data(as_text=True)
    assert response.status_code == 400 and refused_beside(page, "cardholder")
    assert all_kept(page, card, ("cardholder", "expiry"))
    with app.app_context():
        assert (
            db.session.scalar(select(SandboxTransaction.status).where(SandboxTransaction.token == token)) == "pending"
        )
