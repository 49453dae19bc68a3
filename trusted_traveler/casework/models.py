from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, Integer, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from trusted_traveler.casework.states import CLOSED, Status
from trusted_traveler.crypto import EncryptedBytes
from trusted_traveler.db import Base, utcnow

_OPEN_SQL = "status NOT IN ({})".format(", ".join(f"'{s.value}'" for s in sorted(CLOSED)))


class Application(Base):
    """One profile applying to one program once (new or renewal)."""

    __tablename__ = "applications"
    __table_args__ = (
        # At most one open application per profile and program, enforced by the database.
        Index(
            "uq_applications_one_open_per_program",
            "profile_id",
            "program_id",
            unique=True,
            sqlite_where=text(_OPEN_SQL),
            postgresql_where=text(_OPEN_SQL),
        ),
        Index("ix_applications_queue", "status", "priority", "status_entered_at"),
        # Counting a program's pending applications (the rule impact preview) reads this index only; migration 0007.
        Index("ix_applications_program_status", "program_id", "status"),
        # The renewal of a membership's application (memberships.service.pending_renewals, on the traveler's pages);
        # only renewals set it. Migration 0016.
        Index(
            "ix_applications_renewal_of_id",
            "renewal_of_id",
            sqlite_where=text("renewal_of_id IS NOT NULL"),
            postgresql_where=text("renewal_of_id IS NOT NULL"),
        ),
        # The cases the vetting agency did not answer for, which the worker asks about again (migration 0020).
        Index(
            "ix_applications_vetting_retry_since",
            "vetting_retry_since",
            sqlite_where=text("vetting_retry_since IS NOT NULL"),
            postgresql_where=text("vetting_retry_since IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    profile_id: Mapped[int] = mapped_column(ForeignKey("applicant_profiles.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"))
    kind: Mapped[str] = mapped_column(String(10), default="new")  # new, renewal
    # A renewal points at the application that created the membership it renews.
    renewal_of_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    status: Mapped[str] = mapped_column(String(32), default=Status.DRAFT.value)
    status_entered_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    submitted_at: Mapped[dt.datetime | None]
    decided_at: Mapped[dt.datetime | None]
    priority: Mapped[int] = mapped_column(default=0)
    assigned_officer_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"), index=True)
    fee: Mapped[Decimal | None] = mapped_column(Numeric(10, 2))
    fee_waiver_reason: Mapped[str | None] = mapped_column(String(40))
    # What the application was judged by: rule-set versions, outcome and reasons. Kept as submitted.
    eligibility_snapshot: Mapped[dict | None] = mapped_column(JSON)
    # The profile is shared and stays editable: these keep what the applicant declared and what the rules say since
    # (casework/changes.py, migration 0015). `submitted_profile`: the profile as submitted (profiles.service
    # .profile_record); `eligibility_now`: the rules' answer again after the applicant changed a fact they read;
    # `eligibility_worse_since`: set while that answer is worse than the one submitted (the queue and the case page
    # flag it, and a PreCheck background check then goes to an officer instead of approving by itself).
    submitted_profile: Mapped[dict | None] = mapped_column(JSON)
    eligibility_now: Mapped[dict | None] = mapped_column(JSON)
    eligibility_worse_since: Mapped[dt.datetime | None]
    # Set when the vetting agency did not answer (casework.decisions.run_vetting), to when it is to be asked again;
    # cleared once it answers. Only these cases are asked again: a case waits in vetting for no other reason.
    vetting_retry_since: Mapped[dt.datetime | None]
    attested_at: Mapped[dt.datetime | None]
    draft_reminder_sent_at: Mapped[dt.datetime | None]  # drafts are kept 180 days, with a reminder before expiry
    enrollment_center_id: Mapped[int | None] = mapped_column(ForeignKey("enrollment_centers.id"))
    # The interview or enrollment visit as the officer recorded it: approval needs both.
    documents_verified_at: Mapped[dt.datetime | None]
    biometrics_captured_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    profile = relationship("ApplicantProfile")
    program = relationship("Program")
    assigned_officer = relationship("Account", foreign_keys=[assigned_officer_id])
    renewal_of = relationship("Application", remote_side=[id])
    events: Mapped[list[StatusEvent]] = relationship(
        back_populates="application", order_by="StatusEvent.id", cascade="all, delete-orphan"
    )
    vetting_results: Mapped[list[VettingResult]] = relationship(
        back_populates="application", order_by="VettingResult.id", cascade="all, delete-orphan"
    )
    info_requests: Mapped[list[InfoRequest]] = relationship(
        back_populates="application", order_by="InfoRequest.id", cascade="all, delete-orphan"
    )
    documents: Mapped[list[CaseDocument]] = relationship(
        back_populates="application", order_by="CaseDocument.id", cascade="all, delete-orphan"
    )
    letters: Mapped[list[DecisionLetter]] = relationship(
        back_populates="application", order_by="DecisionLetter.id", cascade="all, delete-orphan"
    )

    @property
    def status_enum(self) -> Status:
        return Status(self.status)

    @property
    def is_open(self) -> bool:
        return self.status_enum not in CLOSED

    def is_applicant(self, account) -> bool:
        """Whether `account` is the person applying (the profile is theirs): staff never act on their own case."""
        return account is not None and self.profile.account_id == account.id


# The officers' queues read these in their own order, (-priority, time in state, id), from a keyset cursor, so
# a page 10,000 deep is an index range scan like the first (migration 0008 has the EXPLAIN figures). The status
# lists are literal in both the index and the queries (casework/queues.py), so the planner can match them.
QUEUE_ORDER = (-Application.priority, Application.status_entered_at, Application.id)
NEEDS_OFFICER_SQL = "status IN ('interview_completed', 'officer_review', 'reconsideration_requested')"
AWAITING_SQL = "status IN ('info_requested', 'preliminary_ineligible')"
WORKING_SQL = "status NOT IN ('approved', 'denied', 'draft', 'revoked', 'withdrawn')"
Index(
    "ix_applications_unassigned_queue",
    *QUEUE_ORDER,
    postgresql_where=text(f"assigned_officer_id IS NULL AND {NEEDS_OFFICER_SQL}"),
    sqlite_where=text(f"assigned_officer_id IS NULL AND {NEEDS_OFFICER_SQL}"),
)
Index(
    "ix_applications_officer_queue",
    Application.assigned_officer_id,
    *QUEUE_ORDER,
    postgresql_where=text(WORKING_SQL),
    sqlite_where=text(WORKING_SQL),
)
Index(
    "ix_applications_awaiting_queue", *QUEUE_ORDER, postgresql_where=text(AWAITING_SQL), sqlite_where=text(AWAITING_SQL)
)


class StatusEvent(Base):
    """Append-only history of an application's status. Timelines and processing times are read from it."""

    __tablename__ = "status_events"
    __table_args__ = (Index("ix_status_events_to_status_at", "to_status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))  # NULL: the system
    reason_code: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(String(4000))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="events")
    actor = relationship("Account")
    # the files the traveler sent with this step, when it is one of theirs that carries a statement (a response to a
    # preliminary determination, a request to reconsider: casework.decisions.STATEMENTS)
    documents: Mapped[list[CaseDocument]] = relationship(back_populates="status_event", order_by="CaseDocument.id")


class TypicalTimeFigure(Base):
    """How long a program's applications typically stayed in a status over the past year (casework/stats.py): a
    figure computed hourly by the worker from a year of status events, so no page pays for that scan."""

    __tablename__ = "typical_times"

    program_id: Mapped[int] = mapped_column(ForeignKey("programs.id"), primary_key=True)
    status: Mapped[str] = mapped_column(String(32), primary_key=True)
    median_days: Mapped[float] = mapped_column(Float)
    p75_days: Mapped[float] = mapped_column(Float)
    sample: Mapped[int]
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class VettingResult(Base):
    """One check against one source. `detail` is for officers only, never shown to the traveler."""

    __tablename__ = "vetting_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    source: Mapped[str] = mapped_column(String(40))  # criminal_history, watchlist, immigration_customs
    outcome: Mapped[str] = mapped_column(String(10))  # clear, hit
    detail: Mapped[str | None] = mapped_column(String(4000))
    provider: Mapped[str] = mapped_column(String(40))
    # one run's results share this time (decisions._check_with_provider), so the case page tells the runs apart
    checked_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # what ran the check (decisions.VETTING_TRIGGERS: submission, enrollment_visit, retry); None before migration 0025
    trigger: Mapped[str | None] = mapped_column(String(20))

    application: Mapped[Application] = relationship(back_populates="vetting_results")


class InfoRequest(Base):
    """An officer's request for more information, with a due date; the traveler answers in the portal."""

    __tablename__ = "info_requests"
    __table_args__ = (Index("ix_info_requests_open_due", "answered_at", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    message: Mapped[str] = mapped_column(String(4000))
    due_on: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    answer: Mapped[str | None] = mapped_column(String(4000))
    answered_at: Mapped[dt.datetime | None]

    application: Mapped[Application] = relationship(back_populates="info_requests")
    requested_by = relationship("Account")
    documents: Mapped[list[CaseDocument]] = relationship(back_populates="info_request", order_by="CaseDocument.id")

    def is_overdue(self, today: dt.date) -> bool:
        return self.answered_at is None and self.due_on < today


class CaseDocument(Base):
    """A file a traveler sent with an answer or a reconsideration request. Its type was checked by content. It names
    what it was sent with: the request for information it answers (`info_request_id`), or the status event of the
    response to a preliminary determination or the request to reconsider (`status_event_id`, migration 0021)."""

    __tablename__ = "case_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    info_request_id: Mapped[int | None] = mapped_column(ForeignKey("info_requests.id"))
    status_event_id: Mapped[int | None] = mapped_column(ForeignKey("status_events.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(30))  # info_response, reconsideration
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)  # of the file, not of its stored (encrypted) token
    sha256: Mapped[str] = mapped_column(String(64))
    # encrypted at rest with the document keyring (crypto.py); read when the file is sent, not to list it
    data: Mapped[bytes] = mapped_column(EncryptedBytes(), deferred=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="documents")
    info_request: Mapped[InfoRequest | None] = relationship(back_populates="documents")
    status_event: Mapped[StatusEvent | None] = relationship(back_populates="documents")


class DecisionLetter(Base):
    """A letter explaining a decision (denial, revocation, preliminary ineligibility) and how to ask for
    reconsideration. The reasons are stored as codes; the letter is rendered from them in the reader's language."""

    __tablename__ = "decision_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # denial, revocation, preliminary_ineligible
    reason_codes: Mapped[list] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(4000))
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id"))
    issued_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    application: Mapped[Application] = relationship(back_populates="letters")
