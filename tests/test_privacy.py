"""Data protection: no personal data in the logs."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.extensions import db
from trusted_traveler.observability import JSONFormatter

EMAIL = "maria.private@example.com"
PASSPORT = "987654321"
SURNAME = "Quesadilla"
DOB = dt.date(1984, 2, 29)


@pytest.fixture
def captured():
    """Every line any logger writes during the test, formatted as production writes it (JSON)."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Capture(level=logging.DEBUG)
    handler.setFormatter(JSONFormatter())
    loggers = [logging.getLogger(), logging.getLogger("trusted_traveler"), logging.getLogger("werkzeug")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
    yield lines
    for logger, level in zip(loggers, levels, strict=True):
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_representative_requests_log_no_personal_data(app, client, captured):
    with app.app_context():
        profile = create_profile(create_account(EMAIL), surname=SURNAME, given_names="Maria", dob=DOB)
        reference = create_application("global_entry", profile=profile, submitted=True).reference
        create_account("olga.officer@example.com", roles=("officer",))
        db.session.commit()
    captured.clear()  # only what requests log
    sign_in(client, EMAIL)
    client.post("/auth/dev", data={"email": "not-an-email@"})  # a refused sign-in echoes nothing either
    future = (dt.date.today() + dt.timedelta(days=900)).isoformat()
    documents = {"passports-0-issuing_country": "US", "passports-0-number": PASSPORT, "passports-0-expires_on": future}
    assert client.post("/profile/documents", data=documents).status_code == 302
    client.post("/profile/names", data={"given_names": "Maria", "surname": SURNAME, "middle_names": "<b>"})
    client.get(f"/applications/{reference}?email={EMAIL}")  # personal data in a query string is not logged
    client.get("/api/v1/profile")
    sign_in(client, "olga.officer@example.com")
    assert client.get(f"/officer/cases/{reference}").status_code == 200
    text = "\n".join(captured)
    assert captured, "nothing was logged: the capture is not working"
    for secret in (EMAIL, EMAIL.split("@")[0], PASSPORT, PASSPORT[-4:], SURNAME, DOB.isoformat(), "1984"):
        assert secret not in text, f"{secret!r} appears in the logs"
