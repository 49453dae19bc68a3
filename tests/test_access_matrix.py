"""Access control, table-driven: every route, every method, against every role — and a traveler against another
traveler's records. Nobody gets what their role does not grant (403, or sign-in first), another person's record is
a 404 (never a leak), and no request, allowed or not, ends in a 500."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.auth.models import Account
from trusted_traveler.auth.policy import policy_of
from trusted_traveler.casework import decisions
from trusted_traveler.extensions import db

ROLES = {
    "anonymous": None,
    "traveler": (),
    "officer": ("officer",),
    "supervisor": ("supervisor",),
    "program_lead": ("program_lead",),
    "admin": ("admin",),
}
SKIP = {"static", "auth.callback", "auth.login", "auth.logout", "auth.dev_sign_in"}  # sign-in flow: its own tests


@pytest.fixture
def world(app):
    """Traveler A's denied case with a letter, and an account for each role."""
    with app.app_context():
        owner = create_profile(create_account("owner@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        application = create_application("global_entry", profile=owner, submitted=True)
        officer = create_account("matrix.officer@example.com", roles=("officer",))
        letter = decisions.deny(application, by=officer, reason_codes=["not_low_risk"])
        for role, grants in ROLES.items():
            if grants is not None and role != "officer":
                create_account(f"matrix.{role}@example.com", roles=grants)
        db.session.commit()
        return {"reference": application.reference, "letter_id": letter.id}


def _url(rule, world) -> str:
    values = {
        "reference": world["reference"],
        "letter_id": world["letter_id"],
        "document_id": 1,
        "center_id": 8001,
        "location_id": "8001",
        "closure_id": 1,
        "appointment_id": 1,
        "action": "accept",
        "touchpoint": "submission",
        "code": "precheck" if rule.endpoint.startswith("rules_console") else "es",
        "label": "precheck-2026-11-01",
        "key": "fee_new",
        "name": "identity",
        "token": "nope",
    }
    if rule.endpoint.startswith("performance."):
        values["key"] = "weekly"
    return rule.build({k: values[k] for k in rule.arguments}, append_unknown=False)[1]


# Who may use what, written down independently of the decorators: (path prefix, roles allowed). The first match
# wins; "signed_in" means any signed-in account, "anyone" includes the anonymous. A decorator that disagrees fails.
EXPECTED = [
    ("/officer/workload", {"supervisor", "admin"}),
    ("/officer/cases/<reference>/reassign", {"supervisor"}),
    ("/officer/", {"officer", "supervisor"}),
    ("/admin/audit", {"supervisor", "admin"}),
    ("/admin/centers/<int:center_id>/conflicts", {"supervisor", "admin"}),
    ("/admin/centers", {"program_lead", "admin"}),
    ("/admin/roles", {"admin"}),
    ("/program-lead/", {"program_lead"}),
    ("/api/v1/eligibility", {"anyone"}),
    ("/api/v1/programs", {"anyone"}),
    ("/api/v1/", {"signed_in"}),
    ("/applications/", {"signed_in"}),
    ("/apply", {"signed_in"}),
    ("/checkout", {"signed_in"}),
    ("/dashboard/performance", {"anyone"}),
    ("/dashboard", {"signed_in"}),
    ("/notifications", {"signed_in"}),
    ("/privacy/account-deleted", {"anyone"}),  # said to a person just signed out by deleting their account
    ("/privacy", {"signed_in"}),
    ("/profile", {"signed_in"}),
    ("/submitted", {"signed_in"}),
    ("/", {"anyone"}),
]


def _expected_roles(rule) -> set[str]:
    roles = next(r for prefix, r in EXPECTED if rule.rule.startswith(prefix))
    if "anyone" in roles:
        return set(ROLES)
    if "signed_in" in roles:
        return set(ROLES) - {"anonymous"}
    return roles


def test_every_declared_policy_matches_the_written_table(app):
    """The decorators say the same as EXPECTED for every role (so a wrong decorator cannot hide behind itself)."""
    with app.app_context():
        accounts = {
            role: None if grants is None else create_account(f"table.{role}@example.com", roles=grants)
            for role, grants in ROLES.items()
        }
        wrong = []
        for rule, _method in _cases(app):
            allowed = {role for role, account in accounts.items() if _allowed(app, rule.endpoint, account)}
            if allowed != _expected_roles(rule):
                wrong.append(
                    f"{rule.rule}: decorators allow {sorted(allowed)}, the table {sorted(_expected_roles(rule))}"
                )
        db.session.rollback()
    assert wrong == [], "\n".join(wrong)


def _allowed(app: Flask, endpoint: str, account: Account | None) -> bool:
    policy = policy_of(app, endpoint)
    if policy[0] == "public":
        return True
    if account is None:
        return False
    return policy[0] == "signed_in" or all(account.can(p) for p in policy[1])


def _cases(app):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIP or rule.endpoint.startswith("api-docs"):
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


@pytest.mark.parametrize("role", ROLES)
def test_every_route_answers_each_role_as_its_policy_says_and_never_with_a_500(app, world, role):
    client = app.test_client()
    email = {"anonymous": None, "officer": "matrix.officer@example.com"}.get(role, f"matrix.{role}@example.com")
    account = None
    if email:
        sign_in(client, email)
        with app.app_context():
            account = db.session.scalar(db.select(Account).where(Account.email == email))
            _ = account.permissions  # load the grants while the session is open
    wrong = []
    for rule, method in _cases(app):
        url = _url(rule, world)
        response = client.open(url, method=method, data={}, headers={"Accept": "text/html"})
        response.close()  # a streamed download keeps its request context open until closed
        status = response.status_code
        allowed = _allowed(app, rule.endpoint, account)
        if status >= 500 and status != 503:
            wrong.append(f"{method} {url}: {status}")
        elif (
            not allowed
            and account is None
            and not ((status == 302 and "/auth/sign-in" in response.headers.get("Location", "")) or status == 401)
        ):
            wrong.append(f"{method} {url}: {status}, expected to be sent to sign in")
        elif not allowed and account is not None and status != 403:
            wrong.append(f"{method} {url}: {status}, expected 403 for {role}")
        elif allowed and status in (401, 403):
            wrong.append(f"{method} {url}: {status}, but {role} may use it")
    assert wrong == [], "\n".join(wrong)


def test_another_travelers_records_are_404_on_every_route_that_names_one(app, world):
    client = app.test_client()
    sign_in(client, "stranger@example.com")
    leaks = []
    for rule, method in _cases(app):
        if "reference" not in rule.arguments or not rule.endpoint.startswith(("portal.", "api_v1.")):
            continue
        url = _url(rule, world)
        response = client.open(url, method=method, data={})
        response.close()
        status = response.status_code
        if status != 404:
            leaks.append(f"{method} {url}: {status}")
    assert leaks == [], "\n".join(leaks)
    assert client.get(f"/api/v1/applications/{world['reference']}").status_code == 404
