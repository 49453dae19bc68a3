"""Fixtures the schemathesis runs share: the suite's API document as schemathesis reads it, and the session cookie
of a signed-in traveler whose profile is complete and who has one submitted application."""

from __future__ import annotations

import pytest
import schemathesis

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.extensions import db


@pytest.fixture
def api_schema(app):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.fixture
def traveler_cookie(app):
    with app.app_context():
        profile = create_profile(create_account("fuzz@example.com"))
        create_application("precheck", profile=profile, submitted=True)
        db.session.commit()
    client = app.test_client()
    sign_in(client, "fuzz@example.com")
    return {app.config["SESSION_COOKIE_NAME"]: client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value}
