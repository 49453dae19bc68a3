"""Who may use each route. Every view declares a policy with one of these decorators; a before-request hook
enforces it and refuses any route that declares none (deny by default). tests/test_route_policies.py walks all
routes and fails when one has no policy."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from flask import Flask, current_app, redirect, request, url_for
from flask_babel import gettext
from flask_login import current_user

from trusted_traveler.auth.roles import Permission
from trusted_traveler.errors import PermissionDenied, error_response, wants_json

POLICY_ATTR = "_tt_policy"


def _mark(policy: tuple) -> Callable:
    def decorator(view):
        setattr(view, POLICY_ATTR, policy)
        return view

    return decorator


public = _mark(("public",))
"""Anyone, signed in or not."""

signed_in = _mark(("signed_in",))
"""Any signed-in account (every account may act as a traveler)."""


def require(*permissions: Permission) -> Callable:
    """A signed-in account holding every one of `permissions`."""
    return _mark(("permission", frozenset(permissions)))


def policy_of(app: Flask, endpoint: str):
    if endpoint == "static" or endpoint.startswith("api-docs."):  # assets and the OpenAPI document
        return ("public",)
    view = app.view_functions.get(endpoint)
    if view is None:
        return None
    target = getattr(view, "view_class", view)
    return getattr(view, POLICY_ATTR, None) or getattr(target, POLICY_ATTR, None)


def this_page() -> str:
    """The page asked for, as a same-site path with its query string when it has one: where sign-in and the header's
    language switch bring the person back to. Percent-encoded again as it came (the path arrives decoded, and the
    query string as the client's bytes, which need not be UTF-8), so it reads back as the same page and carries no
    control character, space or backslash; `safe_next` still checks it at the other end."""
    path = quote(request.path, safe="/:@!$&'()*+,;=~")
    query = quote(request.query_string, safe="/?:@!$&'()*+,;=~%")
    return f"{path}?{query}" if query else path


def enforce_route_policy():
    if request.endpoint is None:  # no route matched: the 404/405 handlers answer
        return None
    policy = policy_of(current_app, request.endpoint)
    if policy is None:
        raise PermissionDenied(gettext("This page has no access policy, so nobody may use it."))
    if policy[0] == "public":
        return None
    if not current_user.is_authenticated:
        if wants_json():
            return error_response(401, gettext("Sign in to use this."), code="unauthorized")
        return redirect(url_for("auth.sign_in", next=this_page()))
    if policy[0] == "permission" and not all(current_user.can(p) for p in policy[1]):
        raise PermissionDenied(gettext("Your account does not have the role this page needs."))
    return None
