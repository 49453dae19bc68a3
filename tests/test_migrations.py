"""The numbered Alembic migrations build the schema, come down cleanly and go up again, and agree with the models
(on SQLite, and on PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
import warnings
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from trusted_traveler import create_app
from trusted_traveler.extensions import db

VERSIONS = Path(__file__).resolve().parent.parent / "migrations" / "versions"


def _scratch_databases(tmp_path):
    yield "sqlite", f"sqlite:///{tmp_path / 'migrations.sqlite'}"
    pg = os.environ.get("TEST_DATABASE_URL")
    if pg:
        url = make_url(pg)
        name = f"{url.database}_mig_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield "postgresql", url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def test_revisions_are_numbered_and_linear():
    files = sorted(p.name for p in VERSIONS.glob("*.py"))
    assert files, "no migrations found"
    numbers = [int(re.match(r"^(\d{4})_", f).group(1)) for f in files]
    assert numbers == list(range(1, len(files) + 1)), f"migrations must be numbered 0001, 0002, …: {files}"
    for number, name in zip(numbers, files, strict=True):
        source = (VERSIONS / name).read_text()
        assert f"revision = '{number:04d}'" in source
        expected_down = "None" if number == 1 else f"'{number - 1:04d}'"
        assert f"down_revision = {expected_down}" in source, f"{name} must follow {number - 1:04d}"


def _comparable(dialect: str):
    def include(obj, name, type_, reflected, compare_to):
        expression_index = type_ == "index" and any(not hasattr(e, "name") for e in getattr(obj, "expressions", ()))
        return not (dialect == "sqlite" and expression_index)

    return include


def test_upgrade_downgrade_upgrade_and_models_match_migrations(tmp_path):
    ran = []
    for dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            assert "applications" in inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as conn, warnings.catch_warnings():
                # SQLite's reflection cannot read expression indexes (the officer queues'); they are compared on
                # PostgreSQL, and created by the same migration on both.
                warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based index")
                context = MigrationContext.configure(
                    conn, opts={"compare_type": True, "include_object": _comparable(dialect)}
                )
                diff = compare_metadata(context, db.metadata)
            assert diff == [], f"models and migrations disagree on {dialect}: {diff}"
            db.engine.dispose()
        ran.append(dialect)
    if os.environ.get("TEST_DATABASE_URL"):
        assert ran == ["sqlite", "postgresql"]
    else:
        assert ran == ["sqlite"]


def test_migration_0019_encrypts_the_files_stored_in_clear_before_it_and_its_downgrade_decrypts_them(tmp_path):
    """Files travelers sent before 0019 were stored in clear: upgrading leaves none readable without the keys, the
    app reads them as sent, and downgrading gives the clear bytes back."""
    from seeds.reference import load_reference
    from tests.factories import create_application
    from trusted_traveler.casework.models import CaseDocument
    from trusted_traveler.crypto import keyring

    record = b"%PDF-1.4\nSuperior Court, case 2019-CR-0042: conviction set aside and sealed.\n"
    for _dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()  # the application as today's models write it, then back to before 0019
            load_reference()
            application = create_application("precheck")
            db.session.commit()
            application_id, account_id = application.id, application.profile.account_id
            db.session.remove()
            downgrade(revision="0018")
            ids = []
            for n in range(12):  # more than one batch of the migration
                clear = record + str(n).encode()
                ids.append(
                    db.session.execute(
                        text(
                            "INSERT INTO case_documents (application_id, purpose, filename, content_type, size_bytes, "
                            "sha256, data, uploaded_by_id, created_at) VALUES (:application, 'info_response', "
                            "'record.pdf', 'application/pdf', :size, :sha, :data, :by, CURRENT_TIMESTAMP) RETURNING id"
                        ),
                        {
                            "application": application_id,
                            "size": len(clear),
                            "sha": "0" * 64,
                            "data": clear,
                            "by": account_id,
                        },
                    ).scalar_one()
                )
            # a file the new code stored (encrypted) before the migration ran is not encrypted twice
            already = keyring.encrypt_bytes(record + b"new")
            db.session.execute(
                text("UPDATE case_documents SET data = :data WHERE id = :id"), {"data": already, "id": ids[5]}
            )
            db.session.commit()
            expected = [record + (b"new" if n == 5 else str(n).encode()) for n in range(12)]

            def stored() -> list[bytes]:
                rows = db.session.execute(text("SELECT data FROM case_documents ORDER BY id")).scalars()
                return [bytes(data) for data in rows]

            upgrade()
            db.session.expire_all()
            assert all(b"Superior Court" not in data for data in stored())
            assert [keyring.decrypt_bytes(data) for data in stored()] == expected
            assert db.session.get(CaseDocument, ids[-1]).data == record + b"11"
            db.session.rollback()
            downgrade(revision="0018")
            assert stored() == expected
            db.session.remove()
            db.engine.dispose()


def _statements_with_files(pdf: bytes) -> None:
    """A PreCheck case after a vetting hit, each step a request of its own (its own session, committed): an answer
    with a file, a response to a preliminary determination with one, a denial, a request to reconsider with two, a
    denial again, and a file after that last letter, which no statement answered (the services send none so)."""
    from tests.factories import create_account, create_application, create_profile
    from trusted_traveler.auth.models import Account
    from trusted_traveler.casework import decisions
    from trusted_traveler.casework.models import Application, CaseDocument
    from trusted_traveler.db import service_today

    create_account("olga.officer@example.com", roles=("officer",))
    profile = create_profile(create_account("hit@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
    application_id = create_application("precheck", profile=profile, submitted=True).id
    db.session.commit()
    today, reasons = service_today(), ["security_threat"]

    def request(action) -> None:
        db.session.remove()
        application = db.session.get(Application, application_id)
        officer, traveler = (
            db.session.scalar(select(Account).where(Account.email == email))
            for email in ("olga.officer@example.com", "hit@example.com")
        )
        action(application, officer, traveler)
        db.session.commit()

    def deny(application, officer, _traveler) -> None:
        decisions.preliminary_ineligible(application, by=officer, reason_codes=reasons)
        application.status_entered_at -= dt.timedelta(days=61)  # its 60 days passed unanswered: it may be denied
        decisions.deny(application, by=officer, reason_codes=reasons)

    due_on = today + dt.timedelta(days=10)
    request(lambda a, o, t: decisions.request_info(a, by=o, message="Send it.", due_on=due_on, today=today))
    request(lambda a, o, t: decisions.answer_info_request(a, by=t, answer="Here.", files=[("a.pdf", pdf)]))
    request(lambda a, o, t: decisions.preliminary_ineligible(a, by=o, reason_codes=reasons))
    request(lambda a, o, t: decisions.request_reconsideration(a, by=t, statement="Not mine.", files=[("r.pdf", pdf)]))
    request(deny)
    files = [("one.pdf", pdf), ("two.pdf", pdf)]
    request(lambda a, o, t: decisions.request_reconsideration(a, by=t, statement="Look again.", files=files))
    request(lambda a, o, t: decisions.reopen_for_review(a, by=o))
    request(deny)
    stray = {"purpose": "reconsideration", "filename": "stray.pdf", "content_type": "application/pdf"}
    stray |= {"size_bytes": len(pdf), "sha256": "0" * 64, "data": pdf}
    request(lambda a, o, t: db.session.add(CaseDocument(application=a, uploaded_by_id=t.id, **stray)))
    db.session.remove()


def test_migration_0021_links_the_files_sent_before_it_to_their_statements_by_the_letter_each_answered(tmp_path):
    """Before 0021 a file sent with a response or a request to reconsider named nothing: the status page matched it to
    the statement that answered the same decision letter (the first, when two did). The upgrade links the files so,
    in SQL both databases run: each gets back the link the services set now, an answer's file names its request
    only, and a file no statement answered the same letter for stays unlinked."""
    from seeds.reference import load_reference
    from seeds.rules import load_rules

    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    links = "SELECT filename, status_event_id FROM case_documents ORDER BY id"
    for _dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade()
            load_reference(), load_rules()
            _statements_with_files(pdf)
            linked = db.session.execute(text(links)).all()
            notes = dict(db.session.execute(text("SELECT id, note FROM status_events")).all())
            assert [(name, notes.get(event)) for name, event in linked] == [
                ("a.pdf", None),
                ("r.pdf", "Not mine."),
                ("one.pdf", "Look again."),
                ("two.pdf", "Look again."),
                ("stray.pdf", None),
            ]
            db.session.remove()
            downgrade(revision="0020")
            assert "status_event_id" not in {c["name"] for c in inspect(db.engine).get_columns("case_documents")}
            upgrade()
            assert db.session.execute(text(links)).all() == linked
            db.session.remove()
            db.engine.dispose()


def test_migration_0018_names_the_rule_sets_left_with_two_open_versions_instead_of_failing_on_them(tmp_path):
    """The race 0018 closes may have left two open drafts of one rule set: the upgrade stops with their labels and
    what to do, not a raw unique-index error, and goes through once a lead has kept one."""
    import pytest

    from seeds.reference import load_reference
    from seeds.rules import load_rules
    from trusted_traveler.rules.models import RuleSetVersion

    for _dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0017")
            load_reference(), load_rules()
            published = db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.id)).first()
            for number in (90, 91):
                db.session.add(
                    RuleSetVersion(
                        rule_set_id=published.rule_set_id, number=number, label=f"race-draft-{number}", status="draft"
                    )
                )
            db.session.commit()
            db.session.remove()
            with pytest.raises(RuntimeError, match="race-draft-90, race-draft-91. Keep one of each"):
                upgrade.__wrapped__()  # the command without Flask-Migrate's wrapper, which logs the error and exits
            db.session.execute(text("DELETE FROM rule_set_versions WHERE label = 'race-draft-91'"))
            db.session.commit()
            db.session.remove()
            upgrade()
            db.engine.dispose()


def test_migration_0022_leaves_the_messages_before_it_as_they_were_and_its_downgrade_keeps_refusals_unsent(tmp_path):
    """No backfill: a message refused for good before 0022 cannot be told from one out of attempts (its tries were
    overwritten), so every row keeps what it had and none is marked refused. Downgrading records a refusal as the
    code before 0022 did (its attempts used up), so the older worker does not send it again."""
    insert = text(
        "INSERT INTO outbox_messages (kind, recipient, payload, created_at, attempts, next_attempt_at, last_error) "
        "VALUES ('email.test', :to, '{}', CURRENT_TIMESTAMP, :attempts, CURRENT_TIMESTAMP, :error)"
    )
    insert_refused = text(
        "INSERT INTO outbox_messages (kind, recipient, payload, created_at, attempts, next_attempt_at, last_error, "
        "refused_at) VALUES ('email.test', :to, '{}', CURRENT_TIMESTAMP, :attempts, CURRENT_TIMESTAMP, :error, "
        "CURRENT_TIMESTAMP)"
    )
    before = [
        ("nobody@example.com", 12, "SMTPRecipientsRefused: nobody@example.com: 550 5.1.1 No such user"),
        ("down@example.com", 12, "ConnectionRefusedError: [Errno 111] Connection refused"),
        ("due@example.com", 3, "SMTPDataError: 451 4.3.0 Try again later"),
    ]
    refused = ("gone@example.com", 1, "SMTPRecipientsRefused: gone@example.com: 550 5.1.1 No such user")

    def stored() -> list[tuple]:
        query = text("SELECT recipient, attempts, last_error FROM outbox_messages ORDER BY id")
        return [tuple(row) for row in db.session.execute(query)]

    for _dialect, url in _scratch_databases(tmp_path):
        app = create_app("test", overrides={"SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            upgrade(revision="0021")
            for to, attempts, error in before:
                db.session.execute(insert, {"to": to, "attempts": attempts, "error": error})
            db.session.commit()
            db.session.remove()

            upgrade()
            assert stored() == before
            assert (
                db.session.execute(text("SELECT count(*) FROM outbox_messages WHERE refused_at IS NOT NULL")).scalar()
                == 0
            )
            to, attempts, error = refused  # refused for good after 0022: its one try, and when
            db.session.execute(insert_refused, {"to": to, "attempts": attempts, "error": error})
            db.session.commit()
            db.session.remove()

            downgrade(revision="0021")
            assert stored() == [*before, (to, 12, error)]
            db.session.remove()
            db.engine.dispose()
