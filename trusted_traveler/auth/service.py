"""Accounts and staff roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from trusted_traveler.audit.record import record_event
from trusted_traveler.auth.models import Account, RoleGrant
from trusted_traveler.auth.roles import STAFF_ROLES, Permission, Role
from trusted_traveler.casework import assignment
from trusted_traveler.db import utcnow
from trusted_traveler.errors import BusinessRuleViolation, NotFound
from trusted_traveler.extensions import db

DEV_ISSUER = "urn:trusted-traveler:development"


def account_for_sign_in(
    *, issuer: str, subject: str, email: str, name: str | None = None, language: str = "en"
) -> Account:
    """The account keyed by (issuer, subject); the first sign-in creates a traveler account, in `language` (the one
    the person was reading the site in), which its messages and e-mails then use until they switch.
    Roles never come from the provider's claims: only an administrator grants them."""
    account = db.session.scalar(select(Account).where(Account.issuer == issuer, Account.subject == subject))
    if account is None:
        # a name from the provider's claims, cut to the column (display only; the profile holds the legal name)
        account = Account(
            issuer=issuer,
            subject=subject,
            email=email,
            display_name=name[:200] if name else None,
            preferred_language=language if language in ("en", "es") else "en",
        )
        db.session.add(account)
        db.session.flush()
        record_event("account.created", "account", account.id, by=account, issuer=issuer)
    else:
        account.email = email or account.email
    account.last_sign_in_at = utcnow()
    db.session.flush()
    return account


def find_account_by_email(
    email: str, *, issuer: str | None = None, subject: str | None = None, role: Role | str | None = None
) -> Account:
    """The one account with `email` (signed in as `issuer` and `subject`, and holding `role`, when given). Accounts
    are keyed by the sign-in provider's (issuer, subject), so two can share an address (two providers, or a Login.gov
    account made again); a role is never given to whichever of them happens to be older: an address that names more
    than one account is refused until the account is named."""
    query = select(Account).where(Account.email == email.strip().lower()).order_by(Account.id)
    if issuer is not None:
        query = query.where(Account.issuer == issuer)
    if subject is not None:
        query = query.where(Account.subject == subject)
    if role is not None:
        query = query.where(Account.role_grants.any(RoleGrant.role == Role(role)))
    found = db.session.scalars(query.limit(10)).all()
    if not found:
        if role is not None:
            raise NotFound(f"No account with the e-mail address {email} has the role {Role(role).value}.")
        raise NotFound(f"No account has the e-mail address {email}. The person must sign in once first.")
    if len(found) > 1:
        names = "; ".join(f"issuer {a.issuer}, subject {a.subject}" for a in found)
        raise BusinessRuleViolation(
            f"{len(found)} accounts use the e-mail address {email} ({names}). Name the one you mean on the command "
            f"line: flask roles grant {email} ROLE --issuer ISSUER --subject SUBJECT (or roles revoke)."
        )
    return found[0]


def grant_role(account: Account, role: Role | str, *, by: Account | None, center_id: int | None = None) -> RoleGrant:
    role = Role(role)
    if role not in STAFF_ROLES:
        raise BusinessRuleViolation(f"{role} is not a staff role; every account is already a traveler.")
    existing = next((g for g in account.role_grants if g.role == role and g.center_id == center_id), None)
    if existing is not None:
        return existing
    grant = RoleGrant(account=account, role=role.value, center_id=center_id, granted_by_id=getattr(by, "id", None))
    db.session.add(grant)
    db.session.flush()
    record_event("role.granted", "account", account.id, by=by, role=role.value, center_id=center_id)
    return grant


def revoke_role(account: Account, role: Role | str, *, by: Account | None) -> None:
    """Take a staff role away. When it was the last role that lets the person work cases, the open cases assigned to
    them go back to the unassigned queue (each release audited), so none waits on someone who can no longer open it."""
    role = Role(role)
    grants = [g for g in account.role_grants if g.role == role]
    if not grants:
        raise NotFound(f"{account.email} does not hold the {role} role.")
    if role == Role.ADMIN:
        # the service is never left without someone who can grant roles, nor an administrator locked out by a click
        if by is not None and by.id == account.id:
            raise BusinessRuleViolation(
                "You cannot remove your own administrator role. Another administrator can remove it."
            )
        others = db.session.scalar(
            select(RoleGrant.id).where(RoleGrant.role == Role.ADMIN.value, RoleGrant.account_id != account.id).limit(1)
        )
        if others is None:
            raise BusinessRuleViolation(
                f"{account.email} is the only administrator. Make someone else an administrator first."
            )
    for grant in grants:
        account.role_grants.remove(grant)
    db.session.flush()
    record_event("role.revoked", "account", account.id, by=by, role=role.value)
    if not account.can(Permission.WORK_CASES):
        assignment.release_all(account, by=by, why=f"{role.value} role revoked")


def list_staff() -> list[Account]:
    return list(
        db.session.scalars(
            select(Account)
            .where(Account.role_grants.any())
            .options(selectinload(Account.role_grants))  # the page lists each one's roles
            .order_by(Account.email)
        )
    )
