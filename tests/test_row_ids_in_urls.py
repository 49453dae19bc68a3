"""An id in a URL is a row id: one larger than the database holds (PostgreSQL's integer) is "not found", like any
missing row, never a database error (trusted_traveler/web/routing.py)."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import IntegerConverter

from tests.factories import create_account, sign_in
from trusted_traveler.db import ID_MAX
from trusted_traveler.extensions import db

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
