"""Tell a traveler something: an in-app notification and an e-mail through the outbox, in the caller's
transaction (nothing is sent for a change that rolls back). Also what the traveler's notifications page reads."""

from __future__ import annotations

import datetime as dt

from flask_babel import force_locale
from sqlalchemy import func, select, update

from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification, OutboxMessage

PAGE_SIZE = 50


def in_language_of(account, text) -> str:
    """`text` (a string, or a lazy string made with lazy_gettext / i18n.later) in the account's language. Outside an
    app context there is no catalog, and the text stays English."""
    language = account.preferred_language if account.preferred_language in ("en", "es") else "en"
    with force_locale(language):
        return str(text)


def fitting_title(title: str) -> str:
    """A title as its column holds it: one made around a name staff typed (a center's, up to 200 characters) can
    outgrow it, so it is cut at a word and ends in "…", not refused by the database (PostgreSQL) with the
    change that caused it."""
    limit = Notification.title.type.length
    if len(title) <= limit:
        return title
    return title[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,.:;") + "…"


def notify(account, *, kind: str, title: str, body: str, link: str | None = None) -> Notification:
    """Tell `account` something, in its preferred language: pass `title` and `body` as lazy strings
    (`lazy_gettext("... %(x)s", x=...)`) so they are written in the recipient's language, not the sender's. The
    e-mail's subject is the title, shortened as the notification's is (`fitting_title`)."""
    title, body = fitting_title(in_language_of(account, title)), in_language_of(account, body)
    note = Notification(account_id=account.id, kind=kind, title=title, body=body, link=link)
    db.session.add(note)
    queue_email(
        account.email,
        about=account,
        kind=kind,
        subject=title,
        body=body,
        language=account.preferred_language,
        link=link,
    )
    return note


def queue_email(
    recipient: str, *, about, kind: str, subject, body, language: str | None = None, link: str | None = None
) -> OutboxMessage:
    """An e-mail through the outbox in the caller's transaction: `notify`'s, and alone to an address that need not
    be an account's (a minor's parent or guardian; no in-app notification, as there is no account to show it to).
    Pass `subject` and `body` as lazy strings: they are written in `language` (English unless "es"). `about` is the
    account whose matter it is (the minor's, for their parent's notice), or None: deleting that account deletes the
    message too (privacy.deletion)."""
    language = language if language in ("en", "es") else "en"
    with force_locale(language):
        subject, body = str(subject), str(body)
    message = OutboxMessage(
        kind=f"email.{kind}",
        recipient=recipient,
        account_id=getattr(about, "id", None),
        payload={"subject": subject, "body": body, "link": link, "language": language},
    )
    db.session.add(message)
    return message


def notify_about(application, *, kind: str, title: str, body: str) -> Notification:
    """Tell the traveler something about one of their applications, linking to its page."""
    return notify(
        application.profile.account, kind=kind, title=title, body=body, link=f"/applications/{application.reference}"
    )


def notifications_for(account_id: int, *, before_id: int | None = None, limit: int = PAGE_SIZE) -> list[Notification]:
    """One account's notifications, newest first; `before_id` pages back through older ones."""
    stmt = select(Notification).where(Notification.account_id == account_id)
    if before_id is not None:
        stmt = stmt.where(Notification.id < before_id)
    return list(db.session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)))


def _unread(account_id):
    return select(func.count()).where(Notification.account_id == account_id, Notification.read_at.is_(None))


def unread_count(account_id: int) -> int:
    return db.session.scalar(_unread(account_id))


def unread_count_of(account_id_column):
    """The unread count as a subquery correlated to `account_id_column`, to read beside an account."""
    return _unread(account_id_column).scalar_subquery()


def mark_all_read(account_id: int, *, now: dt.datetime, up_to_id: int | None = None) -> int:
    """Mark one account's unread notifications as read (only those up to `up_to_id`, the newest the person saw,
    when given: one that arrived since stays unread). Returns how many were marked."""
    stmt = update(Notification).where(Notification.account_id == account_id, Notification.read_at.is_(None))
    if up_to_id is not None:
        stmt = stmt.where(Notification.id <= up_to_id)
    return db.session.execute(stmt.values(read_at=now).execution_options(synchronize_session=False)).rowcount
