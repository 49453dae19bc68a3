from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, query_expression, relationship

from trusted_traveler.auth.roles import ROLE_PERMISSIONS, Permission, Role
from trusted_traveler.db import Base, utcnow


class Account(Base):
    """One person who signs in, keyed by the OIDC (issuer, subject). Every account may act as a traveler."""

    __tablename__ = "accounts"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(String(255))
    subject: Mapped[str] = mapped_column(String(255))
    email: Mapped[str] = mapped_column(String(320), index=True)
    display_name: Mapped[str | None] = mapped_column(String(200))
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[dt.datetime | None]

    role_grants: Mapped[list[RoleGrant]] = relationship(
        back_populates="account", foreign_keys="RoleGrant.account_id", cascade="all, delete-orphan"
    )
    # The header badge's count, read in the same query as the account when a request loads the signed-in person
    # (the user loader); None when the account was loaded any other way or has been refreshed since.
    unread_notifications: Mapped[int | None] = query_expression()

    # Flask-Login protocol
    is_active = True
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    def get_id(self) -> str:
        return str(self.id)

    @property
    def roles(self) -> set[Role]:
        return {Role.TRAVELER} | {Role(g.role) for g in self.role_grants}

    @property
    def permissions(self) -> set[Permission]:
        return set().union(*(ROLE_PERMISSIONS[r] for r in self.roles))

    def has_role(self, role: Role) -> bool:
        return role in self.roles

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    @property
    def is_staff(self) -> bool:
        return bool(self.role_grants)

    @property
    def label(self) -> str:
        return account_label(self.display_name, self.email)


class RoleGrant(Base):
    """A staff role granted by an administrator, optionally scoped to one enrollment center."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("account_id", "role", "center_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    center_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_centers.id"))
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="role_grants", foreign_keys=[account_id])


def account_label(display_name: str | None, email: str) -> str:
    """How staff pages name an account (the account's, or a queue row's columns)."""
    return display_name or email
