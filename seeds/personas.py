"""Demo personas for the development sign-in: travelers at different points of their journey and one of each
staff role. Built through the real services, so their histories (events, audit, notifications) are genuine.
Idempotent: a persona whose account already exists is left as it is."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trusted_traveler.auth import service as accounts
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import service as casework
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.payments import service as payments
from trusted_traveler.profiles import service as profiles
from trusted_traveler.programs.service import get_program

STAFF = [
    ("olivia.officer@example.com", "Olivia Officer", "officer"),
    ("sam.supervisor@example.com", "Sam Supervisor", "supervisor"),
    ("priya.lead@example.com", "Priya Lead", "program_lead"),
    ("quinn.lead@example.com", "Quinn Lead", "program_lead"),
    ("alex.admin@example.com", "Alex Admin", "admin"),
]

# email, given names, surname, date of birth, citizenship, program, where the journey has reached
TRAVELERS = [
    ("traveler.new@example.com", None, None, None, None, None, None),
    (
        "ana.traveler@example.com",
        "Ana María",
        "García-López",
        dt.date(1988, 4, 12),
        "US",
        "precheck",
        "submitted",
    ),
    ("ben.traveler@example.com", "Ben", "Okafor", dt.date(1979, 11, 2), "US", "global_entry", "conditional"),
    ("carla.traveler@example.com", "Carla", "Nguyen", dt.date(1992, 6, 30), "US", "global_entry", "member"),
    ("dev.traveler@example.com", "Dev", "Patel", dt.date(1985, 3, 14), "GB", "global_entry", "review"),
]


def _account(email: str, name: str | None = None) -> tuple[Account, bool]:
    existing = db.session.scalar(select(Account).where(Account.issuer == accounts.DEV_ISSUER, Account.subject == email))
    if existing is not None:
        return existing, False
    account = accounts.account_for_sign_in(issuer=accounts.DEV_ISSUER, subject=email, email=email, name=name)
    return account, True


def fill_profile(profile, account, *, surname: str, citizenship: str, offenses=(), **flags) -> None:
    """Answer every remaining intake step with plausible data: a passport, five clean years at one address and
    one job, one trip abroad, no background issues (unless `offenses`/`flags` say otherwise), and a consenting
    parent for a minor."""
    today = dt.date.today()
    five_years_ago = today.replace(day=1) - dt.timedelta(days=6 * 365)
    start = max(five_years_ago, profile.date_of_birth.replace(day=1))
    steps = {
        "birth": {
            "fields": {
                "birth_city": "Springfield",
                "birth_country": "US",
                "sex": "F",
                "height_cm": 165,
                "eye_color": "Brown",
            }
        },
        "documents": {
            "collections": {
                "documents": [
                    {
                        "kind": "passport",
                        "issuing_country": citizenship,
                        "number": "123456789",
                        "number_last4": "6789",
                        "expires_on": today + dt.timedelta(days=3000),
                        "issuing_region": None,
                        "enhanced": False,
                    }
                ]
            }
        },
        "contact": {"fields": {"email": account.email, "phone": "+12025550123", "mailing_same_as_residential": True}},
        "addresses": {
            "collections": {
                "addresses": [
                    {
                        "from_month": start,
                        "to_month": None,
                        "line1": "1 Main St",
                        "line2": None,
                        "city": "Springfield",
                        "region": "IL",
                        "postal_code": "62701",
                        "country": "US",
                    }
                ]
            }
        },
        "employment": {
            "collections": {
                "employment": [
                    {
                        "from_month": start,
                        "to_month": None,
                        "status": "employed",
                        "employer": "Acme",
                        "occupation": None,
                        "city": "Springfield",
                        "country": "US",
                        "phone": None,
                    }
                ]
            }
        },
        "travel": {"collections": {"countries_visited": [{"country_code": "MX"}]}},
        "background": {
            "fields": {
                "customs_immigration_violation": False,
                "under_investigation": False,
                "inadmissible_or_waiver": False,
                "background_answered_at": utcnow(),
                **flags,
            },
            "collections": {"offenses": [dict(o) for o in offenses]},
        },
    }
    for step, changes in steps.items():
        profiles.save_step(profile, step, by=account, **changes)
    if profiles.is_minor(profile, today):
        profiles.save_step(
            profile,
            "guardian",
            by=account,
            fields={
                "guardian_given_names": "Pat",
                "guardian_surname": surname,
                "guardian_relationship": "parent",
                "guardian_email": "parent@example.com",
                "guardian_consent_at": utcnow(),
            },
        )


def _paid_submission(profile, program_code: str, account):
    application = casework.start_application(profile, get_program(program_code), by=account, today=dt.date.today())
    casework.attest(application, by=account)
    payments.record_completed_payment(application, gateway="seed", reference=application.reference, by=account)
    casework.submit(application, by=account)
    return application


def load_personas() -> int:
    created = 0
    officer = None
    for email, name, role in STAFF:
        account, new = _account(email, name)
        if new:
            accounts.grant_role(account, role, by=None)
            created += 1
        if role == "officer":
            officer = account
    for email, given, surname, dob, citizenship, program, stage in TRAVELERS:
        account, new = _account(email)
        if not new:
            continue
        created += 1
        if given is None:
            continue
        profile = profiles.get_or_create_profile(account)
        profiles.update_identity(
            profile, by=account, given_names=given, surname=surname, date_of_birth=dob, citizenships=[citizenship]
        )
        fill_profile(profile, account, surname=surname, citizenship=citizenship)
        application = _paid_submission(profile, program, account)
        if stage == "member":
            casework.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
            casework.approve(application, by=officer, today=dt.date.today())
    db.session.flush()
    return created
