"""Application lifecycle. Every status change goes through `transition`; services flush, callers commit."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.roles import Permission
from trusted_traveler.casework.decisions import (  # noqa: F401 (the officer actions, re-exported for callers)
    approve,
    deny,
    record_biometrics,
    record_interview,
    run_vetting,
)
from trusted_traveler.casework.models import Application, StatusEvent
from trusted_traveler.casework.references import new_reference
from trusted_traveler.casework.states import EXPLANATIONS, OPEN, TIMELINE_STEPS, Status, public_label
from trusted_traveler.casework.transitions import (  # noqa: F401 (amount_paid, transition: re-exported)
    amount_paid,
    revocations,
    transition,
)
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound, PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day, later
from trusted_traveler.locking import locked
from trusted_traveler.memberships.models import Membership
from trusted_traveler.memberships.service import (
    current_membership,
    in_use_until,
    including_membership,
    renewal_window,
)
from trusted_traveler.notifications.service import notify
from trusted_traveler.profiles.models import ApplicantProfile
from trusted_traveler.profiles.service import (
    eligibility_facts,
    guardian_has_unpaid_draft,
    guardian_is_member_or_applying,
    profile_record,
)
from trusted_traveler.programs.service import fee_for, list_programs
from trusted_traveler.rules.service import book_in_force, check_eligibility, reason_messages
from trusted_traveler.rules.service import fee as rules_fee

S = Status


# --- Traveler actions ---------------------------------------------------------------------------------------


def _unused_reference() -> str:
    """A reference no application has yet. One draw in 656 billion repeats a given one, but with tens of millions
    of applications kept, a few new ones a month would collide: draw again (as Known Traveler Numbers do)."""
    for _attempt in range(20):
        candidate = new_reference()
        if db.session.scalar(select(Application.id).where(Application.reference == candidate)) is None:
            return candidate
    raise RuntimeError("could not find a free application reference")  # 20 collisions: the space is exhausted


FEE_WAIVER = "minor_with_member_parent"


def fee_in_force(profile, program, *, kind: str, today: dt.date, paying_with=()) -> tuple[Decimal, str | None]:
    """What a `kind` ("new" or "renewal") application by `profile` for `program` costs on `today`, and the waiver
    reason when a waiver lowers it. A Global Entry applicant under the age of majority whose parent or guardian is
    a member or applying at the same time (profiles.service.guardian_is_member_or_applying; `paying_with` is the
    checkout being paid) pays fee_minor_with_member_parent where it is in force, for a renewal as for a new
    application: the rule engine's own fee rule (rules.service.fee), with the program's fee for `kind`."""
    full = fee_for(program, today, kind=kind)
    if (
        program.code != "global_entry"
        or profile.date_of_birth is None
        or not guardian_is_member_or_applying(profile, today, paying_with=paying_with)
    ):
        return full, None
    amount = _fee_with_guardian(profile, program, full, today)
    return amount, (FEE_WAIVER if amount < full else None)


def _fee_with_guardian(profile, program, full: Decimal, today: dt.date) -> Decimal:
    """What `profile` would pay for `program` (whose full fee for the kind is `full`) with a parent or guardian who
    is a member or applying: the rule engine's own fee rule, with `full` as the program's fee."""
    book = book_in_force(program.code, today)
    facts = {"date_of_birth": profile.date_of_birth, "parent_member_or_applying": True}
    return rules_fee(replace(book, fees={**book.fees, "fee_new": full}), facts, today)


def reprice(application: Application, *, today: dt.date, paying_with=(), by=None) -> bool:
    """Set a draft's fee and waiver to the values in force on `today` (`fee_in_force`): a fee is not fixed when
    the draft is opened, since drafts are kept for months and fees, settings and a parent's application change
    meanwhile. Returns whether the fee changed (the change is audited); anything but a draft is left alone."""
    if application.status != S.DRAFT:
        return False
    fee, waiver = fee_in_force(
        application.profile, application.program, kind=application.kind, today=today, paying_with=paying_with
    )
    changed = application.fee is None or fee != application.fee
    if changed:
        record_event(
            "application.fee_changed",
            "application",
            application.reference,
            by=by,
            old=None if application.fee is None else str(application.fee),
            new=str(fee),
            old_waiver=application.fee_waiver_reason,
            new_waiver=waiver,
        )
    application.fee, application.fee_waiver_reason = fee, waiver
    return changed


class NoLongerEligible(BusinessRuleViolation):
    """A draft is for a program its person cannot apply for by the rules in force today (their profile, or the
    rules, changed since the draft was opened): nothing was charged or submitted, the draft is kept, and the message
    gives the reasons."""


def cannot_apply(program_name: str, reasons: list[str]) -> str:
    """'You cannot apply for Global Entry.' and the rule engine's reasons (their messages), in one message."""
    return " ".join([_("You cannot apply for %(program)s.", program=program_name), *reasons])


def reader_language(language: str | None = None) -> str:
    """`language`, or else the reader's: the language of the request (the traveler's choice, their account's, their
    browser's; see i18n), on the web and on the API alike; English outside a request."""
    return language or str(get_locale() or "en")


def judge(application: Application, *, today: dt.date, by=None, language: str | None = None) -> dict:
    """Judge a draft again by the rules in force `today`, on its person's profile as it is now, and keep the answer
    (outcome, reasons, fee, rule set, date) as its eligibility snapshot: the rules run when the draft is opened, but
    the profile can be changed afterwards ("Change" on Check your answers) and rules change, so checkout and
    submission judge it again, and the snapshot a submitted application keeps is the answer at its submission.
    A change of outcome or reasons from the answer it kept is audited. Anything but a draft keeps its snapshot.
    Returns the answer."""
    if application.status != S.DRAFT:
        return application.eligibility_snapshot
    answer = check_eligibility(
        eligibility_facts(application.profile, today), as_of=today, language=reader_language(language)
    )
    result = {**answer["programs"][application.program.code], "as_of": answer["as_of"]}
    old = application.eligibility_snapshot or {}
    codes = [r["code"] for r in result["reasons"]]
    if old and (old.get("outcome") != result["outcome"] or [r.get("code") for r in old.get("reasons", [])] != codes):
        record_event(
            "application.eligibility_changed",
            "application",
            application.reference,
            by=by,
            old=old.get("outcome"),
            new=result["outcome"],
            reasons=codes,
            rule_set=result["rule_set"],
        )
    application.eligibility_snapshot = result
    return result


def snapshot_reasons(program_code: str, snapshot: dict | None, language: str | None = None) -> list[str]:
    """The reasons of an eligibility snapshot (`judge`'s answer) for `program_code`, in `language` (the reader's
    when None), whatever language it was judged in."""
    snapshot = snapshot or {}
    return reason_messages(
        program_code,
        snapshot.get("reasons", []),
        as_of=dt.date.fromisoformat(snapshot["as_of"]) if snapshot.get("as_of") else service_today(),
        language=reader_language(language),
    )


def start_application(
    profile, program, *, by, today: dt.date, kind: str = "new", renewal_of=None, eligibility: dict | None = None
) -> Application:
    """Open a draft for `program`, or return the open one the profile already has. `eligibility` is the rule
    engine's answer for this program (kept as the application's snapshot). The fee, with any waiver, is the one in
    force `today` (`fee_in_force`), worked out again at checkout and at submission."""
    existing = db.session.scalar(
        select(Application).where(
            Application.profile_id == profile.id,
            Application.program_id == program.id,
            Application.status.in_([s.value for s in OPEN]),
        )
    )
    if existing is not None:
        return existing
    fee, waiver = fee_in_force(profile, program, kind=kind, today=today)
    application = Application(
        reference=_unused_reference(),
        profile=profile,
        program=program,
        kind=kind,
        renewal_of_id=renewal_of.id if renewal_of is not None else None,
        fee=fee,
        fee_waiver_reason=waiver,
        eligibility_snapshot=eligibility,
    )
    db.session.add(application)
    db.session.flush()
    db.session.add(StatusEvent(application=application, from_status=None, to_status=S.DRAFT.value, actor_id=by.id))
    db.session.flush()
    return application


def program_options(profile, *, today: dt.date, language: str | None = None) -> dict:
    """What each program offers this person today: the rule engine's answer (outcome, reasons, fee) and what they
    can do: `apply`, `renew`, `open` (they have a draft for it, `application`, waiting at checkout), `under_way`
    (their `application` for it is submitted and not yet decided: they cannot apply again), `member` (renewal opens
    later), `included` (a membership they hold in another program includes this one: `included_in`, the
    membership), `revoked` (their membership of the program was revoked: no application could be approved while that
    stands, and the way back is to ask to reconsider it on `revoked_on`, the application it was decided on) or
    `ineligible` (with `application`, their draft, when they have one: it cannot be paid for or submitted as it is).

    Each option's `overlaps` says how it overlaps with what the person has already (`_overlap_notes`: Global Entry
    includes PreCheck). `choosable` lists the programs that can be chosen (CHOOSABLE): none, and there is nothing to
    continue with; `recommended` is the rule engine's suggestion, only when it can be chosen."""
    answer = check_eligibility(eligibility_facts(profile, today), as_of=today, language=reader_language(language))
    revoked_in = revocations(profile.id)
    programs = list_programs()
    open_apps: dict[int, Application] = {}
    held: dict[int, Membership] = {}
    options = {}
    for program in programs:
        result = dict(answer["programs"][program.code])
        option = {"program": program, "eligibility": result, "action": "apply", "fee": Decimal(result["fee"])}
        open_app = db.session.scalar(
            select(Application).where(
                Application.profile_id == profile.id,
                Application.program_id == program.id,
                Application.status.in_([s.value for s in OPEN]),
            )
        )
        membership = current_membership(profile.id, program.id, today)
        if open_app is not None:
            open_apps[program.id] = open_app
        if membership is not None:
            held[program.id] = membership
        if open_app is not None and open_app.status == S.DRAFT and result["outcome"] == "ineligible":
            option.update(action="ineligible", application=open_app)  # opened before the profile changed
        elif open_app is not None and open_app.status == S.DRAFT:
            option.update(action="open", application=open_app)
        elif open_app is not None:
            option.update(action="under_way", application=open_app, under_way_message=under_way_message(open_app))
        elif (revoked := revoked_in.get(program.id)) is not None:
            option.update(
                action="revoked", revoked_on=revoked.application, revoked_message=revocation_stands_message(revoked)
            )
        elif result["outcome"] == "ineligible":
            option["action"] = "ineligible"
        elif (including := including_membership(profile.id, program, today)) is not None:
            # its number works for this program already, until the membership ends (or the renewal keeping it ends)
            until = in_use_until(including, today)
            option.update(
                action="included",
                included_in=including,
                included_until=until,
                included_message=included_message(including, program, until),
            )
        elif membership is not None:
            opens, closes = renewal_window(membership)
            option.update(membership=membership, renewal_opens=opens, renewal_closes=closes)
            if opens <= today:
                option.update(action="renew", fee=fee_in_force(profile, program, kind="renewal", today=today)[0])
            else:
                option["action"] = "member"
        if (
            program.code == "global_entry"
            and option["action"] in ("apply", "renew")
            and option["fee"] > 0
            and profile.date_of_birth is not None
            and guardian_has_unpaid_draft(profile, today)
        ):  # the parent's draft waives nothing yet: say what paying it would change, before the minor pays in full
            with_guardian = _fee_with_guardian(profile, program, option["fee"], today)
            if with_guardian < option["fee"]:
                option["fee_once_guardian_pays"] = with_guardian
        options[program.code] = option
    notes = _overlap_notes(programs, open_apps, held, today=today)
    for program in programs:
        options[program.code]["overlaps"] = (
            notes.get(program.id, []) if options[program.code]["action"] in CHOOSABLE else []
        )
    choosable = [p.code for p in programs if options[p.code]["action"] in CHOOSABLE]
    recommended = answer["recommended_program"]
    # a program that cannot be chosen is not recommended (a member before the window, one under way, ...)
    options["recommended"] = recommended if recommended in choosable else None
    options["choosable"] = choosable
    options["as_of"] = answer["as_of"]
    return options


# What program_options offers to choose: the others are shown, disabled, with the reason.
CHOOSABLE = ("apply", "renew", "open")
NOT_PROGRAMS = ("recommended", "choosable", "as_of")


def under_way_message(application: Application) -> str:
    """What a person with `application` submitted and not yet decided is told instead of being offered its program."""
    return _(
        "You have an application under way: %(reference)s (%(status)s).",
        reference=application.reference,
        status=_(public_label(application.program.code, application.status)),
    )


def _overlap_notes(
    programs, open_apps: dict[int, Application], held: dict[int, Membership], *, today: dt.date, basket=()
) -> dict[int, list[str]]:
    """By program id, what a person choosing that program should know of the applications (`open_apps`, by program
    id) and memberships (`held`, by program id) they have in a program it includes or that includes it (Global Entry
    includes TSA PreCheck, BRIEF.md section 2: the Global Entry number is the Known Traveler Number for both). It
    informs and blocks nothing. Applications in `basket` (the drafts being paid together) are left out: the checkout
    says that overlap itself, with the saving."""
    notes: dict[int, list[str]] = {}
    if not open_apps and not held:  # nothing to overlap with (and the programs' includes are not read)
        return notes
    for program in programs:
        for other in programs:
            if other is program:
                continue
            application = open_apps.get(other.id)
            if application is not None and application in basket:
                application = None
            if program in other.includes:  # PreCheck, with Global Entry under way
                found = [_included_by_application(program, other, application)] if application is not None else []
            elif other in program.includes:  # Global Entry, with PreCheck under way or held
                found = _includes_what_is_held(program, other, application, held.get(other.id), today)
            else:
                found = []
            if found:
                notes.setdefault(program.id, []).extend(found)
    return notes


def _included_by_application(program, other, application: Application) -> str:
    """The note for `program` when an application for `other`, which includes it, is under way."""
    return _(
        "Your %(other)s application %(reference)s includes %(program)s once approved, so you may not "
        "need this: its Known Traveler Number will work for %(program)s too.",
        other=other.name,
        reference=application.reference,
        program=program.name,
    )


def _includes_what_is_held(program, other, application: Application | None, membership, today: dt.date) -> list[str]:
    """The notes for `program`, which includes `other`, when the person has an application for `other` sent (not a
    draft) or a membership of it still valid."""
    notes = []
    if application is not None and application.status != S.DRAFT:
        notes.append(
            _(
                "%(program)s includes %(other)s: once you are approved, your %(program)s Known Traveler "
                "Number works for %(other)s too. Your %(other)s application %(reference)s (%(status)s) is "
                "not changed by this: it goes on to its own decision, and its fee is not refunded.",
                program=program.name,
                other=other.name,
                reference=application.reference,
                status=_(public_label(other.code, application.status)),
            )
        )
    if membership is not None and membership.status == "active" and membership.valid_until > today:
        notes.append(
            _(
                "%(program)s includes %(other)s: once you are approved, your %(program)s Known Traveler "
                "Number works for %(other)s too. Your %(other)s membership (Known Traveler Number %(ktn)s) "
                "stays valid until %(until)s, so you may not need to renew it.",
                program=program.name,
                other=other.name,
                ktn=membership.ktn,
                until=format_day(membership.valid_until),
            )
        )
    return notes


def overlap_notes(profile, drafts: list[Application], *, today: dt.date) -> list[tuple[Application, str]]:
    """For the checkout: each of `drafts` with what its person should know of their other applications under way and
    memberships held in a program it includes or that includes it (`_overlap_notes`; two drafts paid together are
    the checkout's own note)."""
    programs = list_programs()
    open_apps = {
        a.program_id: a
        for a in db.session.scalars(
            select(Application).where(
                Application.profile_id == profile.id, Application.status.in_([s.value for s in OPEN])
            )
        )
    }
    held = {}
    for program in programs:
        membership = current_membership(profile.id, program.id, today)
        if membership is not None:
            held[program.id] = membership
    notes = _overlap_notes(programs, open_apps, held, today=today, basket=drafts)
    return [(draft, note) for draft in drafts for note in notes.get(draft.program_id, [])]


def apply_for(
    profile, program_codes: list[str], *, by, today: dt.date, language: str | None = None
) -> list[Application]:
    """Open drafts for the chosen programs (one or both), each judged by the rules in force today. The reasons (in
    each draft's eligibility snapshot, and in the refusal) are in `language`, by default the reader's
    (`reader_language`): the same on the web's apply page and the API's POST /applications.

    Raises:
        BusinessRuleViolation: a chosen program is one this person cannot apply for now (with the reason).
    """
    if not program_codes:
        raise BusinessRuleViolation(_("Choose at least one program."))
    options = program_options(profile, today=today, language=language)
    drafts = []
    for code in program_codes:
        option = options.get(code)
        if option is None or code in NOT_PROGRAMS:
            raise BusinessRuleViolation(_("There is no program called %(code)s.", code=repr(code)))
        name = option["program"].name
        if option["action"] == "ineligible":
            raise BusinessRuleViolation(cannot_apply(name, [r["message"] for r in option["eligibility"]["reasons"]]))
        if option["action"] == "included":
            raise BusinessRuleViolation(option["included_message"])
        if option["action"] == "revoked":
            raise BusinessRuleViolation(option["revoked_message"])
        if option["action"] == "member":
            raise BusinessRuleViolation(
                _(
                    "You are a %(program)s member until %(until)s. You can renew from %(renew)s.",
                    program=name,
                    until=format_day(option["membership"].valid_until),
                    renew=format_day(option["renewal_opens"]),
                )
            )
        if option["action"] == "under_way":
            raise BusinessRuleViolation(
                " ".join(
                    [
                        option["under_way_message"],
                        _("You cannot apply for %(program)s again while it is under way.", program=name),
                    ]
                )
            )
        if option["action"] == "open":
            drafts.append(option["application"])
            continue
        snapshot = {**option["eligibility"], "as_of": options["as_of"]}
        renewal_of = option["membership"].application if option["action"] == "renew" else None
        drafts.append(
            start_application(
                profile,
                option["program"],
                by=by,
                today=today,
                kind="renewal" if renewal_of else "new",
                renewal_of=renewal_of,
                eligibility=snapshot,
            )
        )
    return drafts


def included_message(membership, program, until: dt.date) -> str:
    """What a member of a program that includes `program` is told instead of being offered it (`until`: the last
    day the membership's number can be counted on, memberships.service.in_use_until)."""
    return _(
        "Your %(member)s membership already includes %(program)s, so you do not need to apply for it: your Known "
        "Traveler Number %(ktn)s works for %(program)s until your membership ends on %(until)s.",
        member=membership.program.name,
        program=program.name,
        ktn=membership.ktn,
        until=format_day(until),
    )


def revocation_stands_message(revoked: Membership) -> str:
    """What a person whose membership of a program was revoked is told instead of being offered (or charged for) an
    application for it: none could be approved while the revocation stands; asking to reconsider it is the way back."""
    return _(
        "Your %(program)s membership (Known Traveler Number %(ktn)s) was revoked. An application for %(program)s "
        "cannot be approved while the revocation stands, so you will not be asked to pay for one. You can ask us to "
        "reconsider the revocation from application %(reference)s.",
        program=revoked.program.name,
        ktn=revoked.ktn,
        reference=revoked.application.reference,
    )


def refuse_revoked(applications: list[Application]) -> None:
    """Refuse drafts for a program in which their person's membership was revoked (a draft opened before the apply
    page said so): nothing is charged or submitted.

    Raises:
        NoLongerEligible: `revocation_stands_message`, for each such draft.
    """
    revoked_in = {profile_id: revocations(profile_id) for profile_id in {a.profile_id for a in applications}}
    messages = [
        revocation_stands_message(revoked)
        for a in applications
        if a.status == S.DRAFT and (revoked := revoked_in[a.profile_id].get(a.program_id)) is not None
    ]
    if messages:
        raise NoLongerEligible(" ".join(messages))


def included_drafts(
    applications: list[Application], *, today: dt.date
) -> list[tuple[Application, Membership, dt.date]]:
    """The drafts among `applications` for a program that a membership their person holds on `today` already
    includes (one opened before their Global Entry application was approved, say), each with that membership and
    the last day its number can be counted on (memberships.service.including_membership, in_use_until)."""
    included = []
    for application in applications:
        if application.status != S.DRAFT:
            continue
        including = including_membership(application.profile_id, application.program, today)
        if including is not None:
            included.append((application, including, in_use_until(including, today)))
    return included


def refuse_included(applications: list[Application], *, today: dt.date) -> None:
    """Refuse drafts for a program that a membership the person holds now already includes (`included_drafts`):
    nothing is charged or submitted. A payment that returns for one is refunded instead (payments.settle).

    Raises:
        NoLongerEligible: the included program's message, for each such draft.
    """
    included = included_drafts(applications, today=today)
    if included:
        raise NoLongerEligible(" ".join(included_message(m, a.program, until) for a, m, until in included))


def open_drafts(profile) -> list[Application]:
    return list(
        db.session.scalars(
            select(Application)
            .where(Application.profile_id == profile.id, Application.status == S.DRAFT.value)
            .order_by(Application.id)
        )
    )


def attest(application: Application, *, by, answers_from: Application | None = None) -> None:
    """The traveler's declaration that the answers are true and complete. `answers_from`: the earlier application
    those answers were sent with (profiles.service.last_sent), which the traveler confirmed are still right: audited,
    with its reference, so the case shows the answers a renewal or second application reused were confirmed."""
    if application.status != S.DRAFT:
        raise BusinessRuleViolation(_("This application has already been submitted."))
    application.attested_at = utcnow()
    if answers_from is not None:
        record_event(
            "application.answers_confirmed",
            "application",
            application.reference,
            by=by,
            answers_from=answers_from.reference,
        )


def submit(
    application: Application, *, by, today: dt.date | None = None, paying_with=(), judged: dict | None = None
) -> None:
    """Submit a paid, attested draft; vetting runs at once (see decisions.run_vetting for where each goes).

    Its fee is worked out again first, from the values in force `today` (`reprice`; `paying_with` is the checkout
    that paid for it), so a waiver whose condition no longer holds does not survive: the transition's guard then
    refuses a draft paid less than it now costs. It is judged again too (`judge`): the answer at submission is the
    snapshot it keeps (a `needs_review` answer goes on, for an officer to read), and a draft whose person cannot
    apply now is not submitted. Callers that took the money check both before (payments): one that judged the
    draft `today` in this transaction passes that answer as `judged` (its snapshot now), and it is not judged twice.

    The profile as submitted is kept on the application (`submitted_profile`): the profile stays editable and
    shared, and the case page shows what changed since (casework.changes).

    Raises:
        NoLongerEligible: by the rules in force `today`, the person cannot apply for this program.
        BusinessRuleViolation: the fee is not paid, or the declaration not made.
    """
    today = today or service_today()
    reprice(application, today=today, paying_with=paying_with, by=by)
    result = judged if judged is not None else judge(application, today=today, by=by)
    if result["outcome"] == "ineligible":
        raise NoLongerEligible(cannot_apply(application.program.name, [r["message"] for r in result["reasons"]]))
    transition(application, S.SUBMITTED, by=by)
    application.submitted_profile = profile_record(application.profile, today)
    run_vetting(application)


DRAFT_RETENTION = dt.timedelta(days=180)
DRAFT_REMINDER_BEFORE = dt.timedelta(days=14)


def expire_drafts(now: dt.datetime) -> tuple[int, int]:
    """Remind the owners of drafts that expire within two weeks (once), and close drafts older than the retention
    period. The profile itself is kept. Returns (reminded, expired).

    Two runs at once (a slow daily run and the next, or two hosts' cron) remind and close each draft once: the
    drafts are claimed with locking.locked, which reads them afresh and checks that each is still a draft due for
    this on the locked row (a run passes over the drafts another holds)."""
    due = (
        Application.status == S.DRAFT.value,
        Application.created_at <= now - DRAFT_RETENTION + DRAFT_REMINDER_BEFORE,
        # reminded already: read again only once it is due to close
        or_(Application.draft_reminder_sent_at.is_(None), Application.created_at <= now - DRAFT_RETENTION),
    )
    drafts = db.session.scalars(
        locked(Application, *due, skip_locked=True).options(
            joinedload(Application.profile).joinedload(ApplicantProfile.account)  # each notice's addressee
        )
    ).all()
    reminded = expired = 0
    for draft in drafts:
        expires_at = draft.created_at + DRAFT_RETENTION
        if expires_at <= now:
            transition(draft, S.WITHDRAWN, reason_code="draft_expired")
            expired += 1
        elif draft.draft_reminder_sent_at is None:
            notify(
                draft.profile.account,
                kind="draft_expiring",
                title=_l(
                    "Your %(program)s application will be deleted on %(date)s",
                    program=draft.program.name,
                    date=later(format_day, expires_at),
                ),
                body=_l(
                    "You started a %(program)s application (%(reference)s) but have not submitted it. Finish and pay "
                    "before %(date)s, or it will be closed. Your profile is kept.",
                    program=draft.program.name,
                    reference=draft.reference,
                    date=later(format_day, expires_at),
                ),
                link="/checkout",
            )
            draft.draft_reminder_sent_at = now
            reminded += 1
    db.session.flush()
    return reminded, expired


def withdraw(application: Application, *, by) -> None:
    transition(application, S.WITHDRAWN, by=by, reason_code="withdrawn_by_applicant")


def public_timeline(application: Application) -> list[dict]:
    """The steps a traveler sees: one entry each time the public label changed (drafting is not shown), and one for
    each appointment cancelled, missed or moved, named by what happened (TIMELINE_STEPS)."""
    code = application.program.code
    steps: list[dict] = []
    for event in application.events:
        if event.to_status == S.DRAFT:
            continue
        if event.reason_code in TIMELINE_STEPS:
            label, explanation = TIMELINE_STEPS[event.reason_code]
        elif event.from_status == event.to_status:  # another step that leaves the status (a due date moved)
            continue
        else:
            label, explanation = public_label(code, event.to_status), EXPLANATIONS[Status(event.to_status)]
            if steps and steps[-1]["label"] == label:
                continue
        steps.append({"label": label, "status": event.to_status, "at": event.created_at, "explanation": explanation})
    return steps


# --- Loaders that authorize ---------------------------------------------------------------------------------


def get_application_for_traveler(reference: str, account) -> Application:
    """The traveler's own application, or NotFound (another person's is indistinguishable from none)."""
    if not reference.isprintable() or len(reference) > 40:  # an edited link (a reference is 13 characters)
        raise NotFound(_("We could not find that application."))
    application = db.session.scalar(
        select(Application)
        .where(Application.reference == reference)
        .options(joinedload(Application.profile), joinedload(Application.program))
    )
    if application is None or application.profile.account_id != account.id:
        raise NotFound(_("We could not find that application."))
    return application


def get_case_for_officer(reference: str, officer, *, viewing: bool = True) -> Application:
    """The case for a staff member, recording the view of the applicant's personal data when `viewing` (an action
    on the case records the decision instead)."""
    if not officer.can(Permission.WORK_CASES):
        raise PermissionDenied("Only enrollment officers can open cases.")
    application = db.session.scalar(select(Application).where(Application.reference == reference))
    if application is None or application.status == S.DRAFT:
        raise NotFound("We could not find that case.")
    if viewing:
        record_event("profile.viewed", "application", application.reference, by=officer)
    return application
