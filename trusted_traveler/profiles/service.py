"""The applicant profile: one per account, told once, reused by every program and every renewal."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from trusted_traveler.audit.record import record_event
from trusted_traveler.casework.changes import recheck, under_way
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.references import normalize_reference
from trusted_traveler.casework.states import UNDER_WAY, Status
from trusted_traveler.db import service_date, service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, DomainError
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.service import queue_email
from trusted_traveler.profiles.history import find_gaps
from trusted_traveler.profiles.models import (
    AddressPeriod,
    ApplicantProfile,
    Citizenship,
    CountryVisited,
    EmploymentPeriod,
    IdentityDocument,
    OffenseDisclosure,
    OtherName,
)
from trusted_traveler.rules.conditions import citizenship_code
from trusted_traveler.rules.service import book_in_force

# The guided intake, in order. The guardian step applies only to applicants under 18. Where the person lives comes
# before the contact details, whose mailing address question refers to that home address.
STEPS = (
    "names",
    "birth",
    "citizenship",
    "documents",
    "addresses",
    "contact",
    "employment",
    "travel",
    "background",
    "guardian",
)
COLLECTIONS = {
    "other_names": OtherName,
    "citizenships": Citizenship,
    "documents": IdentityDocument,
    "addresses": AddressPeriod,
    "employment": EmploymentPeriod,
    "countries_visited": CountryVisited,
    "offenses": OffenseDisclosure,
}
AGE_OF_MAJORITY = 18  # when no age_of_majority setting is in force
# How long an answer to "which countries have you visited in the last 5 years?" stands: as long as a draft is kept
# (casework.service.DRAFT_RETENTION). An older answer may leave out trips since, and every renewal (at most a year
# before a five-year term ends) is far older, so a renewal always asks again.
TRAVEL_ANSWER_STANDS = dt.timedelta(days=180)
# Who the parent or guardian is: a change to any of these is a different person, whose own consent is needed.
GUARDIAN_IDENTITY = ("guardian_given_names", "guardian_surname", "guardian_email", "guardian_profile_id")
# The profile fields the eligibility rules read (eligibility_facts). Changing one after submission has the rules
# answer again for each application under way (casework.changes.recheck).
RULE_FIELDS = frozenset(
    {
        "date_of_birth",
        "citizenships",
        "lawful_permanent_resident",
        "offenses",
        "customs_immigration_violation",
        "under_investigation",
        "inadmissible_or_waiver",
    }
)


def profile_for(account) -> ApplicantProfile | None:
    return db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account_id == account.id))


def get_or_create_profile(account) -> ApplicantProfile:
    profile = profile_for(account)
    if profile is None:
        profile = ApplicantProfile(account_id=account.id, email=account.email, intake_progress={})
        db.session.add(profile)
        db.session.flush()
    return profile


def age_on(profile: ApplicantProfile, day: dt.date) -> int | None:
    dob = profile.date_of_birth
    if dob is None:
        return None
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def is_minor(profile: ApplicantProfile, today: dt.date) -> bool:
    """Under the age of majority on `today` (the same setting as `is_adult` and the rules)."""
    age = age_on(profile, today)
    return age is not None and age < age_of_majority(today)


def age_of_majority(today: dt.date) -> int:
    """The age of majority in force on `today`: the dated `age_of_majority` setting as the Global Entry rules and
    fee read it (their rule book, the program's value else the service-wide one), 18 if none is in force."""
    try:
        value = book_in_force("global_entry", today).params.get("age_of_majority")
    except DomainError:  # no Global Entry rules in force on that day
        value = None
    return AGE_OF_MAJORITY if value is None else int(value)


def is_adult(profile: ApplicantProfile, today: dt.date) -> bool:
    """Of the age of majority on `today` (a profile without a date of birth is not known to be)."""
    age = age_on(profile, today)
    return age is not None and age >= age_of_majority(today)


def applicable_steps(profile: ApplicantProfile, today: dt.date) -> list[str]:
    return [s for s in STEPS if s != "guardian" or is_minor(profile, today)]


def address_gaps(profile: ApplicantProfile, today: dt.date):
    """The months of the last five years, or since birth for a younger person, that no address covers."""
    periods = ((a.from_month, a.to_month) for a in profile.addresses)
    return find_gaps(periods, today=today, born=profile.date_of_birth)


def home_address(profile: ApplicantProfile) -> AddressPeriod | None:
    """The address the person lives at now (the one of the five-year history with no end month), if given."""
    return next((a for a in profile.addresses if a.to_month is None), None)


# A U.S. ZIP code as people write it: five digits, maybe with the four of ZIP+4 ("78701", "78701-1234", "78701 1234").
US_ZIP = re.compile(r"\s*([0-9]{5})(?:[- ]?[0-9]{4})?\s*")


def home_zip(profile: ApplicantProfile) -> str | None:
    """The 5-digit ZIP code of the traveler's current home address, when it is in the United States (a territory
    counts: its codes are U.S. ZIP codes) and written as one; None otherwise."""
    for address in profile.addresses:  # the latest first
        if address.to_month is None and citizenship_code(address.country) == "US" and address.postal_code:
            found = US_ZIP.fullmatch(address.postal_code)
            if found:
                return found.group(1)
    return None


def employment_gaps(profile: ApplicantProfile, today: dt.date):
    """The months of the last five years, or since birth for a younger person, that no work, study or other period
    covers (a young child's is one "not working" period from birth)."""
    periods = ((e.from_month, e.to_month) for e in profile.employment)
    return find_gaps(periods, today=today, born=profile.date_of_birth)


def expired_documents(profile: ApplicantProfile, today: dt.date) -> list[IdentityDocument]:
    """The identity documents no longer valid on `today`: expiring today counts, as on the documents page (a passport
    that expired recently proves citizenship at most, never identity, BRIEF.md section 1.4). Until each is renewed
    or removed the documents step is unfinished, so no application, new or renewal, can rest on it."""
    return [d for d in profile.documents if d.expires_on is not None and d.expires_on <= today]


def green_card_disagrees(profile: ApplicantProfile) -> bool:
    """Whether the identity documents and the citizenship page's answer to "Do you hold a U.S. Permanent Resident
    Card?" disagree: a card with a "no", or a "yes" without one. The answer is what the eligibility rules read
    (eligibility_facts), and the documents page saves neither (web/intake/forms.py DocumentsForm.green_card_agrees),
    so this is an answer changed after the documents were saved. Until the person puts it right the documents step
    is out of date, so no application rests on the two. False while either page is unanswered."""
    if not profile.citizenships or not profile.documents:
        return False
    has_card = any(d.kind == "permanent_resident_card" for d in profile.documents)
    return has_card != bool(profile.lawful_permanent_resident)


def saved_on(profile: ApplicantProfile, step: str) -> dt.date | None:
    """The day `step` was last saved, if known (steps saved before this was recorded have no day)."""
    day = (profile.intake_progress or {}).get("saved_on", {}).get(step)
    return dt.date.fromisoformat(day) if day else None


def last_sent(profile: ApplicantProfile) -> Application | None:
    """The profile's application submitted most recently, whatever became of it since (its program loaded with it):
    the last time these answers were sent to us. A renewal, or an application for the other program, sends the same
    profile again, so Check your answers says where its answers come from and asks the traveler to confirm they are
    still right (web/portal checkout). None before a first application is submitted."""
    return db.session.scalar(
        select(Application)
        .options(joinedload(Application.program))
        .where(Application.profile_id == profile.id, Application.submitted_at.is_not(None))
        .order_by(Application.submitted_at.desc(), Application.id.desc())
        .limit(1)
    )


def steps_saved_since(profile: ApplicantProfile, day: dt.date) -> dict[str, dt.date]:
    """The intake steps last saved on a day after `day`, each with that day (`saved_on`): answers the traveler has
    updated, or confirmed, since an application sent on `day`. A step saved on that same day is not among them (a
    save is known by its day only), nor one saved before the day of each step was recorded."""
    saved = (profile.intake_progress or {}).get("saved_on", {})
    return {step: on for step, text in saved.items() if (on := dt.date.fromisoformat(text)) > day}


def travel_answer_stale(profile: ApplicantProfile, today: dt.date) -> bool:
    """Whether the countries visited were answered, but too long ago to stand for the last five years now
    (TRAVEL_ANSWER_STANDS): the person confirms or updates them before applying. A profile saved before the day of
    each step was recorded counts from its last save (`updated_at`), so no one answering recently is asked again."""
    if "travel" not in (profile.intake_progress or {}).get("saved", []):
        return False
    day = saved_on(profile, "travel") or (service_date(profile.updated_at) if profile.updated_at else None)
    return day is None or day < today - TRAVEL_ANSWER_STANDS


def out_of_date_steps(profile: ApplicantProfile, today: dt.date) -> list[str]:
    """The steps answered before whose answers no longer stand on `today`: an expired identity document, a Permanent
    Resident Card the citizenship answer no longer agrees with, countries visited answered too long ago. Each is
    unfinished until the person updates or confirms it."""
    steps = []
    if expired_documents(profile, today) or green_card_disagrees(profile):
        steps.append("documents")
    if travel_answer_stale(profile, today):
        steps.append("travel")
    return steps


def step_complete(profile: ApplicantProfile, step: str, today: dt.date) -> bool:
    saved = set((profile.intake_progress or {}).get("saved", []))
    p = profile
    checks = {
        "names": lambda: bool(p.given_names and p.surname),
        "birth": lambda: bool(p.date_of_birth and p.birth_country and p.sex and p.height_cm and p.eye_color),
        "citizenship": lambda: bool(p.citizenships),
        "documents": lambda: bool(p.documents) and not expired_documents(p, today) and not green_card_disagrees(p),
        "contact": lambda: bool(p.email and p.phone and (p.mailing_same_as_residential or p.mailing_line1)),
        "addresses": lambda: bool(p.addresses) and not address_gaps(p, today),
        "employment": lambda: bool(p.employment) and not employment_gaps(p, today),
        "travel": lambda: "travel" in saved and not travel_answer_stale(p, today),
        "background": lambda: p.background_answered_at is not None,
        "guardian": lambda: bool(p.guardian_surname and p.guardian_consent_at),
    }
    return checks[step]()


def missing_steps(profile: ApplicantProfile | None, today: dt.date) -> list[str]:
    if profile is None:
        return list(STEPS[:-1])
    return [s for s in applicable_steps(profile, today) if not step_complete(profile, s, today)]


def profile_complete(profile: ApplicantProfile | None, today: dt.date) -> bool:
    return profile is not None and not missing_steps(profile, today)


def save_step(
    profile: ApplicantProfile,
    step: str,
    *,
    by,
    fields: dict[str, Any] | None = None,
    collections: dict[str, list[dict[str, Any]]] | None = None,
) -> list[str]:
    """Save one intake step: set scalar fields, replace whole child collections, stamp "last saved", remember the
    step was saved, and audit which fields changed (names only, never values). A change to a field the eligibility
    rules read has them answer again for each submitted application still open (casework.changes.recheck; what was
    submitted is kept on the application). Returns the changed field names."""
    if step not in STEPS:
        raise BusinessRuleViolation(f"There is no intake step called {step!r}.")
    changed: list[str] = []
    for name, value in (fields or {}).items():
        if getattr(profile, name) != value:
            setattr(profile, name, value)
            changed.append(name)
    for name, rows in (collections or {}).items():
        model = COLLECTIONS[name]
        current = getattr(profile, name)
        if len(current) != len(rows) or any(_row_values(r, row) != row for r, row in zip(current, rows, strict=True)):
            current.clear()
            db.session.flush()  # delete old rows before inserting new ones (unique constraints)
            current.extend(model(**row) for row in rows)
            changed.append(name)
    progress = dict(profile.intake_progress or {})
    progress["saved"] = sorted(set(progress.get("saved", [])) | {step})
    progress["saved_on"] = {**progress.get("saved_on", {}), step: service_today().isoformat()}
    progress["last_step"] = step
    profile.intake_progress = progress
    profile.updated_at = utcnow()
    if changed:
        record_event("profile.updated", "profile", profile.id, by=by, step=step, fields=changed)
    db.session.flush()
    if RULE_FIELDS.intersection(changed):
        today = service_today()
        recheck(
            under_way(profile.id),
            lambda: eligibility_facts(profile, today),
            step=step,
            fields=changed,
            by=by,
            today=today,
        )
    return changed


def _row_values(obj, like: dict[str, Any]) -> dict[str, Any]:
    return {k: getattr(obj, k) for k in like}


def resolve_guardian(reference: str | None) -> Membership | Application | None:
    """The membership (by Known Traveler Number) or application (by reference) a parent's number names, if any."""
    if not reference:
        return None
    text = reference.strip().upper()
    membership = db.session.scalar(select(Membership).where(Membership.ktn == text.replace(" ", "")))
    if membership is not None:
        return membership
    return db.session.scalar(select(Application).where(Application.reference == normalize_reference(text)))


def same_surname(typed: str | None, on_record: str | None) -> bool:
    """Whether a surname someone typed is the one on record, written however: case, accents (NFKD, the marks
    dropped), spaces, hyphens, apostrophes and dots aside, so "obrien-de la cruz" is "O’Brien De La Cruz". An empty
    surname matches nothing."""
    typed_key, record_key = (
        "".join(c for c in unicodedata.normalize("NFKD", name or "").casefold() if c.isalnum())
        for name in (typed, on_record)
    )
    return bool(typed_key) and typed_key == record_key


def guardian_for(
    profile: ApplicantProfile, reference: str | None, today: dt.date, *, surname: str | None
) -> ApplicantProfile | None:
    """The parent or guardian a minor links by their Global Entry application reference or Known Traveler Number
    together with their surname (None for no reference).

    The number and the surname are matched together (`same_surname` with the surname on the holder's profile), and
    when no record has that number, or its holder has another surname, the answer is one and the same: otherwise
    anyone signed in could type numbers into the field and learn which exist, for which program, and whose holder is
    a child. Only once both match, so the person demonstrably knows whose number it is, is it refused with the
    reason (BusinessRuleViolation, with what to do): when it is a TSA PreCheck one, when it is the minor's own, or
    when its holder is not an adult on `today` (a brother's or sister's application proves no parent, and waives no
    fee).

    A guardian's number means something for Global Entry only (BRIEF.md section 1.2): a minor whose parent or
    guardian is a member or applying pays no Global Entry fee (guardian_is_member_or_applying). PreCheck has no such
    waiver, and a parent's PreCheck does not enrol their child: a child 17 or under may go through the PreCheck lane
    with them instead of applying (the guardian page's hint says so). So a PreCheck number, once accepted and then
    waiving nothing, is refused with the reason."""
    if not reference:
        return None
    record = resolve_guardian(reference)
    if record is None or not same_surname(surname, record.profile.surname):
        raise BusinessRuleViolation(
            _(
                "We could not find a Global Entry application or membership with that number and that surname. "
                "Check that both are as written on their application, or leave the number empty."
            )
        )
    if record.program.code != "global_entry":
        raise BusinessRuleViolation(
            _(
                "That is a TSA PreCheck number. Only a parent or guardian's Global Entry membership or application "
                "waives a fee (the Global Entry fee): enter their Global Entry number, or leave this empty."
            )
        )
    guardian = record.profile
    if guardian.id == profile.id:
        raise BusinessRuleViolation(_("Enter your parent or guardian's number, not your own."))
    if not is_adult(guardian, today):
        raise BusinessRuleViolation(
            _(
                "That number is not an adult's. A parent or guardian must be %(age)s or older: enter their own "
                "application reference or Known Traveler Number, or leave it empty.",
                age=age_of_majority(today),
            )
        )
    return guardian


def save_guardian(profile: ApplicantProfile, *, by, fields: dict[str, Any], today: dt.date) -> bool:
    """Save the parent or guardian step (`fields`: the guardian_* columns but consent). The consent is the named
    guardian's, so it is taken afresh (stamped now) the first time and whenever who the guardian is changes (names,
    e-mail or linked application: GUARDIAN_IDENTITY); each time it is audited and the guardian is told by e-mail at
    the address given, so someone named without knowing hears of it. Returns whether consent was taken afresh."""
    fresh = profile.guardian_consent_at is None or any(
        fields.get(name) != getattr(profile, name) for name in GUARDIAN_IDENTITY
    )
    fields = {**fields, "guardian_consent_at": utcnow() if fresh else profile.guardian_consent_at}
    save_step(profile, "guardian", by=by, fields=fields)
    if fresh:
        record_event(
            "profile.guardian_consent",
            "profile",
            profile.id,
            by=by,
            linked_guardian=profile.guardian_profile_id is not None,
        )
        _tell_guardian(profile, today)
    return fresh


def _tell_guardian(profile: ApplicantProfile, today: dt.date) -> None:
    """The e-mail to the parent or guardian a minor named, in the linked guardian's language if they have an account
    here, else the minor's."""
    name = profile.full_name or profile.email or profile.account.email
    linked = db.session.get(ApplicantProfile, profile.guardian_profile_id) if profile.guardian_profile_id else None
    queue_email(
        profile.guardian_email,
        about=profile.account,
        kind="guardian_consent",
        language=(linked.account.preferred_language if linked is not None else None)
        or profile.account.preferred_language,
        subject=_l("%(minor)s named you as their parent or guardian", minor=name),
        body=_l(
            "%(minor)s named you as their parent or guardian on an application for Trusted Traveler (TSA PreCheck "
            "or Global Entry), and confirmed that you consent to it on their behalf. Applicants under %(age)s need "
            "the consent of a parent or legal guardian.\n\n"
            "If this is right, you do not need to do anything.\n\n"
            "If it is wrong (you are not their parent or guardian, or you do not consent), ask %(minor)s to correct "
            'the "Parent or guardian" page of their Trusted Traveler profile, or to withdraw the application.',
            minor=name,
            age=age_of_majority(today),
        ),
    )


def _adult_guardian_id(profile: ApplicantProfile, today: dt.date) -> int | None:
    """The linked parent or guardian, if they are someone else and an adult on `today`: only such a one can waive a
    minor's fee (a link made before the guardian page refused others counts for nothing)."""
    guardian_id = profile.guardian_profile_id
    if guardian_id is None or guardian_id == profile.id:
        return None
    guardian = db.session.get(ApplicantProfile, guardian_id)
    return guardian_id if guardian is not None and is_adult(guardian, today) else None


def guardian_is_member_or_applying(profile: ApplicantProfile, today: dt.date, *, paying_with=()) -> bool:
    """Whether the linked parent or guardian is a Global Entry member or is applying at the same time: the condition
    of a minor's fee waiver (BRIEF.md section 2). The parent's application ID or Known Traveler Number, entered by
    the minor, is the proof, so it counts only for what it shows on `today`:

    - an adult: the guardian is someone else, of the age of majority on `today` (a brother's or sister's
      application is no parent's);
    - a member: the guardian holds an active Global Entry membership still valid on `today`;
    - applying: the guardian has a Global Entry application that was submitted, so its fee was paid, and is still
      under way (any open status but draft); or an attested draft of theirs is in `paying_with`, the applications
      paid for in the same checkout, which are submitted together with the minor's or not at all.

    An unpaid draft does not count: it is only an intention, which its owner can drop or let expire at any time, so
    a waiver resting on it could outlive it. The waiver is worked out again at checkout and at submission
    (casework.service.fee_in_force), so one whose condition no longer holds is never kept."""
    guardian_id = _adult_guardian_id(profile, today)
    if guardian_id is None:
        return False
    member = db.session.scalar(
        select(Membership.id)
        .join(Membership.program)
        .where(Membership.profile_id == guardian_id, Membership.status == "active", Membership.valid_until >= today)
        .where(Membership.program.has(code="global_entry"))
        .limit(1)
    )
    if member is not None:
        return True
    if any(
        a.profile_id == guardian_id
        and a.program.code == "global_entry"
        and a.status == Status.DRAFT
        and a.attested_at is not None
        for a in paying_with
    ):
        return True
    applying = db.session.scalar(
        select(Application.id)
        .where(Application.profile_id == guardian_id, Application.status.in_(sorted(s.value for s in UNDER_WAY)))
        .where(Application.program.has(code="global_entry"))
        .limit(1)
    )
    return applying is not None


def guardian_has_unpaid_draft(profile: ApplicantProfile, today: dt.date) -> bool:
    """Whether the linked parent or guardian (an adult: `_adult_guardian_id`) has started a Global Entry application
    but not yet paid for it: it does not waive the minor's fee (guardian_is_member_or_applying), but it will once it
    is paid, which the minor is told before paying in full."""
    guardian_id = _adult_guardian_id(profile, today)
    if guardian_id is None:
        return False
    draft = db.session.scalar(
        select(Application.id)
        .where(Application.profile_id == guardian_id, Application.status == Status.DRAFT)
        .where(Application.program.has(code="global_entry"))
        .limit(1)
    )
    return draft is not None


def eligibility_facts(profile: ApplicantProfile, today: dt.date) -> dict[str, Any]:
    """The profile as the facts of an eligibility check (CONTRACTS.md section 1 field names)."""
    return {
        "date_of_birth": profile.date_of_birth,
        "citizenships": profile.citizenship_codes,
        "lawful_permanent_resident": bool(profile.lawful_permanent_resident),
        "offenses": [
            {"category": o.category, "status": o.status, "date": o.date, "released_on": o.released_on}
            for o in profile.offenses
        ],
        "customs_immigration_violation": bool(profile.customs_immigration_violation),
        "under_investigation": bool(profile.under_investigation),
        "inadmissible_or_waiver": bool(profile.inadmissible_or_waiver),
        "parent_member_or_applying": guardian_is_member_or_applying(profile, today),
        "travels_internationally": True,
    }


def profile_record(profile: ApplicantProfile, today: dt.date) -> dict[str, Any]:
    """The profile as an application keeps it when submitted (Application.submitted_profile), in JSON values: the
    facts the eligibility rules read (eligibility_facts), the names, the identity documents as the case page shows
    them (kind, issuer, last four digits, expiry: never the whole number), the background explanation, and the
    profile's last save it was taken at (`saved_at`: casework.changes.saved_since_submission)."""
    return _json_values(
        {
            "saved_at": profile.updated_at,
            "facts": eligibility_facts(profile, today),
            "name": {
                "given_names": profile.given_names,
                "middle_names": profile.middle_names,
                "surname": profile.surname,
            },
            "other_names": [
                {"given_names": n.given_names, "surname": n.surname, "kind": n.kind} for n in profile.other_names
            ],
            "documents": [
                {
                    "kind": d.kind,
                    "issuing_country": d.issuing_country,
                    "issuing_region": d.issuing_region,
                    "number_last4": d.number_last4,
                    "expires_on": d.expires_on,
                }
                for d in profile.documents
            ],
            "background_details": profile.background_details,
        }
    )


def _json_values(value: Any) -> Any:
    """`value` with its dates as ISO text (a JSON column holds no dates)."""
    if isinstance(value, dict):
        return {k: _json_values(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_values(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def update_identity(
    profile: ApplicantProfile,
    *,
    by,
    given_names: str,
    surname: str,
    date_of_birth: dt.date,
    citizenships: list[str],
) -> ApplicantProfile:
    """Names, date of birth and citizenships in one call (used by demo data and tests)."""
    save_step(profile, "names", by=by, fields={"given_names": given_names.strip(), "surname": surname.strip()})
    save_step(profile, "birth", by=by, fields={"date_of_birth": date_of_birth})
    save_step(
        profile,
        "citizenship",
        by=by,
        collections={"citizenships": [{"country_code": c.upper()} for c in citizenships]},
    )
    return profile
