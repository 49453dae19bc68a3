"""outbox_messages.refused_at: a message the mail server refused for good, recorded as refused

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-03 09:00:00

Why: a message the SMTP server refuses for good (a 5xx reply to its recipient or its content) would be refused on
every try, so the worker stops trying it at once. It used to say so by setting its attempts to the most allowed,
and `flask outbox failed` then showed 12 attempts after a single try. The column says that, and when, the server
refused it; the attempts stay the tries really made.

No backfill: a message refused for good before this migration cannot be told honestly from one that used its
attempts (its true count of tries was overwritten, and when it was refused was never kept). Such rows stay as they
are, listed among the failed as out of attempts, with the server's reply as their last error.

The pending index (`ix_outbox_pending`: delivered_at, next_attempt_at) is unchanged: the worker's query keeps
reaching the due messages through it and leaves the refused ones out as it leaves those out of attempts (a few
rows, waiting for a person).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

# the worker's MAX_ATTEMPTS: before this migration, a refusal for good was recorded as that many attempts
ATTEMPTS_BEFORE = 12


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refused_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # Back to how the code before this migration kept a refusal for good out of the worker's way (its attempts
    # used up), so a downgrade sends nothing the server refused.
    op.execute(
        sa.text(
            "UPDATE outbox_messages SET attempts = :used_up "
            "WHERE refused_at IS NOT NULL AND delivered_at IS NULL AND attempts < :used_up"
        ).bindparams(used_up=ATTEMPTS_BEFORE)
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('refused_at')
