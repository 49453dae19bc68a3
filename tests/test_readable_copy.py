"""The readable copy of a traveler's data (/privacy/my-data): the same facts as the JSON download, from the same
dict, under plain headings and in tables, in the traveler's language, ready to print, and audited like the
download."""

from __future__ import annotations

import datetime as dt
import re

from markupsafe import escape
from sqlalchemy import select

from tests.factories import create_account, sign_in
from tests.test_privacy import EMAIL, _booked_traveler, two_travelers  # noqa: F401 - a fixture
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import Application
from trusted_traveler.extensions import db
from trusted_traveler.profiles import service as profiles
from trusted_traveler.web.portal.my_data import LABELS, NOT_SHOWN

BOOKED = "booked.reader@example.com"
# Keys whose values the page shows in words (a code, a date, an amount, a number with its unit), not as they are
IN_WORDS = {
    "status", "kind", "program", "preferred_language", "sex", "eye_color", "outcome", "purpose", "about", "category",
    "reason_codes", "step", "fields", "citizenships", "countries_visited", "birth_country", "mailing_country",
    "country", "issuing_country", "fee", "amount", "size_bytes", "height_cm", "guardian_relationship",
    "fee_waiver_reason",
}  # fmt: skip
ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")


def _leaves(value, key=None):
    """(key, value) of every value in the export that is not a list or a mapping."""
    if isinstance(value, dict):
        for name, item in value.items():
            if name not in NOT_SHOWN and name != "scores":
                yield from _leaves(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item, key)
    else:
        yield key, value


def _keys(value) -> set[str]:
    if isinstance(value, dict):
        return {k for k in value if k != "scores"} | {n for k, v in value.items() if k != "scores" for n in _keys(v)}
    if isinstance(value, list):
        return {n for item in value for n in _keys(item)}
    return set()


def _rich_traveler(app) -> None:
    """A traveler with everything the export can hold: a booked visit, a waitlist place, a file, a survey answer
    and a payment (test_privacy's `_booked_traveler`), then, after sending, another name and a disclosed offense
    (so the rules judge them again: "eligibility after a change"), a request for information answered, and a
    letter (a preliminary determination, as PreCheck sends)."""
    _booked_traveler(app, BOOKED, ("precheck",))
    with app.app_context():
        account = db.session.scalar(select(Account).where(Account.email == BOOKED))
        profile = profiles.profile_for(account)
        application = db.session.scalar(select(Application).where(Application.profile_id == profile.id))
        profiles.save_step(
            profile, "names", by=account, collections={"other_names": [{"surname": "Zapatero", "kind": "maiden"}]}
        )
        offense = {"category": "firearms", "status": "convicted", "date": dt.date(2021, 4, 2), "released_on": None,
                   "details": "A permit had lapsed."}  # fmt: skip
        profiles.save_step(profile, "background", by=account, collections={"offenses": [offense]})
        officer = create_account("olga.officer@example.com", roles=("officer",))
        application.status = "officer_review"  # as after a vetting hit: where an officer asks and decides
        db.session.flush()
        decisions.request_info(
            application, by=officer, message="Send the court record.", due_on=dt.date.today() + dt.timedelta(days=9),
            today=dt.date.today(),
        )  # fmt: skip
        decisions.answer_info_request(application, by=account, answer="The permit is attached.")
        decisions.preliminary_ineligible(
            application, by=officer, reason_codes=["disqualifying_offense"], note="A lapsed permit."
        )
        db.session.commit()


def test_the_readable_copy_shows_every_fact_of_the_json_download(app, client, two_travelers):  # noqa: F811
    _rich_traveler(app)
    for email in (BOOKED, EMAIL):
        sign_in(client, email)
        data = client.get("/privacy/my-data.json").get_json()
        response = client.get("/privacy/my-data")
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
        page = response.get_data(as_text=True)
        missing = []
        for key, value in _leaves(data):
            if (
                value is None
                or isinstance(value, bool)
                or key in IN_WORDS
                or (isinstance(value, str) and ISO.match(value))
            ):
                continue  # shown in words: checked below
            lines = [line.strip() for line in str(value).splitlines() if line.strip()]  # shown as paragraphs
            if any(str(escape(line)) not in page for line in lines):
                missing.append(f"{key}: {value!r}")
        assert missing == [], f"{email}: the JSON has these and the page does not:\n" + "\n".join(missing)
        for application in data["applications"]:
            assert f"application {application['reference']}</h3>" in page  # a heading each
    # what it shows in words, for the booked traveler
    sign_in(client, BOOKED)
    page = client.get("/privacy/my-data").get_data(as_text=True)
    for words in (
        "Preliminary determination of ineligibility (60 days to respond)",  # the status, as their pages name it
        "Passport",
        "United States",
        "Mexico",  # countries visited
        "Maiden name",
        "Unlawful firearms or weapons",
        "April 2, 2021",  # the offense's date
        "Convicted",
        "Our records show a criminal offense that disqualifies a person from TSA PreCheck.",  # the letter's reason
        "An answer to a request for information",  # what the file was sent with
        "John F. Kennedy International Enrollment Center",
        "$78.00",
        "Eligibility after you changed your profile",
        "Background questions",  # the topic whose change had the rules judge them again
    ):
        assert words in page, words


def test_every_key_of_the_export_has_a_label(app, client, two_travelers):  # noqa: F811
    """A key the export gains (a new column of the profile, say) must be named on the page too: add it to
    web.portal.my_data.LABELS (and translate it)."""
    _rich_traveler(app)
    keys = set()
    for email in (BOOKED, EMAIL):
        sign_in(client, email)
        keys |= _keys(client.get("/privacy/my-data.json").get_json())
    assert sorted(keys - set(LABELS) - NOT_SHOWN) == []


def test_the_readable_copy_is_in_the_travelers_language_printable_and_audited(app, client, two_travelers):  # noqa: F811
    client.get("/language/es")
    sign_in(client, EMAIL)
    page = client.get("/privacy/my-data").get_data(as_text=True)
    assert '<html lang="es">' in page
    assert "Apellido" in page and "Hitman" in page and "1 de enero de 1980" in page
    assert "Todo lo que tenemos sobre usted" in page
    assert "data-print hidden" in page and "Imprimir esta página" in page  # shown where the script runs
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "privacy.exported")).all()
        assert event.details == {"shown_as": "page"} and event.object_type == "account"


def test_a_traveler_with_no_profile_yet_sees_what_little_we_hold(app, client):
    sign_in(client, "new.reader@example.com")
    page = client.get("/privacy/my-data").get_data(as_text=True)
    assert "new.reader@example.com" in page and "You have not started a profile." in page


def test_the_privacy_page_offers_both_copies(client, two_travelers):  # noqa: F811
    sign_in(client, EMAIL)
    page = client.get("/privacy").get_data(as_text=True)
    assert 'href="/privacy/my-data"' in page and 'href="/privacy/my-data.json"' in page
