"""vetting trigger: what ran each vetting check (submission, the enrollment visit, or the worker asking again)

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 09:00:00

Why: a PreCheck case is checked on submission and again after the enrollment visit's fingerprints, and the worker
asks again when the agency did not answer; the case page listed every result in one table, so a hit found twice
looked like one finding listed twice. Each result now says what ran it (`trigger`), and the results of one run share
their `checked_at`, so the page shows them run by run. Results stored before this say nothing (NULL): the page
shows them as runs whose trigger was not recorded.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# Batch mode on SQLite reflects the table; reflecting the tables its foreign keys name (applications) would meet
# expression indexes SQLite's reflection cannot read.
UNRESOLVED = {'resolve_fks': False}


def upgrade():
    with op.batch_alter_table('vetting_results', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.add_column(sa.Column('trigger', sa.String(length=20), nullable=True))


def downgrade():
    with op.batch_alter_table('vetting_results', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.drop_column('trigger')
