"""Command-line tasks: `flask seed`, `flask roles …`, `flask rotate-document-keys`, `flask worker`."""

from __future__ import annotations

import time

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

    @roles.command("grant")
    @click.argument("email")
    @click.argument("role")
    def grant(email: str, role: str) -> None:
        """Give EMAIL the staff ROLE (officer, supervisor, program_lead, admin)."""
        from trusted_traveler.auth import service as accounts
        from trusted_traveler.auth.roles import STAFF_ROLES, Role
        from trusted_traveler.errors import DomainError

        if role not in {r.value for r in STAFF_ROLES}:
            raise click.BadParameter(f"choose one of {', '.join(r.value for r in STAFF_ROLES)}", param_hint="ROLE")
        try:
            account = accounts.find_account_by_email(email)
            accounts.grant_role(account, Role(role), by=None)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        db.session.commit()
        click.echo(f"{account.email} now has the role {role}.")

    @roles.command("revoke")
    @click.argument("email")
    @click.argument("role")
    def revoke(email: str, role: str) -> None:
        """Take the staff ROLE away from EMAIL."""
        from trusted_traveler.auth import service as accounts
        from trusted_traveler.errors import DomainError

        try:
            account = accounts.find_account_by_email(email)
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
        """Re-encrypt every stored document number with the first key in DOCUMENT_KEYS."""
        from trusted_traveler.crypto import rotate_all_document_numbers

        count = rotate_all_document_numbers(db.session)
        db.session.commit()
        click.echo(f"Re-encrypted {count} document numbers with the newest key.")

    @app.cli.command("expire-drafts")
    def expire_drafts() -> None:
        """Remind owners of drafts about to expire and close drafts older than 180 days (run daily)."""
        from trusted_traveler.casework.service import expire_drafts as run
        from trusted_traveler.db import utcnow

        reminded, expired = run(utcnow())
        db.session.commit()
        click.echo(f"Reminded {reminded}, expired {expired} draft applications.")

    @app.cli.command("generate-slots")
    @click.option("--weeks", default=8, show_default=True, help="How far ahead to open slots.")
    def generate_slots(weeks: int) -> None:
        """Open slots from each center's weekly hours for the coming weeks (idempotent; run daily)."""
        import datetime as dt

        from trusted_traveler.scheduling.slots import generate_all

        created = generate_all(start=dt.date.today(), days=7 * weeks)
        db.session.commit()
        click.echo(f"Opened {created} new slots.")

    @app.cli.command("send-reminders")
    def send_reminders() -> None:
        """Remind travelers of appointments in the next two days (once each; run hourly)."""
        from trusted_traveler.db import utcnow
        from trusted_traveler.scheduling.service import send_reminders as run

        click.echo(f"Sent {run(utcnow())} appointment reminders.")
        db.session.commit()

    @app.cli.command("worker")
    @click.option("--once", is_flag=True, help="Deliver one batch and stop.")
    @click.option("--interval", default=2.0, show_default=True, help="Seconds to wait when there is nothing to do.")
    @click.option("--slot-weeks", default=8, show_default=True, help="Keep slots open this many weeks ahead.")
    def worker(once: bool, interval: float, slot_weeks: int) -> None:
        """Drain the outbox (e-mail, retried with backoff), expire waitlist offers, keep slots generated ahead."""
        import datetime as dt

        from trusted_traveler.db import utcnow
        from trusted_traveler.notifications.worker import deliver_batch
        from trusted_traveler.scheduling.slots import generate_all
        from trusted_traveler.scheduling.waitlist import expire_offers

        slots_done_at = None
        while True:
            if slots_done_at is None or utcnow() - slots_done_at > dt.timedelta(hours=1):
                opened = generate_all(start=dt.date.today(), days=7 * slot_weeks)  # idempotent
                db.session.commit()
                slots_done_at = utcnow()
                if opened:
                    click.echo(f"opened {opened} new slots")
            expired = expire_offers(utcnow())  # waitlist offers past their hold go to the next person
            db.session.commit()
            delivered, failed = deliver_batch()
            if delivered or failed or expired:
                click.echo(f"delivered {delivered}, failed {failed}, waitlist offers expired {expired}")
            if once:
                return
            if not delivered:
                time.sleep(interval)
