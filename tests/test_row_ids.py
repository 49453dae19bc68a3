"""An id in a URL, a link's parameters or a form is a row id: one larger than the database holds (PostgreSQL's
integer) is treated as no row, "not found" or the first page, never a database error (trusted_traveler/web/routing.py).
On PostgreSQL each of these was an error page; SQLite, with 64-bit integers, never noticed."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from tests.factories import create_account, create_application, create_profile, form_version, sign_in
from trusted_traveler.db import ID_MAX
from trusted_traveler.extensions import db
from trusted_traveler.web.routing import row_id

TOO_BIG = 99_999_999_999


def _with_ids(app):
    """(rule, the names of its id parts) for every route with an `<int:...>` part."""
    found = []
    for rule in app.url_map.iter_rules():
        ids = [name for name, converter in rule._converters.items() if isinstance(converter, IntegerConverter)]
        if ids:
            found.append((rule, ids))
    return found


def _path(rule, ids, ident) -> str:
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<int:{name}>" if name in ids else f"<{name}>", str(ident) if name in ids else "x")
    return path


def test_every_route_with_an_id_matches_only_ids_the_database_can_hold(app):
    routes = _with_ids(app)
    assert len(routes) >= 10  # centers, closures, documents, letters, appointments...
    adapter = app.url_map.bind("localhost")
    for rule, ids in routes:
        method = sorted(rule.methods - {"HEAD", "OPTIONS"})[0]
        assert adapter.match(_path(rule, ids, ID_MAX), method=method)[0] == rule.endpoint
        for ident in (TOO_BIG, 0):
            with pytest.raises((NotFound, MethodNotAllowed)):  # no route: 404 (or 405 beside a GET-only twin)
                adapter.match(_path(rule, ids, ident), method=method)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", f"/admin/centers/{TOO_BIG}"),
        ("post", f"/admin/centers/{TOO_BIG}/hours"),
        ("get", f"/officer/centers/{TOO_BIG}/day"),
        ("post", f"/officer/appointments/{TOO_BIG}/check_in"),
    ],
)
def test_a_staff_page_for_an_id_too_large_is_not_found(app, client, method, path):
    """On PostgreSQL these were error pages: the id reached the database, whose integer cannot hold it."""
    with app.app_context():
        create_account("all.roles@example.com", roles=("admin", "officer", "supervisor", "program_lead"))
        db.session.commit()
    sign_in(client, "all.roles@example.com")
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_a_row_id_is_a_whole_number_a_row_can_have():
    assert row_id("42") == 42 and row_id(" 7 ") == 7 and row_id(str(ID_MAX)) == ID_MAX
    for text in (None, "", "0", "-3", "4.5", "x", "٣", "²", str(ID_MAX + 1), str(TOO_BIG), "9" * 5000):
        assert row_id(text) is None, text


def test_ids_too_large_in_links_and_forms_are_no_row_not_an_error_page(app, client):
    with app.app_context():
        create_account("ruth.officer@example.com", roles=("officer", "supervisor"))
        reference = create_application(
            "global_entry", profile=create_profile(create_account("tess@example.com")), submitted=True
        ).reference
        db.session.commit()
    sign_in(client, "ruth.officer@example.com")
    for cursor in (f"1.1700000000000000.{TOO_BIG}", f"{TOO_BIG}.1700000000000000.5", f"-{TOO_BIG}.1.5"):
        page = client.get(f"/officer/?queue=unassigned&after={cursor}")  # an edited link: the first page
        assert page.status_code == 200 and 'data-testid="queue"' in page.get_data(as_text=True)
    version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
    reassigned = client.post(
        f"/officer/cases/{reference}/reassign", data={"officer_id": str(TOO_BIG), "version": version}
    )
    assert reassigned.status_code in (302, 400, 404)

    client.post("/auth/logout")
    sign_in(client, "tess@example.com")
    assert client.get(f"/notifications?before={TOO_BIG}").status_code == 200  # the newest, as with no link
    assert client.post("/notifications/read", data={"up_to": str(TOO_BIG)}).status_code == 302
    booked = client.post(f"/applications/{reference}/appointment/book", data={"slot_id": str(TOO_BIG)})
    assert booked.status_code == 409 and "Choose a time to book." in booked.get_data(as_text=True)
