"""Deleting a traveler's account, when nothing of theirs was ever sent to us.

An application sent is a federal record that the records-retention rules keep, withdrawn or not, and with it the
profile it was judged on and the account it belongs to. So an account can be deleted only while its profile has
never had an application sent (drafts, or drafts closed unsent, or none), holds no membership, no payment was ever
started from it (the payment record is kept, with the drafts it was for), and it holds no staff role.

Deleting it removes every row about the person: the account, the profile with its histories, documents, names,
citizenships, countries and disclosures, the drafts with their status events and survey offers, the in-app
notifications, and the outbox's e-mails about them (sent or not: the outbox keeps every message). A survey answer
they linked to a draft keeps its answers without the link (privacy.service.remove_unsent), and a minor who named
them as parent or guardian keeps the name and number they typed, but no longer the link to a profile that is gone.
Sessions are signed cookies: the web layer signs the person out, and any other session of theirs finds no account.

The audit log keeps what it had (field names, codes, ids: never values) and gains one event,
`privacy.account_deleted`, naming the account by its number with counts of what went: no e-mail, name or
reference. Its actor, the account itself, is a bare id (migration 0023), which from now on names nobody.

Anything else in the database that names the account, its profile or its drafts (work done as staff, or a table
added after this was written) refuses the deletion (`other_records`, read from every foreign key to those tables)
rather than failing it half-way, or leaving rows that point at nothing where foreign keys are not enforced.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from flask_babel import gettext
from sqlalchemy import delete, exists, literal, or_, select, union_all, update
from sqlalchemy.orm import selectinload

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.models import Account
from trusted_traveler.casework.models import Application
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.memberships.models import Membership
from trusted_traveler.notifications.models import Notification, OutboxMessage
from trusted_traveler.payments.models import Payment, PaymentItem
from trusted_traveler.privacy.service import never_sent, remove_unsent
from trusted_traveler.profiles.models import ApplicantProfile

# Why an account cannot be deleted; the page says each in words (templates/portal/_account_deletion.html).
SENT = "sent"  # an application was sent: a federal record
MEMBERSHIP = "membership"  # a Known Traveler Number was issued
PAYMENT = "payment"  # a payment was started: the payment record is kept
STAFF = "staff"  # a staff role is held
OTHER_RECORDS = "other_records"  # other records we keep name the account (work done as staff)

# Foreign keys to the account, its profile or its applications, and what delete_account does about each; every
# other one (none for a traveler who never worked as staff) refuses the deletion while a row has it (other_records).
HANDLED = frozenset(
    {
        ("applicant_profiles", "account_id"),  # the profile: deleted
        ("notifications", "account_id"),  # deleted
        ("outbox_messages", "account_id"),  # deleted
        ("role_grants", "account_id"),  # refused while any (STAFF)
        ("payments", "account_id"),  # refused (PAYMENT)
        ("applications", "profile_id"),  # drafts deleted; a sent one refuses (SENT)
        ("memberships", "profile_id"),  # refused (MEMBERSHIP)
        ("applicant_profiles", "guardian_profile_id"),  # a minor's link to them: unlinked
        ("status_events", "application_id"),  # a draft's: deleted with it
        ("survey_offers", "application_id"),  # deleted with the draft
        ("feedback_responses", "application_id"),  # unlinked, the answers kept
        ("payment_items", "application_id"),  # refused (PAYMENT)
    }
)
# Tables whose rows of a draft go with it (Application.events): their other foreign keys do not count those rows.
DELETED_WITH_DRAFTS = frozenset({"status_events"})


@dataclass(frozen=True)
class AccountDeletion:
    """What deleting an account would remove, or why it cannot be deleted (`reasons`, empty when it can)."""

    profile: ApplicantProfile | None
    drafts: list[Application]  # never sent: deleted with the account
    sent: list[Application]  # kept under the records-retention rules
    memberships: list[Membership]
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons


class AccountNotDeleted(BusinessRuleViolation):
    """The account cannot be deleted; `deletion` says why (its reasons), for the page to explain."""

    def __init__(self, deletion: AccountDeletion):
        super().__init__(gettext("Your account cannot be deleted."), code="account_kept")
        self.deletion = deletion


def account_deletion(account: Account, *, lock: bool = False) -> AccountDeletion:
    """Whether `account` may be deleted, and what would go with it. Four statements (profile, applications,
    memberships, payments; the account's role grants come with it). `lock`: hold the profile's and the
    applications' rows until the transaction ends (PostgreSQL), so that nothing is sent or paid meanwhile."""
    profile_query = select(ApplicantProfile).where(ApplicantProfile.account_id == account.id)
    profile = db.session.scalar(profile_query.with_for_update() if lock else profile_query)
    applications: list[Application] = []
    memberships: list[Membership] = []
    if profile is not None:
        query = (
            select(Application)
            .where(Application.profile_id == profile.id)
            .options(selectinload(Application.program))
            .order_by(Application.id)
        )
        applications = list(db.session.scalars(query.with_for_update(of=Application) if lock else query))
        memberships = list(db.session.scalars(select(Membership).where(Membership.profile_id == profile.id)))
    drafts = [a for a in applications if never_sent(a)]
    sent = [a for a in applications if not never_sent(a)]
    payment_started = db.session.scalar(
        select(
            exists().where(
                or_(
                    Payment.account_id == account.id,
                    Payment.id.in_(
                        select(PaymentItem.payment_id).where(PaymentItem.application_id.in_([a.id for a in drafts]))
                    ),
                )
            )
        )
    )
    reasons = [
        reason
        for reason, applies in (
            (SENT, bool(sent)),
            (MEMBERSHIP, bool(memberships)),
            (PAYMENT, payment_started),
            (STAFF, bool(account.role_grants)),
        )
        if applies
    ]
    return AccountDeletion(profile=profile, drafts=drafts, sent=sent, memberships=memberships, reasons=reasons)


def other_records(account: Account, deletion: AccountDeletion) -> list[str]:
    """The tables with rows that name the account, its profile or its drafts and that delete_account would neither
    delete nor unlink (HANDLED): work done as staff, say. Read from every foreign key to those three tables, so a
    table added later is covered without a change here; one statement."""
    targets = {
        "accounts": [account.id],
        "applicant_profiles": [deletion.profile.id] if deletion.profile is not None else [],
        "applications": [a.id for a in deletion.drafts],
    }
    draft_ids = targets["applications"]
    checks = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            ids = targets.get(fk.column.table.name)
            if not ids or (table.name, fk.parent.name) in HANDLED or fk.ondelete == "CASCADE":
                continue
            condition = fk.parent.in_(ids)
            if table.name in DELETED_WITH_DRAFTS and draft_ids:
                condition = condition & table.c.application_id.not_in(draft_ids)
            checks.append(select(literal(f"{table.name}.{fk.parent.name}")).where(exists().where(condition)))
    if not checks:
        return []
    return sorted(set(db.session.scalars(union_all(*checks))))


def delete_account(account: Account) -> dict[str, int]:
    """Delete `account` with everything about the person (see the module's docstring), in the caller's transaction,
    and record `privacy.account_deleted`. Returns the counts the audit event keeps. The caller commits and signs
    the person out.

    Raises:
        AccountNotDeleted: something was sent, paid, issued or done as staff (its `deletion` says what).
    """
    deletion = account_deletion(account, lock=True)
    if deletion.allowed and other_records(account, deletion):
        deletion = replace(deletion, reasons=[OTHER_RECORDS])
    if not deletion.allowed:
        raise AccountNotDeleted(deletion)
    account_id, profile = account.id, deletion.profile
    for draft in deletion.drafts:
        remove_unsent(draft)
    unlinked = 0
    if profile is not None:
        minors = db.session.scalars(
            select(ApplicantProfile.id).where(
                ApplicantProfile.guardian_profile_id == profile.id, ApplicantProfile.id != profile.id
            )
        ).all()
        if minors:
            db.session.execute(
                update(ApplicantProfile)
                .where(ApplicantProfile.id.in_(minors))
                .values(guardian_profile_id=None)
                .execution_options(synchronize_session=False)
            )
            for minor in minors:  # their profile changed, though not by them: audited, by the system
                record_event("profile.guardian_unlinked", "profile", minor, reason="guardian_account_deleted")
        unlinked = len(minors)
        db.session.delete(profile)  # its names, documents, histories, countries and disclosures go with it
    counts = {
        "drafts": len(deletion.drafts),
        "notifications": db.session.execute(delete(Notification).where(Notification.account_id == account_id)).rowcount,
        "messages": db.session.execute(delete(OutboxMessage).where(OutboxMessage.account_id == account_id)).rowcount,
        "guardian_links": unlinked,
    }
    # by the account's number alone, with the counts: what went, never who
    record_event("privacy.account_deleted", "account", account_id, by=account, profile=profile is not None, **counts)
    db.session.delete(account)
    db.session.flush()
    return counts
