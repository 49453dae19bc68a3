"""applications.renewal_of_id index: the renewal pending for a membership, looked up on the traveler's pages

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 05:00:00

Why (issue 8): the status page and the dashboard ask whether a renewal filed before expiry keeps a membership in use
(memberships.service.pending_renewals: the renewal whose renewal_of_id is the membership's application). Without an
index that is a sequential scan of every application: at 1,000,000 applications `make bench` measured both pages at
11 requests a second (p50 340 ms). Partial: only renewals have the column set.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index(
            'ix_applications_renewal_of_id',
            ['renewal_of_id'],
            unique=False,
            postgresql_where=sa.text('renewal_of_id IS NOT NULL'),
            sqlite_where=sa.text('renewal_of_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_renewal_of_id')
