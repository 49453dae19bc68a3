"""Command-line tasks: `flask seed`, `flask roles …`, `flask rotate-document-keys`, `flask worker`,
`flask memberships-daily`, `flask reconcile-payments`, `flask outbox …`."""

from __future__ import annotations

import contextlib
import logging

import click
from flask import Flask
from flask.cli import AppGroup

from trusted_traveler.extensions import db


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--no-demo", is_flag=True, help="Load reference data and centers only, no demo personas.")
    def seed(no_demo: bool) -> None:
        """Load programs, parameters, real enrollment centers and demo personas (idempotent)."""
        from seeds import load_all

        summary = load_all(demo=not no_demo)
        db.session.commit()
        click.echo("Seeded: " + ", ".join(f"{k} +{v}" for k, v in summary.items()))

    roles = AppGroup("roles", help="Grant, revoke and list staff roles.")
    app.cli.add_command(roles)

    def naming_the_account(command):
        """--issuer and --subject: which account is meant when two share EMAIL."""
        command = click.option("--subject", help="The provider's subject for the person.")(command)
        return click.option("--issuer", help="The sign-in provider the person signed in through.")(command)

    @roles.command("grant")
    @click.argument("email")
    @click.argument("role")
    @naming_the_account
    def grant(email: str, role: str, issuer: str | None, subject: str | None) -> None:
        """Give EMAIL the staff ROLE (officer, supervisor, program_lead, admin)."""
        from trusted_traveler.auth import service as accounts
        from trusted_traveler.auth.roles import STAFF_ROLES, Role
        from trusted_traveler.errors import DomainError

        if role not in {r.value for r in STAFF_ROLES}:
            raise click.BadParameter(f"choose one of {', '.join(r.value for r in STAFF_ROLES)}", param_hint="ROLE")
        try:
            account = accounts.find_account_by_email(email, issuer=issuer, subject=subject)
            accounts.grant_role(account, Role(role), by=None)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"{account.email} now has the role {role}.")

    @roles.command("revoke")
    @click.argument("email")
    @click.argument("role")
    @naming_the_account
    def revoke(email: str, role: str, issuer: str | None, subject: str | None) -> None:
        """Take the staff ROLE away from EMAIL."""
        from trusted_traveler.auth import service as accounts
        from trusted_traveler.errors import DomainError

        try:
            account = accounts.find_account_by_email(email, issuer=issuer, subject=subject, role=role)
            accounts.revoke_role(account, role, by=None)
        except (DomainError, ValueError) as exc:
            raise click.ClickException(getattr(exc, "message", str(exc))) from exc
        db.session.commit()
        click.echo(f"{account.email} no longer has the role {role}.")

    @roles.command("list")
    def list_roles() -> None:
        """List staff and their roles."""
        from trusted_traveler.auth import service as accounts

        for account in accounts.list_staff():
            click.echo(f"{account.email}: {', '.join(sorted(g.role for g in account.role_grants))}")

    @app.cli.command("rotate-document-keys")
    def rotate_document_keys() -> None:
        """Re-encrypt every stored document number and every file travelers sent with the first key in
        DOCUMENT_KEYS."""
        from trusted_traveler.crypto import rotate_all_document_numbers

        rotated = rotate_all_document_numbers(db.session)
        db.session.commit()
        click.echo(
            f"Re-encrypted {rotated.numbers} document numbers and {rotated.files} case documents with the newest key."
        )

    @app.cli.command("db-grant-app-role")
    @click.argument("role")
    def db_grant_app_role(role: str) -> None:
        """PostgreSQL: create or update ROLE, the app's own login (rows only; the audit log append-only). Run as the
        tables' owner after every `flask db upgrade`; idempotent."""
        from trusted_traveler.app_role import AppRoleError, grant_app_role

        try:
            with db.engine.begin() as conn:
                done = grant_app_role(conn, role)
        except AppRoleError as exc:
            raise click.ClickException(str(exc)) from exc
        for line in done:
            click.echo(line)

    @app.cli.command("expire-drafts")
    def expire_drafts() -> None:
        """Remind owners of drafts about to expire and close drafts older than 180 days (run daily)."""
        from trusted_traveler.casework.service import expire_drafts as run
        from trusted_traveler.db import utcnow

        reminded, expired = run(utcnow())
        db.session.commit()
        click.echo(f"Reminded {reminded}, expired {expired} draft applications.")

    @app.cli.command("close-determinations")
    def close_determinations() -> None:
        """Preliminary determinations of ineligibility not answered within 60 days become denials (run daily)."""
        from trusted_traveler.casework.decisions import close_unanswered_determinations
        from trusted_traveler.db import service_today

        closed = close_unanswered_determinations(service_today())
        db.session.commit()
        click.echo(f"Closed {closed} unanswered preliminary determinations as denials.")

    @app.cli.command("refresh-typical-times")
    def refresh_typical_times_command() -> None:
        """Compute how long each step typically takes, from a year of status events (the worker does it hourly)."""
        from trusted_traveler.casework.stats import refresh_typical_times
        from trusted_traveler.db import utcnow

        stored = refresh_typical_times(utcnow())
        db.session.commit()
        click.echo(f"Stored {stored} typical-time figures.")

    @app.cli.command("generate-slots")
    @click.option("--weeks", type=int, help="How far ahead to open slots (default: BOOKING_WINDOW_WEEKS, 8).")
    def generate_slots(weeks: int | None) -> None:
        """Open slots from each center's weekly hours for the coming weeks (idempotent; run daily)."""
        from trusted_traveler.db import service_today
        from trusted_traveler.scheduling.slots import booking_window_weeks, generate_all

        weeks = booking_window_weeks() if weeks is None else weeks
        created = generate_all(start=service_today(), days=7 * weeks)
        db.session.commit()
        click.echo(f"Opened {created} new slots.")

    @app.cli.command("send-reminders")
    def send_reminders() -> None:
        """Remind travelers of appointments in the next two days (once each; run hourly)."""
        from trusted_traveler.db import utcnow
        from trusted_traveler.scheduling.service import send_reminders as run

        click.echo(f"Sent {run(utcnow())} appointment reminders.")
        db.session.commit()

    @app.cli.command("seed-synthetic")
    @click.option("--applicants", type=click.IntRange(min=1), required=True, help="How many applicants to add.")
    @click.option("--seed", default=1, show_default=True, help="The same seed gives the same people.")
    @click.option("--batch", type=click.IntRange(min=1), default=20_000, show_default=True, help="Applicants a commit.")
    @click.option(
        "--i-know-this-is-not-production",
        "not_production",
        is_flag=True,
        help="Allow it under TT_CONFIG=production, for a load-test copy that holds no real travelers.",
    )
    def seed_synthetic(applicants: int, seed: int, batch: int, not_production: bool) -> None:
        """Add a realistic synthetic population (profiles, applications in every status, events, vetting,
        memberships, appointments) by bulk loading into PostgreSQL, for performance work at national scale."""
        from trusted_traveler import synthetic

        # Fake people beside real ones would reach officers' queues, statistics and the outbox: refuse by default.
        if app.config["NAME"] == "production" and not not_production:
            raise click.ClickException(
                "This is the production configuration: synthetic travelers must never mix with real ones. On a "
                "load-test copy with no real data, add --i-know-this-is-not-production."
            )
        if db.engine.dialect.name != "postgresql":
            raise click.ClickException(synthetic.POSTGRES_ONLY)
        try:
            with click.progressbar(length=applicants, label="Synthetic applicants") as bar:
                result = synthetic.load(applicants, seed=seed, batch=batch, on_batch=bar.update)
        except synthetic.SyntheticError as exc:
            raise click.ClickException(str(exc)) from exc
        for table, count in result.rows.items():
            click.echo(f"{table:22} {count:>12,}")
        click.echo(f"{applicants:,} applicants in {result.seconds:.1f} s")
        from trusted_traveler.casework.stats import refresh_typical_times
        from trusted_traveler.db import utcnow
        from trusted_traveler.feedback.performance import refresh_dashboard_figures

        stored = refresh_typical_times(utcnow())  # as the worker would within the hour: no page computes them
        refresh_dashboard_figures(utcnow())  # and within five minutes, the public dashboard's
        db.session.commit()
        click.echo(f"Stored {stored} typical-time figures and the public dashboard's figures.")

    @app.cli.command("memberships-daily")
    def memberships_daily() -> None:
        """Send membership expiry reminders (6, 3 and 1 months before) and expire memberships on the day (run
        daily; idempotent)."""
        from trusted_traveler.db import service_today
        from trusted_traveler.memberships.lifecycle import run_daily

        result = run_daily(service_today())
        db.session.commit()
        click.echo(f"Sent {result.reminded} expiry reminders, expired {result.expired} memberships.")

    @app.cli.command("reconcile-payments")
    @click.option(
        "--older-than",
        default=30,
        show_default=True,
        type=click.IntRange(min=0),
        help="Only payments begun this many minutes ago or earlier (the traveler has left the card page).",
    )
    def reconcile_payments(older_than: int) -> None:
        """Settle payments whose return from the gateway never arrived: ask the gateway about each one and submit,
        refund, record the decline or abandon it, as the return would have (idempotent; the worker runs it every
        ten minutes)."""
        import datetime as dt

        from trusted_traveler.db import utcnow
        from trusted_traveler.payments.service import reconcile

        result = reconcile(utcnow(), older_than=dt.timedelta(minutes=older_than))  # commits each payment
        click.echo(f"Reconciled payments: {result}.")
        if result.errors:
            raise click.ClickException(f"{result.errors} payments could not be settled; the next run tries again.")

    outbox = AppGroup("outbox", help="Look at and retry outbox messages that could not be delivered.")
    app.cli.add_command(outbox)

    @outbox.command("failed")
    def outbox_failed() -> None:
        """List messages the mail server refused for good or that used all their delivery attempts (kept, never
        deleted): id, kind, recipient, attempts made, which of the two (and when it was refused), last error (for a
        refusal, the server's code and reply)."""
        from trusted_traveler.notifications.worker import failed_messages, why_failed

        messages = failed_messages()
        for message in messages:
            click.echo(
                f"{message.id}\t{message.kind}\t{message.recipient}\t{message.attempts}\t{why_failed(message)}"
                f"\t{message.last_error}"
            )
        click.echo(f"{len(messages)} failed messages.")

    @outbox.command("retry")
    @click.argument("message_id", type=int)
    def outbox_retry(message_id: int) -> None:
        """Give failed message MESSAGE_ID a fresh set of delivery attempts, starting now."""
        from trusted_traveler.db import utcnow
        from trusted_traveler.notifications.models import OutboxMessage
        from trusted_traveler.notifications.worker import retry_message

        message = db.session.get(OutboxMessage, message_id)
        if message is None or message.delivered_at is not None:
            raise click.ClickException(f"There is no undelivered message {message_id}.")
        retry_message(message, now=utcnow())
        db.session.commit()
        click.echo(f"Message {message_id} will be tried again.")

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Deliver one batch and stop.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when there is nothing to do.")
    @click.option(
        "--slot-weeks", type=int, help="Keep slots open this many weeks ahead (default: BOOKING_WINDOW_WEEKS, 8)."
    )
    def worker(once: bool, interval: float, slot_weeks: int | None) -> None:
        """Drain the outbox (e-mail, retried with backoff), expire waitlist offers, ask the vetting agency again
        about cases it did not answer for (every minute), settle payments whose return never came (every ten
        minutes), keep the public dashboard's figures fresh (every five minutes), keep slots
        generated ahead and the typical times fresh (hourly), run the daily membership job. SIGTERM or Ctrl-C:
        finish the message being sent, then stop."""
        import datetime as dt
        import os
        import signal
        import threading

        from trusted_traveler.casework.decisions import close_unanswered_determinations, retry_vetting
        from trusted_traveler.casework.stats import refresh_typical_times
        from trusted_traveler.db import service_today, utcnow
        from trusted_traveler.feedback.performance import REFRESH_EVERY, refresh_dashboard_figures
        from trusted_traveler.memberships.lifecycle import run_daily
        from trusted_traveler.notifications.worker import deliver_batch
        from trusted_traveler.payments.service import reconcile
        from trusted_traveler.replica import reading_replica
        from trusted_traveler.scheduling.slots import booking_window_weeks, generate_all
        from trusted_traveler.scheduling.waitlist import expire_offers

        slot_weeks = booking_window_weeks() if slot_weeks is None else slot_weeks

        stopping = threading.Event()

        def stop(signum, _frame):
            click.echo(f"{signal.Signals(signum).name}: finishing the current message, then stopping")
            stopping.set()
            signal.signal(signum, signal.SIG_DFL)  # a second signal stops it at once

        with contextlib.ExitStack() as cleanup:
            for signum in (signal.SIGTERM, signal.SIGINT):  # restored on the way out (it may run inside a test)
                cleanup.callback(signal.signal, signum, signal.signal(signum, stop))
            if not _single_sqlite_worker(stopping, interval, cleanup):
                click.echo("worker stopped before it started")
                return
            click.echo(f"worker {os.getpid()} started")

            def guarded(what: str, run):
                """Run one periodic job and commit what it did. A job that fails (a replica away, a database error,
                a bug) is rolled back and logged, and the worker goes on, e-mail first of all: the job runs again at
                its next turn. Without this one failing job stopped the worker, and a supervisor's restart met the
                same failure again. Returns the job's result, or None when it failed."""
                try:
                    result = run()
                    db.session.commit()
                    return result
                except Exception:
                    db.session.rollback()
                    logging.getLogger(__name__).exception(
                        "the worker's %s failed; it runs again at its next turn", what
                    )
                    return None

            def refresh_figures(what: str, refresh, unless_fresher_than: dt.timedelta) -> None:
                """Figures for every web worker, read from the replica when there is one; pages keep or compute
                their figures when a refresh fails."""

                def run():
                    with reading_replica():
                        refresh(utcnow(), unless_fresher_than=unless_fresher_than)

                guarded(what, run)

            slots_done_at = None
            reconciled_at = None
            vetted_at = None
            figures_done_at = None
            daily_jobs = {
                "daily membership job": run_daily,  # expiry reminders and expiries
                "daily determinations job": close_unanswered_determinations,  # unanswered after 60 days: denied
            }
            daily_done_on: dict[str, dt.date] = {}
            daily_tried_at: dict[str, dt.datetime] = {}
            never = dt.datetime.min.replace(tzinfo=dt.UTC)
            retry_daily = dt.timedelta(minutes=10)
            while not stopping.is_set():
                if slots_done_at is None or utcnow() - slots_done_at > dt.timedelta(hours=1):
                    opened = guarded(
                        "slot generation", lambda: generate_all(start=service_today(), days=7 * slot_weeks)
                    )
                    # one scan of the year's status events for every page, by one worker of several
                    refresh_figures("typical times", refresh_typical_times, dt.timedelta(minutes=50))
                    slots_done_at = utcnow()
                    if opened:
                        click.echo(f"opened {opened} new slots")
                if figures_done_at is None or utcnow() - figures_done_at > REFRESH_EVERY:
                    # the public dashboard's figures, for every web worker: by one worker of several
                    refresh_figures(
                        "dashboard figures", refresh_dashboard_figures, REFRESH_EVERY - dt.timedelta(minutes=1)
                    )
                    figures_done_at = utcnow()
                if reconciled_at is None or utcnow() - reconciled_at > dt.timedelta(minutes=10):
                    settled = guarded("payment reconciliation", lambda: reconcile(utcnow()))  # commits each one
                    reconciled_at = utcnow()
                    if settled and (
                        settled.submitted or settled.refunded or settled.declined or settled.abandoned or settled.errors
                    ):
                        click.echo(f"reconciled payments: {settled}")
                if vetted_at is None or utcnow() - vetted_at > dt.timedelta(minutes=1):
                    # cases the vetting agency did not answer for
                    answered, waiting = guarded("vetting retry", lambda: retry_vetting(utcnow())) or (0, 0)
                    vetted_at = utcnow()
                    if answered or waiting:
                        click.echo(f"vetting answered for {answered} waiting cases, {waiting} still waiting")
                today = service_today()  # the service's day: the daily jobs run after midnight in its zone, not UTC's
                # each idempotent, and safe beside another worker or its command; each on its own, so that one failing
                # holds up neither the other nor the e-mail, and is tried again 10 minutes later
                for name, job in daily_jobs.items():
                    if daily_done_on.get(name) != today and utcnow() - daily_tried_at.get(name, never) > retry_daily:
                        daily_tried_at[name] = utcnow()
                        done = guarded(name, lambda job=job, today=today: job(today))
                        if done is not None:
                            daily_done_on[name] = today
                            click.echo(f"{name}: {done}")
                # waitlist offers past their hold go to the next person
                expired = guarded("waitlist offer expiry", lambda: expire_offers(utcnow())) or 0
                delivered, failed = deliver_batch(should_stop=stopping.is_set)
                if delivered or failed or expired:
                    click.echo(f"delivered {delivered}, failed {failed}, waitlist offers expired {expired}")
                if once:
                    return
                if not delivered:
                    stopping.wait(interval)
            click.echo("worker stopped")


def _single_sqlite_worker(stopping, interval: float, cleanup: contextlib.ExitStack) -> bool:
    """SQLite has no SKIP LOCKED, so two workers could send the same message: on SQLite, hold an exclusive lock on a
    file beside the database while the worker runs (released by `cleanup`, or by the system when the process dies),
    and wait while another worker holds it. Returns False if told to stop while waiting. (PostgreSQL needs none of
    this.)"""
    import fcntl

    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return True
    lock = cleanup.enter_context(open(f"{url.database}.worker-lock", "w"))  # closing it releases the lock
    announced = False
    while True:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if not announced:
                click.echo("another worker is running on this SQLite database; waiting for it to stop")
                announced = True
            if stopping.wait(interval):
                return False
