"""notification body as text: a notice quotes what staff wrote, which can be longer than 2,000 characters

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30 22:20:00

Why: an officer's request for information may be 3,000 characters and a center's notes for travelers 4,000; the
notice that quotes them (with its own sentence around them) did not fit in `notifications.body` (2,000), and on
PostgreSQL the officer's action or the traveler's booking failed with an error page. The body is composed by the
service from fields each validated for length, so it needs no limit of its own.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column('body', existing_type=sa.String(length=2000), type_=sa.Text(), existing_nullable=False)


def downgrade():
    # Bodies longer than 2,000 characters are cut to fit (PostgreSQL would refuse them otherwise).
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.alter_column(
            'body',
            existing_type=sa.Text(),
            type_=sa.String(length=2000),
            existing_nullable=False,
            postgresql_using='left(body, 2000)',
        )
