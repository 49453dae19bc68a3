"""E-mail delivery from the outbox, against a real SMTP server on loopback (aiosmtpd).

What holds (see trusted_traveler/notifications/worker.py): every message is delivered at least once, and exactly
once unless the worker dies in the window between the SMTP server's acceptance (its 250 reply to DATA) and the
commit that records the delivery; a message resent after such a death carries the same Message-ID. The tests below
kill a real worker at the moment most likely to cause harm outside that window (mid-send, with messages before and
after it), prove nothing is lost or sent twice, and prove separately, in process, what the window does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import signal
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, insert, select, text, update

from tests.factories import create_account, create_application
from tests.notifications.conftest import wait_until
from tests.test_index_use import plans, statements
from trusted_traveler.casework import service as casework
from trusted_traveler.db import utcnow
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import OutboxMessage
from trusted_traveler.notifications.service import notify
from trusted_traveler.notifications.worker import backoff, deliver_batch, deliver_one, failed_messages, max_attempts


def _queue(count: int, email: str = "queued@example.com") -> list[int]:
    account = create_account(email)
    for i in range(count):
        notify(account, kind="test", title=f"Message {i}", body="Hello.", link="/dashboard")
    db.session.commit()
    return list(db.session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


def _delivered_count() -> int:
    db.session.rollback()  # a fresh snapshot: another process is writing
    return db.session.scalar(select(func.count()).where(OutboxMessage.delivered_at.is_not(None)))


def _expected_ids(app, ids: list[int]) -> set[str]:
    host = urlsplit(app.config["BASE_URL"]).hostname
    return {f"<outbox.{i}@{host}>" for i in ids}


def test_a_status_change_sends_exactly_one_email_with_its_subject_and_link(app, app_ctx, smtp):
    """Submitting an application (a traveler-visible status change) e-mails the traveler once, with the status in
    the subject and a link to the application's page."""
    application = create_application("precheck", paid=True)
    db.session.commit()
    deliver_batch()
    smtp.accepted.clear()

    casework.submit(application, by=application.profile.account)
    db.session.commit()
    assert deliver_batch() == (1, 0)
    assert deliver_batch() == (0, 0)

    [email] = smtp.accepted
    assert email["To"] == application.profile.account.email
    assert email["Subject"] == f"TSA PreCheck application {application.reference}: Visit an enrollment center"
    assert f"{app.config['BASE_URL']}/applications/{application.reference}" in email.get_content()
    outbox_id = db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_not(None)))
    assert {email["Message-ID"]} == _expected_ids(app, [outbox_id])


def test_a_line_break_in_a_subject_neither_adds_a_header_nor_stops_the_email(app_ctx, smtp):
    """A subject is made around names staff typed (a center's), and a single-line field can still be posted with a
    line break: the e-mail goes, once, with the subject on one line and no header of the name's making."""
    account = create_account("told@example.com")
    title = "JFK\r\nBcc: someone.else@example.com changed its hours: your interview is affected"
    notify(account, kind="appointment_affected", title=title, body="Choose another time.")
    db.session.commit()
    assert deliver_batch() == (1, 0)
    [email] = smtp.accepted
    assert email["Subject"] == "JFK Bcc: someone.else@example.com changed its hours: your interview is affected"
    assert email["Bcc"] is None and email["To"] == "told@example.com"


def test_nothing_is_sent_for_a_change_that_rolls_back(app_ctx, smtp):
    """The outbox message is written in the cause's transaction: if that rolls back, there is nothing to send."""
    account = create_account("rolled.back@example.com")
    db.session.commit()
    notify(account, kind="test", title="Never", body="This change rolls back.")
    db.session.rollback()
    assert deliver_batch() == (0, 0)
    assert smtp.accepted == []


def test_smtp_down_is_retried_with_growing_backoff_and_delivered_once_when_back(app_ctx, mailbox):
    """With the mail server down each try fails and the next waits twice as long; nothing is lost, and once the
    server is back the message goes exactly once."""
    [outbox_id] = _queue(1)
    now = utcnow()
    waits = []
    for attempt in range(1, 5):
        assert deliver_batch(now=now) == (0, 1)
        message = db.session.get(OutboxMessage, outbox_id)
        assert message.attempts == attempt and message.delivered_at is None
        assert "ConnectionRefusedError" in message.last_error
        waits.append(message.next_attempt_at - now)
        assert deliver_batch(now=message.next_attempt_at - dt.timedelta(seconds=1)) == (0, 0)  # not due yet
        now = message.next_attempt_at
    assert waits == [dt.timedelta(seconds=s) for s in (30, 60, 120, 240)]
    assert backoff(30) == dt.timedelta(hours=6)  # capped

    mailbox.start()
    assert deliver_batch(now=now) == (1, 0)
    assert deliver_batch(now=now + dt.timedelta(days=1)) == (0, 0)
    assert len(mailbox.accepted) == 1
    assert db.session.get(OutboxMessage, outbox_id).attempts == 5


def test_a_server_that_refuses_for_now_is_retried(app_ctx, smtp):
    """A temporary refusal (451) is a failed try like any other: kept and retried after the backoff."""
    smtp.before_accept = lambda box, envelope: "451 4.3.0 Try again later"
    [outbox_id] = _queue(1)
    now = utcnow()
    assert deliver_batch(now=now) == (0, 1)
    assert "451" in db.session.get(OutboxMessage, outbox_id).last_error
    smtp.before_accept = None
    assert deliver_batch(now=now + dt.timedelta(seconds=30)) == (1, 0)
    assert len(smtp.accepted) == 1


@pytest.mark.parametrize(
    ("refused", "reply"),
    [
        ("refuse_recipient", "550 5.1.1 No such user here"),
        ("before_accept", "554 5.6.0 Message content rejected"),
    ],
    ids=["recipient", "content"],
)
def test_a_message_the_server_refuses_for_good_is_not_tried_again_and_waits_for_a_person(
    app_ctx, smtp, caplog, refused, reply
):
    """A 5xx reply is permanent (RFC 5321): the same message would be refused on every try, for hours. It is
    marked refused after its one try, with its one attempt, and the worker does not try it again; it is kept,
    undelivered, among the failed messages with the server's code and reply, and logged as refused for good."""
    setattr(smtp, refused, (lambda box, envelope: reply) if refused == "before_accept" else reply)
    [outbox_id] = _queue(1)
    now = utcnow()
    logger = logging.getLogger("trusted_traveler.notifications.worker")  # the app's loggers do not propagate
    logger.addHandler(caplog.handler)
    try:
        assert deliver_one(now=now) == "failed"
    finally:
        logger.removeHandler(caplog.handler)

    message = db.session.get(OutboxMessage, outbox_id)
    assert message.delivered_at is None and message.attempts == 1 and message.refused_at == now
    assert reply in message.last_error
    assert failed_messages() == [message]
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("ERROR", "delivery refused for good")]
    assert caplog.records[0].attempts == 1

    setattr(smtp, refused, None)  # the server would take it now: a try would deliver it
    for later in (dt.timedelta(seconds=30), dt.timedelta(hours=6), dt.timedelta(days=30)):
        assert deliver_batch(now=now + later) == (0, 0)  # the worker does not try it again
    assert smtp.accepted == []
    db.session.expire_all()
    message = db.session.get(OutboxMessage, outbox_id)
    assert (message.attempts, message.refused_at, message.delivered_at) == (1, now, None)


def test_a_refused_message_does_not_hold_up_the_others(app_ctx, smtp):
    """The worker passes over a message refused for good to the ones due after it, in the same run and later."""
    smtp.refuse_recipient = "550 5.1.1 No such user here"
    [refused_id] = _queue(1, email="nobody@example.com")
    assert deliver_one() == "failed"
    smtp.refuse_recipient = None
    delivered = _queue(2, email="somebody@example.com")[1:]
    assert deliver_batch() == (2, 0)
    assert deliver_batch() == (0, 0)
    assert [m.id for m in failed_messages()] == [refused_id]
    assert sorted(db.session.scalars(select(OutboxMessage.id).where(OutboxMessage.delivered_at.is_not(None)))) == (
        delivered
    )


def test_a_recipient_refused_for_now_is_tried_again_after_the_backoff(app_ctx, smtp):
    """A 4xx reply to the recipient (a full or busy mailbox) is temporary: a failed try like any other, retried after
    the backoff, and delivered once the server takes it."""
    smtp.refuse_recipient = "450 4.2.1 Mailbox busy, try again later"
    [outbox_id] = _queue(1)
    now = utcnow()
    assert deliver_one(now=now) == "failed"

    message = db.session.get(OutboxMessage, outbox_id)
    assert message.attempts == 1 and message.delivered_at is None and message.refused_at is None
    assert message.next_attempt_at == now + backoff(1)
    assert "450 4.2.1 Mailbox busy, try again later" in message.last_error
    assert failed_messages() == []
    smtp.refuse_recipient = None
    assert deliver_one(now=message.next_attempt_at) == "delivered"
    assert len(smtp.accepted) == 1


def test_a_refused_sender_is_a_setting_to_fix_and_every_message_is_tried_again(app_ctx, smtp):
    """A 5xx reply to MAIL FROM refuses MAIL_SENDER, which every message shares: once the setting is fixed they all
    go, without a person retrying each one. So it is a failed try like any other, not a refusal for good."""
    smtp.refuse_sender = "553 5.7.1 Sender address rejected"
    [outbox_id] = _queue(1)
    now = utcnow()
    assert deliver_one(now=now) == "failed"

    message = db.session.get(OutboxMessage, outbox_id)
    assert message.attempts == 1 and message.refused_at is None and failed_messages() == []
    assert "553 5.7.1 Sender address rejected" in message.last_error
    smtp.refuse_sender = None
    assert deliver_one(now=message.next_attempt_at) == "delivered"


def test_a_person_can_send_a_message_refused_for_good_again(app, app_ctx, smtp):
    """`flask outbox failed` shows the refusal as the server gave it, when, and the one attempt made, and `flask
    outbox retry` takes the refusal off and gives the message a fresh set of attempts (here once the mailbox
    exists)."""
    smtp.refuse_recipient = "550 5.1.1 No such user here"
    [outbox_id] = _queue(1)
    now = utcnow()
    assert deliver_one(now=now) == "failed"

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "failed"]).output
    refused = f"refused by the server at {now.isoformat(timespec='seconds')}"
    assert listed == (
        f"{outbox_id}\temail.test\tqueued@example.com\t1\t{refused}"
        "\tSMTPRecipientsRefused: queued@example.com: 550 5.1.1 No such user here\n"
        "1 failed messages.\n"
    )
    db.session.rollback()
    assert runner.invoke(args=["outbox", "retry", str(outbox_id)]).exit_code == 0
    db.session.rollback()
    message = db.session.get(OutboxMessage, outbox_id)
    assert (message.attempts, message.refused_at) == (0, None)
    assert failed_messages() == []
    smtp.refuse_recipient = None
    assert deliver_batch() == (1, 0)
    assert failed_messages() == [] and len(smtp.accepted) == 1
    assert db.session.get(OutboxMessage, outbox_id).attempts == 1


def test_after_its_last_attempt_a_message_is_kept_as_failed_for_a_person_to_retry(app, app_ctx, mailbox, monkeypatch):
    """After the last attempt the worker stops trying; the message stays (never deleted), is listed by `flask
    outbox failed`, and `flask outbox retry` gives it fresh attempts."""
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    [outbox_id] = _queue(1)
    now = utcnow()
    for _ in range(3):
        assert deliver_batch(now=now) == (0, 1)
        now = db.session.get(OutboxMessage, outbox_id).next_attempt_at
    assert deliver_batch(now=now + dt.timedelta(days=30)) == (0, 0)
    assert [m.id for m in failed_messages()] == [outbox_id]

    runner = app.test_cli_runner()
    listed = runner.invoke(args=["outbox", "failed"])
    assert f"{outbox_id}\temail.test\tqueued@example.com\t3\tout of attempts\tConnectionRefusedError" in listed.output
    db.session.rollback()
    assert runner.invoke(args=["outbox", "retry", str(outbox_id)]).exit_code == 0
    db.session.rollback()
    mailbox.start()
    assert deliver_batch() == (1, 0)
    assert failed_messages() == []


def test_both_kinds_of_failed_message_are_listed_each_saying_which_with_the_attempts_made(
    app, app_ctx, smtp, monkeypatch
):
    """`flask outbox failed` lists a message refused for good (after its one try) and one out of attempts (after
    all of them) side by side, each with the tries really made and why it is no longer tried."""
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 2)
    smtp.refuse_recipient = "550 5.1.1 No such user here"
    [refused_id] = _queue(1, email="nobody@example.com")
    now = utcnow()
    assert deliver_one(now=now) == "failed"
    smtp.stop()
    exhausted_id = _queue(1, email="somebody@example.com")[-1]
    later = utcnow()
    assert deliver_batch(now=later) == (0, 1)
    assert deliver_batch(now=later + backoff(1)) == (0, 1)
    assert deliver_batch(now=later + dt.timedelta(days=30)) == (0, 0)

    listed = app.test_cli_runner().invoke(args=["outbox", "failed"]).output.splitlines()
    refused = f"refused by the server at {now.isoformat(timespec='seconds')}"
    assert [line.split("\t")[:5] for line in listed[:2]] == [
        [str(refused_id), "email.test", "nobody@example.com", "1", refused],
        [str(exhausted_id), "email.test", "somebody@example.com", "2", "out of attempts"],
    ]
    assert listed[0].endswith("\tSMTPRecipientsRefused: nobody@example.com: 550 5.1.1 No such user here")
    assert "\tConnectionRefusedError" in listed[1]
    assert listed[2:] == ["2 failed messages."]


def test_the_worker_finds_due_messages_through_the_pending_index_and_never_a_refused_one(app, app_ctx, smtp):
    """Messages are never deleted, so the delivered ones pile up: the worker's claim and the failed list read the
    undelivered ones through `ix_outbox_pending`, whatever the refused and exhausted ones before them. PostgreSQL is
    given the table's statistics and asked with sequential scans priced out, as in tests/test_index_use.py."""
    now = utcnow()
    row = {"kind": "email.test", "recipient": "piled@example.com", "payload": {}, "created_at": now}
    db.session.execute(
        insert(OutboxMessage),
        [{**row, "attempts": 1, "next_attempt_at": now, "delivered_at": now}] * 20_000
        + [{**row, "attempts": 1, "next_attempt_at": now, "refused_at": now}] * 3
        + [{**row, "attempts": max_attempts(), "next_attempt_at": now}] * 2,
    )
    [due_id] = _queue(1)[-1:]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE outbox_messages"))
    db.session.commit()

    with statements(app) as seen:
        assert deliver_one(now=now + dt.timedelta(minutes=1)) == "delivered"
        assert len(failed_messages()) == 5
    db.session.rollback()
    assert db.session.get(OutboxMessage, due_id).delivered_at is not None and len(smtp.accepted) == 1
    explained = [(st, plan) for st, plan in plans(app, seen) if "FROM outbox_messages" in st]
    assert len(explained) == 2
    for statement, plan in explained:
        assert "ix_outbox_pending" in plan, f"{statement}\n{plan}"


def test_a_crash_between_acceptance_and_commit_resends_it_with_the_same_message_id(app, app_ctx, smtp, monkeypatch):
    """The one window: the server accepted the message but the worker died before recording it. The message is
    sent again, recognisably the same (same Message-ID); this is the only way a message goes twice."""
    [outbox_id] = _queue(1)

    def power_cut():
        raise RuntimeError("power cut before the commit")

    with monkeypatch.context() as patch, pytest.raises(RuntimeError):
        patch.setattr(db.session, "commit", power_cut)
        deliver_batch()
    db.session.rollback()  # what the database does to a dead worker's transaction

    assert deliver_batch() == (1, 0)
    assert list(smtp.message_ids().values()) == [2]
    assert set(smtp.message_ids()) == _expected_ids(app, [outbox_id])


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_message_exactly_once(app, app_ctx, smtp, start_worker):
    """A real `flask worker` process is killed with SIGKILL while sending the 13th of 40 messages (12 delivered and
    committed before it, 27 queued after it). A new worker delivers the rest: all 40 arrive, each exactly once,
    counted by Message-ID at the SMTP server."""
    ids = _queue(40)
    first = start_worker(smtp.port)
    killed = []

    def kill_while_sending_the_13th(box, envelope):
        # The 13th message has been transmitted but not accepted: kill the worker before the server says 250, as a
        # crash or `kill -9` mid-send would. The server then never accepted it, so it must be sent again, once.
        if len(box.accepted) == 12 and not killed:
            first.proc.send_signal(signal.SIGKILL)
            first.proc.wait(10)
            killed.append(True)
            return "421 4.3.0 Connection lost"
        return None

    smtp.before_accept = kill_while_sending_the_13th
    wait_until(lambda: killed and first.proc.poll() is not None)
    assert first.proc.returncode == -signal.SIGKILL
    assert len(smtp.accepted) == 12
    assert _delivered_count() == 12  # every message the server accepted was committed; the 13th was not

    smtp.before_accept = None
    second = start_worker(smtp.port)
    wait_until(lambda: _delivered_count() == 40)
    assert second.terminate() == 0

    counts = smtp.message_ids()
    assert set(counts) == _expected_ids(app, ids)
    assert max(counts.values()) == 1, [mid for mid, n in counts.items() if n > 1]
    assert len(smtp.accepted) == 40


def test_sigterm_lets_the_worker_finish_the_message_it_is_sending_then_stop(app_ctx, smtp, start_worker):
    """SIGTERM while a message is being sent: that message is delivered and recorded, then the worker stops (exit 0)
    without starting another."""
    _queue(10)
    worker = start_worker(smtp.port)
    signalled = []

    def terminate_while_sending_the_4th(box, envelope):
        if len(box.accepted) == 3 and not signalled:
            worker.proc.send_signal(signal.SIGTERM)
            signalled.append(True)
            time.sleep(0.3)  # a slow server: the worker must wait for the answer, not drop the message
        return None

    smtp.before_accept = terminate_while_sending_the_4th
    assert worker.proc.wait(30) == 0
    assert len(smtp.accepted) == 4
    assert _delivered_count() == 4
    assert "worker stopped" in worker.lines[-1]


def test_two_workers_at_once_never_send_the_same_message_twice(app, app_ctx, smtp, start_worker, database_url):
    """Two workers drain one outbox at the same time. On PostgreSQL both send at once (each message claimed with
    FOR UPDATE SKIP LOCKED); on SQLite the second waits for the first (a lock file), since SQLite cannot skip
    locked rows. Either way every message arrives exactly once."""
    ids = _queue(60)
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow() + dt.timedelta(hours=1)))
    db.session.commit()
    workers = [start_worker(smtp.port), start_worker(smtp.port)]
    postgres = database_url.startswith("postgresql")
    if postgres:
        for worker in workers:
            worker.wait_for_line("started")
    else:
        wait_until(lambda: sum(any("started" in line for line in w.lines) for w in workers) == 1)
        wait_until(lambda: sum(any("waiting" in line for line in w.lines) for w in workers) == 1)

    async def slow_server(box, envelope):  # slow enough for the two workers to overlap
        await asyncio.sleep(0.02)

    smtp.before_accept = slow_server
    db.session.execute(update(OutboxMessage).values(next_attempt_at=utcnow()))  # all due at once, for both
    db.session.commit()
    wait_until(lambda: _delivered_count() == 60)
    assert [worker.terminate() for worker in workers] == [0, 0]

    counts = smtp.message_ids()
    assert set(counts) == _expected_ids(app, ids)
    assert max(counts.values()) == 1, [mid for mid, n in counts.items() if n > 1]
    if postgres:
        assert smtp.most_at_once == 2  # the two really did send side by side
    else:
        assert smtp.most_at_once == 1


def test_a_worker_run_in_process_gives_back_its_lock_and_signal_handlers(app, smtp):
    """`flask worker --once` run twice in one process (as a test or a script would): the second run is not kept
    waiting by the first's SQLite lock, and the process's own SIGTERM and SIGINT handlers are restored."""
    before = signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)
    runner = app.test_cli_runner()
    for _ in range(2):
        result = runner.invoke(args=["worker", "--once", "--slot-weeks", "0", "--interval", "0.05"])
        assert "started" in result.output and "waiting" not in result.output, result.output
    assert (signal.getsignal(signal.SIGTERM), signal.getsignal(signal.SIGINT)) == before


def test_a_periodic_job_that_fails_is_logged_and_the_email_still_goes(app, app_ctx, smtp, monkeypatch, caplog):
    """One failing job (here the vetting retry; a database error or a bug in any of them) stopped the whole worker,
    and a supervisor's restart met the same failure again: no e-mail went out. It is rolled back and logged, the
    other jobs and the outbox go on, and it runs again at its next turn."""
    from trusted_traveler.casework import decisions

    def broken(now):
        raise RuntimeError("the vetting retry broke")

    monkeypatch.setattr(decisions, "retry_vetting", broken)
    ids = _queue(2)
    logger = logging.getLogger("trusted_traveler.cli")  # the app's loggers do not propagate to the root
    logger.addHandler(caplog.handler)
    try:
        result = app.test_cli_runner().invoke(args=["worker", "--once", "--slot-weeks", "0", "--interval", "0.05"])
    finally:
        logger.removeHandler(caplog.handler)
    assert result.exit_code == 0, result.output
    assert "delivered 2" in result.output
    assert {m["Message-ID"] for m in smtp.accepted} == _expected_ids(app, ids)
    assert "the worker's vetting retry failed" in caplog.text and "the vetting retry broke" in caplog.text
