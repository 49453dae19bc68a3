"""Plain factory functions with sensible defaults. They flush; the caller commits when it needs to."""

from __future__ import annotations

import datetime as dt
import itertools
import re

from seeds.personas import fill_profile
from trusted_traveler.auth import service as accounts
from trusted_traveler.casework import service as casework
from trusted_traveler.db import service_today
from trusted_traveler.payments import service as payments
from trusted_traveler.profiles import service as profiles
from trusted_traveler.programs.service import get_program
from trusted_traveler.scheduling.slots import generate_slots

_counter = itertools.count(1)


def create_account(email: str | None = None, *, roles: tuple[str, ...] = ()):
    email = email or f"person{next(_counter)}@example.com"
    account = accounts.account_for_sign_in(issuer=accounts.DEV_ISSUER, subject=email, email=email)
    for role in roles:
        accounts.grant_role(account, role, by=None)
    return account


def create_officer(email: str = "officer@example.com"):
    return create_account(email, roles=("officer",))


def create_profile(
    account=None,
    *,
    surname="Rivera",
    given_names="Luz",
    dob=dt.date(1990, 5, 17),
    citizenship="US",
    complete=True,
    offenses=(),
    **flags,
):
    """A profile; complete (every intake step answered, five clean years of history) unless complete=False."""
    account = account or create_account()
    profile = profiles.get_or_create_profile(account)
    profiles.update_identity(
        profile, by=account, given_names=given_names, surname=surname, date_of_birth=dob, citizenships=[citizenship]
    )
    if not complete:
        return profile
    fill_profile(profile, account, surname=surname, citizenship=citizenship, offenses=offenses, **flags)
    return profile


def create_application(program="precheck", *, profile=None, paid=False, submitted=False, judged_earlier=False):
    """A draft, paid for when `paid`, submitted when `submitted`. Submission judges the person by today's rules and
    refuses one who cannot apply; `judged_earlier` submits without that, as an application the person could still
    apply for when they submitted it, before their profile or the rules changed (pending cases the rules console's
    impact preview counts)."""
    profile = profile or create_profile()
    application = casework.start_application(profile, get_program(program), by=profile.account, today=service_today())
    if paid or submitted:
        casework.attest(application, by=profile.account)
        payments.record_completed_payment(application, gateway="test", reference=application.reference, by=None)
    if submitted and judged_earlier:
        casework.transition(application, "submitted", by=profile.account)
        casework.run_vetting(application)
    elif submitted:
        casework.submit(application, by=profile.account)
    return application


def survey_invitation(touchpoint: str, application=None, *, now: dt.datetime | None = None) -> str:
    """The token of the survey invitation at `touchpoint`, offered as the traveler's page offers it (to the traveler
    of a new draft unless `application` is given): what the survey link carries."""
    from trusted_traveler.feedback.service import record_offer

    application = application or create_application(profile=create_profile(complete=False))
    return record_offer([application], touchpoint, now=now)[application.id]


def create_hit_case(officer_email: str = "olga.officer@example.com", traveler_email: str = "hit@example.com") -> str:
    """An officer, and a Global Entry case in officer review after a sandbox vetting hit; returns its reference."""
    create_account(officer_email, roles=("officer",))
    profile = create_profile(create_account(traveler_email), surname="Hitman", dob=dt.date(1980, 1, 1))
    return create_application("global_entry", profile=profile, submitted=True).reference


def form_version(html: str) -> str:
    """The application version a case page's action forms carry (optimistic locking)."""
    return re.search(r'name="version" type="hidden" value="(\d+)"', html).group(1)


def form_revision(html: str) -> str:
    """The rule-set version revision a program lead's forms carry (RuleSetVersion.revision: a stale page is refused)."""
    return re.search(r'name="revision" type="hidden" value="(\d*)"', html).group(1)


def sign_in(client, email: str) -> None:
    """Sign in through the development sign-in, as a person would."""
    response = client.post("/auth/dev", data={"email": email})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def open_day(center, after: dt.date) -> dt.date:
    """Generate the slots of the first day on or after `after` that the center is open (not a weekend or a holiday
    it closes on); return that day."""
    day = after
    while not generate_slots(center, start=day, days=1):
        day += dt.timedelta(days=1)
    return day


def hours_version(html: str) -> str:
    """The version of a center's weekly hours that a preview's "Save these hours" carries (a stale preview saves
    nothing)."""
    return re.search(r'name="hours_version" value="([0-9a-f]*)"', html).group(1)


def change_hours(client, center_id: int, data: dict, effective_from: dt.date, *, follow_redirects: bool = False):
    """Change a center's weekly hours as a program lead does: preview the change, then "Save these hours". Returns
    the save's response."""
    form = {**data, "effective_from": effective_from.isoformat()}
    preview = client.post(f"/admin/centers/{center_id}/hours/preview", data=form)
    assert preview.status_code == 200, preview.get_data(as_text=True)[:2000]
    version = hours_version(preview.get_data(as_text=True))
    return client.post(
        f"/admin/centers/{center_id}/hours",
        data={**form, "hours_version": version},
        follow_redirects=follow_redirects,
    )
