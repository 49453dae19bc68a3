"""The traveler's notifications page (/notifications) and the unread count in the header."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, sign_in
from tests.support.queries import count_queries
from trusted_traveler.auth.models import Account
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification
from trusted_traveler.notifications.service import notify


def _notify(email: str, *titles: str, link: str | None = "/dashboard") -> None:
    account = db.session.scalar(select(Account).where(Account.email == email)) or create_account(email)
    for title in titles:
        notify(account, kind="test", title=title, body=f"About {title}.", link=link)
    db.session.commit()


def _items(html: str) -> list[tuple[str, str]]:
    """(unread?, title) for each notification on the page, in page order."""
    return re.findall(
        r'data-testid="notification" data-unread="(true|false)">.*?<a class="usa-link" href="[^"]*">([^<]+)</a>',
        html,
        re.S,
    )


def _unread_badge(html: str) -> str | None:
    found = re.search(r'data-testid="unread-count">(\d+)<span class="usa-sr-only"> unread</span>', html)
    return found.group(1) if found else None


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_the_page_lists_my_notifications_newest_first_with_unread_ones_marked(app, client):
    """Newest first; unread ones carry an "Unread" tag; each links to its page."""
    with app.app_context():
        _notify("me@example.com", "First", "Second")
        _notify("me@example.com", "Third", link="/applications/TT-ABC")
        first = db.session.scalar(select(Notification).where(Notification.title == "First"))
        first.read_at = first.created_at
        db.session.commit()
    sign_in(client, "me@example.com")
    html = client.get("/notifications").get_data(as_text=True)
    assert _items(html) == [("true", "Third"), ("true", "Second"), ("false", "First")]
    assert html.count(">Unread</span>") == 2
    assert '<a class="usa-link" href="/applications/TT-ABC">Third</a>' in html
    assert "You have 2 unread notifications." in html


def test_a_notification_keeps_its_paragraphs_and_line_breaks_and_none_of_its_text_is_markup(app, client):
    """A body written on several lines (an officer's request for information, a center's notes) is a <p> for each
    paragraph and a <br> for each other line break, not one run-on paragraph; a <script> in it is text."""
    with app.app_context():
        body = "An officer asked: Send the court record.\nBoth pages.\n\n<script>alert(1)</script> by May 1."
        notify(create_account("lines@example.com"), kind="test", title="More information", body=body)
        db.session.commit()
    sign_in(client, "lines@example.com")
    html = client.get("/notifications").get_data(as_text=True)
    assert (
        '<p class="usa-collection__description">An officer asked: Send the court record.<br>Both pages.</p>'
        '<p class="usa-collection__description">&lt;script&gt;alert(1)&lt;/script&gt; by May 1.</p>'
    ) in html
    assert "<script>alert(1)" not in html


def test_the_header_shows_how_many_notifications_are_unread(app, client):
    """Every page's header links to the notifications with the number unread; none unread, no number."""
    with app.app_context():
        _notify("badge@example.com", "One", "Two", "Three")
    sign_in(client, "badge@example.com")
    assert _unread_badge(client.get("/dashboard").get_data(as_text=True)) == "3"
    client.post("/notifications/read")
    html = client.get("/dashboard").get_data(as_text=True)
    assert _unread_badge(html) is None
    assert 'href="/notifications"' in html


def test_the_header_count_is_read_with_the_signed_in_account_not_by_a_query_of_its_own(app, client):
    """Every signed-in page shows the badge: the user loader reads the count in the account's own query."""
    with app.app_context():
        _notify("one-query@example.com", "One", "Two")
    sign_in(client, "one-query@example.com")
    client.get("/")
    with count_queries(app) as seen:
        html = client.get("/").get_data(as_text=True)
    assert _unread_badge(html) == "2"
    reading_notifications = [s for s in seen if "FROM notifications" in s]
    assert len(reading_notifications) == 1, seen
    assert "FROM accounts" in reading_notifications[0]
    with count_queries(app) as posting:  # a form's post redirects: no page, no header, no count
        client.post("/notifications/read")
    assert not any("count(" in s and "notifications" in s for s in posting), posting


def test_an_account_loaded_any_other_way_still_gets_its_count(app):
    """Without the count read beside it (an account loaded by its id, say), the badge asks the database."""
    from flask_login import login_user

    from trusted_traveler.web.portal.notifications import unread_notifications

    with app.app_context():
        _notify("plain@example.com", "One")
        account = db.session.scalar(select(Account).where(Account.email == "plain@example.com"))
        assert account.unread_notifications is None
        with app.test_request_context("/"):
            login_user(account)
            assert unread_notifications() == 1


@pytest.mark.csrf
def test_mark_all_as_read_is_a_post_with_its_csrf_token(app, client):
    """ "Mark all as read" posts the page's CSRF token; without it the post is refused and nothing changes."""
    with app.app_context():
        _notify("csrf@example.com", "One", "Two")
    page = client.get("/auth/dev").get_data(as_text=True)
    client.post("/auth/dev", data={"email": "csrf@example.com", "csrf_token": _csrf(page)})
    html = client.get("/notifications").get_data(as_text=True)
    up_to = re.search(r'name="up_to" type="hidden" value="(\d+)"', html).group(1)

    assert client.post("/notifications/read", data={"up_to": up_to}).status_code == 400
    assert _unread_badge(client.get("/notifications").get_data(as_text=True)) == "2"

    response = client.post("/notifications/read", data={"up_to": up_to, "csrf_token": _csrf(html)})
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    html = client.get("/notifications").get_data(as_text=True)
    assert _items(html) == [("false", "Two"), ("false", "One")]
    assert "You have no unread notifications." in html and "Mark all as read" not in html


def test_a_notification_that_arrives_after_the_page_was_shown_stays_unread(app, client):
    """Mark all as read marks what the person saw: one that arrived since stays unread."""
    with app.app_context():
        _notify("race@example.com", "Seen")
    sign_in(client, "race@example.com")
    html = client.get("/notifications").get_data(as_text=True)
    up_to = re.search(r'name="up_to" type="hidden" value="(\d+)"', html).group(1)
    with app.app_context():
        _notify("race@example.com", "Arrived meanwhile")
    client.post("/notifications/read", data={"up_to": up_to})
    assert _items(client.get("/notifications").get_data(as_text=True)) == [
        ("true", "Arrived meanwhile"),
        ("false", "Seen"),
    ]


def test_a_traveler_never_sees_or_clears_another_travelers_notifications(app, client):
    """Another person's notifications are not listed, not counted, and not marked read by my "mark all"."""
    with app.app_context():
        _notify("mine@example.com", "My news")
        _notify("theirs@example.com", "Their secret")
    sign_in(client, "mine@example.com")
    html = client.get("/notifications").get_data(as_text=True)
    assert _items(html) == [("true", "My news")]
    assert "Their secret" not in html
    assert _unread_badge(html) == "1"
    client.post("/notifications/read")
    with app.app_context():
        theirs = db.session.scalar(select(Notification).where(Notification.title == "Their secret"))
        assert theirs.read_at is None


def test_older_notifications_are_on_a_second_page(app, client):
    """Fifty to a page; "Older notifications" shows the rest."""
    with app.app_context():
        _notify("many@example.com", *[f"Note {i:02d}" for i in range(55)])
    sign_in(client, "many@example.com")
    html = client.get("/notifications").get_data(as_text=True)
    assert len(_items(html)) == 50 and _items(html)[0] == ("true", "Note 54")
    older = re.search(r'href="(/notifications\?before=\d+)">Older notifications', html).group(1)
    rest = _items(client.get(older).get_data(as_text=True))
    assert [title for _, title in rest] == [f"Note {i:02d}" for i in range(4, -1, -1)]


def test_signed_out_visitors_are_sent_to_sign_in(client):
    """The page needs a signed-in traveler."""
    response = client.get("/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/auth/sign-in")
