"""applications.vetting_retry_since: the cases the vetting agency did not answer for, asked about again

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 10:20:00

Why: when the agency does not answer, the case waits in vetting and the worker asks again. It must ask about those
cases only, not every case in vetting (a load-test copy's synthetic population holds many): the column marks them,
and a partial index finds them.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

SET = "vetting_retry_since IS NOT NULL"


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vetting_retry_since', sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        'ix_applications_vetting_retry_since',
        'applications',
        ['vetting_retry_since'],
        unique=False,
        sqlite_where=sa.text(SET),
        postgresql_where=sa.text(SET),
    )


def downgrade():
    op.drop_index('ix_applications_vetting_retry_since', table_name='applications')
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode's copy of the table, which would lose the officer
    # queues' expression indexes (as in 0015)
    with op.batch_alter_table('applications', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('vetting_retry_since')
