"""Rows for a batch of synthetic applicants, as tuples in the column order of COLUMNS. Pure: no database, the same
rows for the same seed, starting ids and context (reference data read once by `synthetic.load`)."""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal

from trusted_traveler.casework.reasons import BY_CODE
from trusted_traveler.casework.states import AUTOMATIC, TRAVELER_MOVES, Status
from trusted_traveler.profiles.history import add_months, first_of_month, window
from trusted_traveler.profiles.service import STEPS
from trusted_traveler.synthetic import pools
from trusted_traveler.synthetic.journeys import JOURNEYS, SCHEDULED

S = Status
ISSUER = "urn:trusted-traveler:synthetic"
PROVIDER = "synthetic"
SOURCES = ("criminal_history", "watchlist", "immigration_customs")
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # casework.references.ALPHABET
DAY = dt.timedelta(days=1)

COLUMNS: dict[str, tuple[str, ...]] = {
    "accounts": ("id", "issuer", "subject", "email", "display_name", "preferred_language", "created_at",
                 "last_sign_in_at"),
    "applicant_profiles": (
        "id", "account_id", "surname", "given_names", "middle_names", "date_of_birth", "birth_city", "birth_region",
        "birth_country", "sex", "height_cm", "eye_color", "hair_color", "lawful_permanent_resident", "email", "phone",
        "mailing_same_as_residential", "customs_immigration_violation", "under_investigation",
        "inadmissible_or_waiver", "background_answered_at", "guardian_surname", "guardian_given_names",
        "guardian_relationship", "guardian_email", "guardian_consent_at", "intake_progress", "created_at",
        "updated_at",
    ),
    "profile_citizenships": ("id", "profile_id", "country_code", "acquired"),
    "identity_documents": ("id", "profile_id", "kind", "issuing_country", "issuing_region", "number", "number_last4",
                           "issued_on", "expires_on", "enhanced", "created_at", "updated_at"),
    "address_periods": ("id", "profile_id", "from_month", "to_month", "line1", "line2", "city", "region",
                        "postal_code", "country"),
    "employment_periods": ("id", "profile_id", "from_month", "to_month", "status", "employer", "occupation", "city",
                           "region", "country", "phone"),
    "countries_visited": ("id", "profile_id", "country_code"),
    "offense_disclosures": ("id", "profile_id", "category", "status", "date", "released_on", "details"),
    "applications": (
        "id", "reference", "profile_id", "program_id", "kind", "status", "status_entered_at", "submitted_at",
        "decided_at", "priority", "assigned_officer_id", "fee", "eligibility_snapshot", "attested_at",
        "draft_reminder_sent_at", "enrollment_center_id", "created_at", "updated_at", "version",
        "documents_verified_at", "biometrics_captured_at",
    ),
    "status_events": ("id", "application_id", "from_status", "to_status", "actor_id", "reason_code", "note",
                      "created_at"),
    "vetting_results": ("id", "application_id", "source", "outcome", "detail", "provider", "checked_at", "trigger"),
    "memberships": ("id", "profile_id", "program_id", "ktn", "valid_from", "valid_until", "status", "application_id",
                    "revoked_at", "revoked_reason", "last_reminder_months", "created_at"),
    "info_requests": ("id", "application_id", "requested_by_id", "message", "due_on", "created_at", "answer",
                      "answered_at"),
    "decision_letters": ("id", "application_id", "kind", "reason_codes", "note", "issued_by_id", "issued_at"),
    "appointments": ("id", "application_id", "slot_id", "status", "reschedule_count", "booked_at", "cancelled_at",
                     "checked_in_at", "reminder_sent_at"),
}  # fmt: skip
TABLES = tuple(COLUMNS)  # in foreign-key order

# Mean days each move takes (exponentially distributed; floors keep automatic moves seconds apart).
MEAN_DAYS = {
    (S.DRAFT, S.SUBMITTED): 3,
    (S.SUBMITTED, S.IN_VETTING): 0.0002,
    (S.IN_VETTING, S.CONDITIONALLY_APPROVED): 20,
    (S.IN_VETTING, S.OFFICER_REVIEW): 8,
    (S.OFFICER_REVIEW, S.CONDITIONALLY_APPROVED): 25,
    (S.OFFICER_REVIEW, S.INFO_REQUESTED): 15,
    (S.OFFICER_REVIEW, S.DENIED): 30,
    (S.INFO_REQUESTED, S.OFFICER_REVIEW): 12,
    (S.INFO_REQUESTED, S.DENIED): 40,
    (S.CONDITIONALLY_APPROVED, S.INTERVIEW_SCHEDULED): 20,
    (S.CONDITIONALLY_APPROVED, S.INTERVIEW_COMPLETED): 60,
    (S.INTERVIEW_SCHEDULED, S.INTERVIEW_COMPLETED): 35,
    (S.INTERVIEW_SCHEDULED, S.CONDITIONALLY_APPROVED): 10,
    (S.INTERVIEW_COMPLETED, S.APPROVED): 1,
    (S.INTERVIEW_COMPLETED, S.DENIED): 10,
    (S.SUBMITTED, S.ENROLLMENT_SCHEDULED): 4,
    (S.SUBMITTED, S.BIOMETRICS_CAPTURED): 10,
    (S.SUBMITTED, S.OFFICER_REVIEW): 0.0002,
    (S.ENROLLMENT_SCHEDULED, S.BIOMETRICS_CAPTURED): 12,
    (S.ENROLLMENT_SCHEDULED, S.SUBMITTED): 5,
    (S.BIOMETRICS_CAPTURED, S.IN_VETTING): 0.0002,
    (S.IN_VETTING, S.APPROVED): 5,
    (S.OFFICER_REVIEW, S.SUBMITTED): 15,
    (S.OFFICER_REVIEW, S.APPROVED): 20,
    (S.OFFICER_REVIEW, S.PRELIMINARY_INELIGIBLE): 20,
    (S.PRELIMINARY_INELIGIBLE, S.OFFICER_REVIEW): 30,
    (S.APPROVED, S.REVOKED): 400,
    (S.DENIED, S.RECONSIDERATION_REQUESTED): 30,
    (S.REVOKED, S.RECONSIDERATION_REQUESTED): 30,
    (S.RECONSIDERATION_REQUESTED, S.OFFICER_REVIEW): 20,
}
FIXED_DAYS = {(S.DRAFT, S.WITHDRAWN): 180.2, (S.PRELIMINARY_INELIGIBLE, S.DENIED): 61}
REASON_CODES = {  # what the status event of each officer move carries (as casework.decisions writes it)
    (S.IN_VETTING, S.OFFICER_REVIEW): "vetting_hit",
    (S.SUBMITTED, S.OFFICER_REVIEW): "vetting_hit",
    (S.IN_VETTING, S.CONDITIONALLY_APPROVED): "vetting_clear",
    (S.IN_VETTING, S.APPROVED): "vetting_clear",
    (S.OFFICER_REVIEW, S.CONDITIONALLY_APPROVED): "officer_cleared",
    (S.OFFICER_REVIEW, S.SUBMITTED): "cleared_to_enroll",
    (S.INTERVIEW_SCHEDULED, S.INTERVIEW_COMPLETED): "interview_held",
    (S.CONDITIONALLY_APPROVED, S.INTERVIEW_COMPLETED): "enrollment_on_arrival",
    (S.ENROLLMENT_SCHEDULED, S.BIOMETRICS_CAPTURED): "enrollment_visit",
    (S.SUBMITTED, S.BIOMETRICS_CAPTURED): "enrollment_visit",
    (S.INTERVIEW_COMPLETED, S.APPROVED): "officer_approved",
    (S.OFFICER_REVIEW, S.APPROVED): "officer_approved",
    (S.OFFICER_REVIEW, S.INFO_REQUESTED): "info_requested",
    (S.INFO_REQUESTED, S.OFFICER_REVIEW): "info_answered",
    (S.PRELIMINARY_INELIGIBLE, S.DENIED): "no_response",
    (S.PRELIMINARY_INELIGIBLE, S.OFFICER_REVIEW): "determination_answered",
    (S.DENIED, S.RECONSIDERATION_REQUESTED): "reconsideration",
    (S.REVOKED, S.RECONSIDERATION_REQUESTED): "reconsideration",
    (S.RECONSIDERATION_REQUESTED, S.OFFICER_REVIEW): "reconsideration_opened",
    (S.DRAFT, S.WITHDRAWN): "draft_expired",
}
DECISION_REASONS = {
    "global_entry": ("not_low_risk", "criminal_history", "false_information", "customs_immigration"),
    "precheck": ("disqualifying_offense", "false_information", "security_threat"),
}
QUESTIONS = (
    "Please send a copy of the court record for the charge listed in your background check.",
    "Please confirm the dates you lived at your previous address.",
    "Please upload the biographic page of your current passport.",
    "Please explain the customs inspection recorded on your last trip.",
)
ANSWER = "I have attached the document you asked for."
OFFICER_ONLY = S.OFFICER_REVIEW, S.INFO_REQUESTED, S.PRELIMINARY_INELIGIBLE, S.RECONSIDERATION_REQUESTED


@dataclass
class Context:
    """What the generator needs from the database, read once: ids of programs, centers and officers, dated fees
    and rule-set labels, the pool of encrypted document numbers and the free seats."""

    now: dt.datetime  # the run's clock: midnight UTC today, so a seed gives the same rows all day
    programs: dict[str, int]
    fees: dict[str, list[tuple[dt.date, str]]]  # fee_new by effective date, newest first
    validity_years: dict[str, int]
    rule_sets: dict[str, str]
    centers: dict[str, list[int]]  # the centers offering each program
    officers: list[int]
    documents: dict[str, list[tuple[str, str]]]  # kind -> (ciphertext, last four)
    seats: Seats
    # Journeys still to be taken once each: a load starts with one application along every journey, so even a
    # small population holds every status of both machines.
    pending: dict[str, list[tuple[Status, ...]]] = field(
        default_factory=lambda: {code: [path for _w, path in journeys] for code, journeys in JOURNEYS.items()}
    )

    @property
    def today(self) -> dt.date:
        return self.now.date()


@dataclass
class Seats:
    """Free seats in future slots, per center; taking one records it against the batch."""

    free: dict[int, list[list]]  # center id -> [[slot id, free seats], ...]
    taken: dict[int, int] = field(default_factory=dict)  # slot id -> seats taken in this batch

    def take(self, rng: random.Random, centers: list[int]) -> tuple[int, int] | None:
        start = rng.randrange(len(centers))
        for center in centers[start:] + centers[:start]:
            slots = self.free.get(center)
            if not slots:
                continue
            i = rng.randrange(len(slots))
            slot = slots[i]
            slot[1] -= 1
            if slot[1] == 0:
                slots[i] = slots[-1]
                slots.pop()
            self.taken[slot[0]] = self.taken.get(slot[0], 0) + 1
            return slot[0], center
        return None


class Ids:
    """The next id of each table (continuing after what the database holds)."""

    def __init__(self, start: dict[str, int]):
        self.next = dict(start)

    def take(self, table: str) -> int:
        value = self.next[table]
        self.next[table] = value + 1
        return value


def reference_for(application_id: int, attempt: int = 0) -> str:
    """TT2-XXXX-XXXX derived from the id by a bijection of the 30**8 references, so no two synthetic applications
    share one; `attempt` moves a reference that an existing (random) one already holds."""
    space = 30**8
    n = ((application_id + attempt * 2**31) * 123_456_791 + 987_654_321) % space
    chars = []
    for _ in range(8):
        n, digit = divmod(n, 30)
        chars.append(REFERENCE_ALPHABET[digit])
    return f"TT2-{''.join(chars[:4])}-{''.join(chars[4:])}"


def ktn_for(program_code: str, membership_id: int, attempt: int = 0) -> str:
    """Global Entry: 9 digits starting 15, 98 or 99; PreCheck: TT and 7 digits (memberships.service.new_ktn),
    derived from the membership id by a bijection of each format's numbers."""
    if program_code == "global_entry":
        n = ((membership_id + attempt * 7_777_777) * 7_654_321 + 1_234_567) % (3 * 10**7)
        return ("15", "98", "99")[n // 10**7] + f"{n % 10**7:07d}"
    n = ((membership_id + attempt * 7_777_777) * 7_654_321 + 4_242_421) % 10**7
    return f"TT{n:07d}"


def _birthday_in_year(born: dt.date, year: int) -> dt.date:
    try:
        return born.replace(year=year)
    except ValueError:
        return dt.date(year, 2, 28)


def _fee(ctx: Context, code: str, day: dt.date) -> str:
    return next((value for since, value in ctx.fees[code] if since <= day), ctx.fees[code][-1][1])


_DECIMALS: dict[str, Decimal] = {}


def _decimal(value: str) -> Decimal:
    if value not in _DECIMALS:
        _DECIMALS[value] = Decimal(value)
    return _DECIMALS[value]


_CUMULATIVE = {
    code: ([p for _w, p in journeys], [sum(w for w, _p in journeys[: i + 1]) for i in range(len(journeys))])
    for code, journeys in JOURNEYS.items()
}
_PROFILE_PROGRESS = json.dumps({"saved": sorted(STEPS), "last_step": "background"})
_ADULT_PROGRESS = json.dumps({"saved": sorted(s for s in STEPS if s != "guardian"), "last_step": "background"})


def generate_batch(
    rng: random.Random, ctx: Context, ids: Ids, count: int
) -> tuple[dict[str, list[tuple]], dict[int, int]]:
    """`count` applicants with everything they would have after using the service: the rows of each table, and
    the seats their appointments take (slot id -> seats)."""
    rows: dict[str, list[tuple]] = {table: [] for table in TABLES}
    for _ in range(count):
        _applicant(rng, ctx, ids, rows)
    taken, ctx.seats.taken = ctx.seats.taken, {}
    return rows, taken


def _applicant(rng: random.Random, ctx: Context, ids: Ids, rows: dict[str, list[tuple]]) -> None:
    today, now = ctx.today, ctx.now
    account_id, profile_id = ids.take("accounts"), ids.take("applicant_profiles")
    female = rng.random() < 0.5
    given = rng.choice(pools.GIVEN_F if female else pools.GIVEN_M)
    surname = rng.choice(pools.SURNAMES)
    born = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(27_758))  # to 2015-12-31
    age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
    minor = age < 18
    city, state, zip_code, area = rng.choice(pools.CITIES)
    email = f"{given}.{surname}.{account_id}@example.com".lower().replace("'", "")

    kind = rng.random()
    lpr = 0.87 <= kind < 0.94
    partner = kind >= 0.94
    offense = not minor and not partner and rng.random() < 0.03
    if partner or minor:
        programs = ["global_entry"]
    elif offense:
        programs = ["precheck"]
    else:
        pick = rng.random()
        programs = ["global_entry"] if pick < 0.45 else ["precheck"] if pick < 0.85 else ["global_entry", "precheck"]

    # Applications first: the profile and account were created shortly before the first draft.
    first_draft = now
    for code in programs:
        first_draft = min(first_draft, _application(rng, ctx, ids, rows, code, profile_id, account_id, born))
    created = first_draft - dt.timedelta(minutes=rng.randrange(5, 600))
    last_seen = now - dt.timedelta(minutes=rng.randrange(1, 60 * 24 * 120))

    rows["accounts"].append(
        (account_id, ISSUER, f"synthetic-{account_id}", email, f"{given} {surname}",
         "es" if rng.random() < 0.08 else "en", created, max(created, last_seen))
    )  # fmt: skip
    citizenship = _citizenships(rng, ids, rows, profile_id, lpr, partner)
    born_in = rng.choice(pools.CITIES)[:2] if citizenship == "US" else (None, None)
    guardian = (surname, rng.choice(pools.GIVEN_F + pools.GIVEN_M), "parent", f"parent.{account_id}@example.com",
                created) if minor else (None,) * 5  # fmt: skip
    rows["applicant_profiles"].append(
        (profile_id, account_id, surname, given, rng.choice(pools.MIDDLE) if rng.random() < 0.4 else None, born,
         *born_in, "US" if citizenship == "US" else citizenship, "F" if female else "M",
         rng.randint(150, 180) if female else rng.randint(160, 195), rng.choice(pools.EYES), rng.choice(pools.HAIR),
         lpr, email, f"+1{area}55501{rng.randrange(100):02d}", True, False, False, False, created, *guardian,
         _PROFILE_PROGRESS if minor else _ADULT_PROGRESS, created, created)
    )  # fmt: skip
    _documents(rng, ctx, ids, rows, profile_id, citizenship, lpr, state, born, created)
    _history(rng, ids, rows, profile_id, today, born, age, city, state, zip_code, area)
    for country in {rng.choice(pools.COUNTRIES_VISITED) for _ in range(rng.choice((0, 1, 1, 2)))}:
        rows["countries_visited"].append((ids.take("countries_visited"), profile_id, country))
    if offense:
        category, years, details = rng.choice(pools.OFFENSES)
        when = today - dt.timedelta(days=365 * years + rng.randrange(3650))
        rows["offense_disclosures"].append(
            (ids.take("offense_disclosures"), profile_id, category, "convicted", when, None, details)
        )


def _citizenships(rng, ids, rows, profile_id, lpr, partner) -> str:
    if lpr or partner:
        country = rng.choice(pools.LPR_CITIZENSHIPS if lpr else pools.PARTNER_CITIZENSHIPS)
        rows["profile_citizenships"].append((ids.take("profile_citizenships"), profile_id, country, "birth"))
        return country
    acquired = "birth" if rng.random() < 0.9 else "naturalization"
    rows["profile_citizenships"].append((ids.take("profile_citizenships"), profile_id, "US", acquired))
    if rng.random() < 0.04:
        second = rng.choice(pools.SECOND_CITIZENSHIPS)
        rows["profile_citizenships"].append((ids.take("profile_citizenships"), profile_id, second, "parents"))
    return "US"


def _documents(rng, ctx, ids, rows, profile_id, country, lpr, state, born, created) -> None:
    docs = []
    if country == "US" or rng.random() < 0.7:
        docs.append(("passport", country, None, False))
    if lpr:
        docs.append(("permanent_resident_card", "US", None, False))
    if country == "US" and (not docs or rng.random() < 0.5) and ctx.today.year - born.year >= 16:
        docs.append(("drivers_license", "US", state, rng.random() < 0.05))
    if not docs:
        docs.append(("passport", country, None, False))
    for kind, issuer, region, enhanced in docs:
        number, last4 = rng.choice(ctx.documents[kind])
        issued = max(born, ctx.today - dt.timedelta(days=rng.randrange(30, 3400)))
        years = 10 if kind == "permanent_resident_card" or ctx.today.year - born.year >= 16 else 5
        expires = _birthday_in_year(issued, issued.year + (8 if kind == "drivers_license" else years))
        rows["identity_documents"].append(
            (ids.take("identity_documents"), profile_id, kind, issuer, region, number, last4, issued, expires,
             enhanced, created, created)
        )  # fmt: skip


def _periods(rng, today: dt.date, born: dt.date, pieces: int) -> list[tuple[dt.date, dt.date | None]]:
    """Consecutive month periods covering the five-year window (from birth for a young child), the last to now."""
    start, this_month = window(today)
    start = max(first_of_month(born), add_months(start, -rng.randrange(0, 48)))
    months = (this_month.year - start.year) * 12 + this_month.month - start.month
    cuts = sorted(rng.sample(range(1, months), min(pieces - 1, max(months - 1, 0)))) if months > 1 else []
    bounds = [start, *(add_months(start, c) for c in cuts)]
    return [(b, add_months(bounds[i + 1], -1) if i + 1 < len(bounds) else None) for i, b in enumerate(bounds)]


def _history(rng, ids, rows, profile_id, today, born, age, city, state, zip_code, area) -> None:
    periods = _periods(rng, today, born, rng.choice((1, 1, 1, 2, 2, 3)))
    for frm, to in periods:
        here = (city, state, zip_code) if to is None else rng.choice(pools.CITIES)[:3]
        rows["address_periods"].append(
            (ids.take("address_periods"), profile_id, frm, to, f"{rng.randint(1, 9999)} {rng.choice(pools.STREETS)}",
             f"Apt {rng.randint(1, 40)}" if rng.random() < 0.2 else None, *here, "US")
        )  # fmt: skip
    for frm, to in _periods(rng, today, born, rng.choice((1, 1, 2))):
        if age < 22:
            status, employer, occupation = "student", None, None
        elif age >= 67:
            status, employer, occupation = "retired", None, None
        else:
            status = rng.choices(("employed", "self_employed", "unemployed"), (85, 10, 5))[0]
            employer = None if status == "unemployed" else rng.choice(pools.EMPLOYERS)
            occupation = None if status == "unemployed" else rng.choice(pools.OCCUPATIONS)
        rows["employment_periods"].append(
            (ids.take("employment_periods"), profile_id, frm, to, status, employer, occupation,
             city if employer else None, state if employer else None, "US" if employer else None,
             f"+1{area}55501{rng.randrange(100):02d}" if employer else None)
        )  # fmt: skip


def _journey(rng: random.Random, ctx: Context, code: str) -> tuple[Status, ...]:
    if ctx.pending[code]:
        return ctx.pending[code].pop()
    paths, cumulative = _CUMULATIVE[code]
    return rng.choices(paths, cum_weights=cumulative)[0]


def _age_of_last_step(rng: random.Random, status: Status) -> float:
    """Days since the application reached its status."""
    if status is S.APPROVED:
        return rng.uniform(0, 5.5 * 365)
    if status in (S.DENIED, S.REVOKED, S.WITHDRAWN):
        return rng.uniform(0, 3 * 365)
    if status is S.DRAFT:
        return rng.uniform(0, 170)
    if status is S.PRELIMINARY_INELIGIBLE:
        return rng.uniform(0, 55)
    return min(rng.expovariate(1 / 12), 150)


def _application(rng, ctx: Context, ids: Ids, rows, code: str, profile_id: int, account_id: int, born) -> dt.datetime:
    """One application (and, now and then, an earlier expired draft); returns when its first draft was opened."""
    path = _journey(rng, ctx, code)
    seat = None
    if path[-1] in SCHEDULED:
        seat = ctx.seats.take(rng, ctx.centers[code])
        if seat is None:  # no seat left anywhere: still waiting to book
            path = path[:-1]
    days = [
        FIXED_DAYS.get(m) or max(rng.expovariate(1 / MEAN_DAYS.get(m, 7)), 0.0001)
        for m in zip(path, path[1:], strict=False)
    ]
    end = ctx.now - dt.timedelta(days=_age_of_last_step(rng, path[-1]))
    times = [end - dt.timedelta(days=sum(days))]
    for d in days:
        times.append(times[-1] + dt.timedelta(days=d))
    _write_application(rng, ctx, ids, rows, code, profile_id, account_id, born, path, times, seat)
    if rng.random() < 0.03:  # an earlier draft, never finished
        start = times[0] - dt.timedelta(days=rng.uniform(200, 900))
        expired = (S.DRAFT, S.WITHDRAWN)
        _write_application(rng, ctx, ids, rows, code, profile_id, account_id, born, expired,
                           [start, start + dt.timedelta(days=180.2)], None)  # fmt: skip
        return start
    return times[0]


def _write_application(rng, ctx, ids, rows, code, profile_id, account_id, born, path, times, seat) -> None:
    app_id = ids.take("applications")
    officer = rng.choice(ctx.officers)
    status, entered = path[-1], times[-1]
    submitted = next((t for s, t in zip(path, times, strict=True) if s is S.SUBMITTED), None)
    decided = next(
        (t for s, t in reversed(list(zip(path, times, strict=True))) if s in (S.APPROVED, S.DENIED, S.REVOKED)), None
    )
    officer_touched = (
        any(s in OFFICER_ONLY or s is S.DENIED for s in path) or status is S.APPROVED and S.INTERVIEW_COMPLETED in path
    )
    assigned = officer if officer_touched and (status not in OFFICER_ONLY or rng.random() < 0.6) else None
    visited = next(
        (t for s, t in zip(path, times, strict=True) if s in (S.INTERVIEW_COMPLETED, S.BIOMETRICS_CAPTURED)), None
    )
    center = seat[1] if seat else rng.choice(ctx.centers[code]) if visited else None
    created = times[0]
    fee = _fee(ctx, code, created.date())
    snapshot = json.dumps(
        {
            "outcome": "eligible",
            "fee": fee,
            "reasons": [],
            "rule_set": ctx.rule_sets[code],
            "as_of": created.date().isoformat(),
        }
    )
    hit = S.OFFICER_REVIEW in path
    # casework.service.expire_drafts reminds two weeks before a draft's 180 days are up
    last_seen_open = ctx.now if status is S.DRAFT else entered
    reminder = (
        created + 166 * DAY if status in (S.DRAFT, S.WITHDRAWN) and last_seen_open - created > 166 * DAY else None
    )
    rows["applications"].append(
        (
            app_id,
            reference_for(app_id),
            profile_id,
            ctx.programs[code],
            "new",
            status.value,
            entered,
            submitted,
            decided,
            1 if hit else 0,
            assigned,
            _decimal(fee),
            snapshot,
            submitted - dt.timedelta(minutes=3) if submitted else None,
            reminder,
            center,
            created,
            entered,
            len(path),
            visited,
            visited,
        )
    )

    events = rows["status_events"]
    events.append((ids.take("status_events"), app_id, None, S.DRAFT.value, account_id, None, None, created))
    prior_reasons: list[str] = []
    revoked_reason = None
    hit_source = rng.choice(SOURCES) if hit else None
    for i in range(1, len(path)):
        frm, to, at = path[i - 1], path[i], times[i]
        move = (frm, to)
        actor = account_id if move in TRAVELER_MOVES else None if move in AUTOMATIC else officer
        reason = REASON_CODES.get(move)
        if move == (S.IN_VETTING, S.APPROVED) and S.OFFICER_REVIEW in path[:i]:
            reason = "vetting_reviewed_hits_only"  # the fingerprint check found again only the hit an officer cleared
        note = None
        if to in (S.DENIED, S.REVOKED, S.PRELIMINARY_INELIGIBLE):
            if move == (S.PRELIMINARY_INELIGIBLE, S.DENIED):
                codes, by = [*prior_reasons, "no_response"], None
            else:
                codes, by = [rng.choice(DECISION_REASONS[code])], officer
            prior_reasons = [c for c in codes if c != "no_response"]
            if to is S.REVOKED:
                revoked_reason = ", ".join(BY_CODE[c].label for c in codes)[:500]
            reason = ",".join(codes)[:64]
            kind = {"denied": "denial", "revoked": "revocation"}.get(to.value, "preliminary_ineligible")
            rows["decision_letters"].append(
                (ids.take("decision_letters"), app_id, kind, json.dumps(codes), None, by, at)
            )
        if to is S.INFO_REQUESTED:
            question = rng.choice(QUESTIONS)
            note = question
            answered = times[i + 1] if i + 1 < len(path) and path[i + 1] is S.OFFICER_REVIEW else None
            rows["info_requests"].append(
                (ids.take("info_requests"), app_id, officer, question, (at + 30 * DAY).date(), at,
                 ANSWER if answered else None, answered)
            )  # fmt: skip
        events.append((ids.take("status_events"), app_id, frm.value, to.value, actor, reason, note, at))
        # Vetting runs on submission (PreCheck: the answer decides whether an officer looks first; Global Entry:
        # the answer comes when the application leaves "in vetting") and after the fingerprints (PreCheck).
        first_check = code == "precheck" and i == 1
        if first_check or frm is S.IN_VETTING:
            # A hit sends the case to an officer; later checks find it again (the officer cleared it).
            hit_now = to is S.OFFICER_REVIEW or (first_check and len(path) > 2 and path[2] is S.OFFICER_REVIEW)
            seen = hit_now or S.OFFICER_REVIEW in path[:i]
            for source in SOURCES:
                found = seen and source == hit_source
                detail = f"Possible {source.replace('_', ' ')} record match (synthetic)" if found else None
                trigger = "enrollment_visit" if code == "precheck" and not first_check else "submission"
                rows["vetting_results"].append(
                    (ids.take("vetting_results"), app_id, source, "hit" if found else "clear", detail, PROVIDER, at,
                     trigger)
                )  # fmt: skip
    if seat is not None:
        rows["appointments"].append((ids.take("appointments"), app_id, seat[0], "booked", 0, entered, None, None, None))
    if S.APPROVED in path:
        approved_at = times[path.index(S.APPROVED)]
        start = approved_at.date()
        years = ctx.validity_years[code]
        until = _birthday_in_year(born if code == "global_entry" else start, start.year + years)
        revoked_at = times[path.index(S.REVOKED)] if S.REVOKED in path else None
        left = (until - ctx.today).days
        state = "revoked" if revoked_at else "expired" if left < 0 else "active"
        reminded = None if state != "active" or left > 183 else 6 if left > 91 else 3 if left > 30 else 1
        membership_id = ids.take("memberships")
        rows["memberships"].append(
            (membership_id, profile_id, ctx.programs[code], ktn_for(code, membership_id), start, until, state, app_id,
             revoked_at, revoked_reason, reminded, approved_at)
        )  # fmt: skip
