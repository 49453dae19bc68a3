from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, ForeignKey, String, false
from sqlalchemy.orm import Mapped, mapped_column

from trusted_traveler.db import Base, utcnow


class FeedbackResponse(Base):
    """An OMB Circular A-11 section 280 post-transaction survey response (may be anonymous). It names no offer and no
    invitation: `invited` only says it came with a valid single-use invitation (every response since migration 0024;
    the ones before it were posted by anyone and are kept but not counted, feedback/results.py)."""

    __tablename__ = "feedback_responses"

    id: Mapped[int] = mapped_column(primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(40))  # submission, appointment, decision
    scores: Mapped[dict] = mapped_column(JSON)  # driver -> 1..5
    free_text: Mapped[str | None] = mapped_column(String(2000))
    language: Mapped[str] = mapped_column(String(8), default="en")
    application_id: Mapped[int | None] = mapped_column(ForeignKey("applications.id"))
    invited: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class SurveyOffer(Base):
    """The survey was offered to the traveler of `application` at `touchpoint`: the invitation was first shown on
    their page on `offered_at`. One row per application and touchpoint, however often the page is seen. A-11 reports
    the number of people offered the survey beside the responses (BRIEF.md section 6); the responses stay anonymous
    (nothing links a response to its offer). The key is the pair itself: showing the page again inserts nothing and
    draws no number from a sequence.

    The offer is also the single-use invitation (feedback/service.py): the token in the survey link is an HMAC of
    `invitation_nonce` under the app's SECRET_KEY, so the page can show the same link again, while the database
    holds only its SHA-256 (`invitation_hash`), which nobody can turn back into a link. `answered` is set by the
    conditional UPDATE that accepts the response, and deliberately carries no time, so the offer cannot be matched
    to its response by the moment it was answered."""

    __tablename__ = "survey_offers"

    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(40), primary_key=True)  # submission, appointment, decision
    offered_at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    invitation_nonce: Mapped[str | None] = mapped_column(String(64))  # None: an offer from before migration 0024
    invitation_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invitation_expires_at: Mapped[dt.datetime | None]
    answered: Mapped[bool] = mapped_column(default=False, server_default=false())


class DashboardFigure(Base):
    """One figure of the public performance dashboard as the worker last computed it (feedback/performance.py):
    its column keys and rows as plain JSON, so no page pays for reading a year of status events."""

    __tablename__ = "dashboard_figures"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    columns: Mapped[list] = mapped_column(JSON)
    rows: Mapped[list] = mapped_column(JSON)
    computed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
