"""The applicant profile: one per account, told once, reused by every program."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trusted_traveler.audit.record import record_event
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import ApplicantProfile, Citizenship


def profile_for(account) -> ApplicantProfile | None:
    return db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account_id == account.id))


def get_or_create_profile(account) -> ApplicantProfile:
    profile = profile_for(account)
    if profile is None:
        profile = ApplicantProfile(account_id=account.id, email=account.email)
        db.session.add(profile)
        db.session.flush()
    return profile


def update_identity(
    profile: ApplicantProfile,
    *,
    by,
    given_names: str,
    surname: str,
    date_of_birth: dt.date,
    citizenships: list[str],
) -> ApplicantProfile:
    """Set the names as on the passport, date of birth and citizenships; records what changed."""
    before = {
        "given_names": profile.given_names,
        "surname": profile.surname,
        "date_of_birth": profile.date_of_birth.isoformat() if profile.date_of_birth else None,
        "citizenships": sorted(profile.citizenship_codes),
    }
    profile.given_names = given_names.strip()
    profile.surname = surname.strip()
    profile.date_of_birth = date_of_birth
    wanted = {c.upper() for c in citizenships}
    for c in list(profile.citizenships):
        if c.country_code not in wanted:
            profile.citizenships.remove(c)
    have = set(profile.citizenship_codes)
    for code in sorted(wanted - have):
        profile.citizenships.append(Citizenship(country_code=code))
    after = {
        "given_names": profile.given_names,
        "surname": profile.surname,
        "date_of_birth": date_of_birth.isoformat(),
        "citizenships": sorted(wanted),
    }
    changed = sorted(k for k in after if after[k] != before[k])
    if changed:
        record_event("profile.updated", "profile", profile.id, by=by, fields=changed)
    db.session.flush()
    return profile


def identity_complete(profile: ApplicantProfile | None) -> bool:
    return bool(profile and profile.given_names and profile.surname and profile.date_of_birth and profile.citizenships)
