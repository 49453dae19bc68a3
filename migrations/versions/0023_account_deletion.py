"""account deletion: the audit log names its actor by id alone; outbox messages name the account they are about

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-04 09:00:00

Why: a traveler who never sent an application may delete their account (privacy.deletion). Three things stood in
the way on PostgreSQL, which enforces foreign keys (SQLite here does not):

- `audit_events.actor_id` referenced `accounts`. The traveler's own steps are audited (the account's creation,
  profile changes by field name, their data export), so their account row could not go while its events stayed,
  and the events cannot change (migration 0006): ON DELETE SET NULL is an UPDATE the trigger refuses, and would
  rewrite history besides. The audit log outlives what it names, as it already did for objects (`object_id` has no
  foreign key): the actor is now a bare id too, which after a deletion names nobody. The audit page shows such an
  actor as a deleted account with its number.
- `outbox_messages` named its recipient by address only, and keeps every message it sent (notifications.worker):
  copies of the e-mails to a deleted traveler (and the notice to a minor's parent, which names the minor) could
  only be found by address, which two accounts may share. `account_id` is the account a message is about, set by
  `queue_email`; messages written before this migration are attributed where exactly one account has their
  address (a parent's notice, about the minor and not the addressee, is left unattributed).
- Deleting a profile has PostgreSQL look for minors who link it as their parent or guardian
  (`guardian_profile_id`, unindexed: a scan of every profile) and the deletion unlinks them. A partial index holds
  the few profiles that have a link.

On SQLite the audit table is rebuilt in batch mode to drop its foreign key, which drops migration 0006's triggers
with the old table: they are created again here.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

AUDIT_ACTOR_FK = 'fk_audit_events_actor_id_accounts'
# Migration 0006's SQLite triggers, as it created them.
MESSAGE = "audit_events is append-only"
SQLITE_TRIGGERS = [
    f"""
    CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END
    """,
    f"""
    CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END
    """,
]


def _sqlite() -> bool:
    return op.get_bind().dialect.name == 'sqlite'


def _restore_sqlite_triggers() -> None:
    for statement in SQLITE_TRIGGERS:
        op.execute(sa.text(statement))


def upgrade():
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_constraint(AUDIT_ACTOR_FK, type_='foreignkey')
    if _sqlite():
        _restore_sqlite_triggers()

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('account_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_messages_account_id'), ['account_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_outbox_messages_account_id_accounts'), 'accounts', ['account_id'], ['id']
        )
    op.execute(
        sa.text(
            "UPDATE outbox_messages SET account_id = "
            "(SELECT min(a.id) FROM accounts a WHERE a.email = outbox_messages.recipient) "
            "WHERE kind <> 'email.guardian_consent' "
            "AND (SELECT count(*) FROM accounts a WHERE a.email = outbox_messages.recipient) = 1"
        )
    )

    with op.batch_alter_table('applicant_profiles', schema=None) as batch_op:
        batch_op.create_index(
            'ix_applicant_profiles_guardian_profile_id',
            ['guardian_profile_id'],
            unique=False,
            postgresql_where=sa.text('guardian_profile_id IS NOT NULL'),
            sqlite_where=sa.text('guardian_profile_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('applicant_profiles', schema=None) as batch_op:
        batch_op.drop_index('ix_applicant_profiles_guardian_profile_id')

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_messages_account_id_accounts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_outbox_messages_account_id'))
        batch_op.drop_column('account_id')

    if _sqlite():
        with op.batch_alter_table('audit_events', schema=None) as batch_op:
            batch_op.create_foreign_key(AUDIT_ACTOR_FK, 'accounts', ['actor_id'], ['id'])
        _restore_sqlite_triggers()
    else:
        # NOT VALID: the events of accounts deleted meanwhile keep their actor's id, which names no row any more;
        # the constraint holds for every event written from now on.
        op.execute(
            sa.text(
                f"ALTER TABLE audit_events ADD CONSTRAINT {AUDIT_ACTOR_FK} "
                "FOREIGN KEY (actor_id) REFERENCES accounts (id) NOT VALID"
            )
        )
