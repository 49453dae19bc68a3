"""applications keep the profile as submitted, the rules' answer since a change, and a flag when it got worse

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 09:00:00

Why: the applicant profile is shared and stays editable after submission, and the case page read it live. A
traveler who disclosed a DUI, submitted, then answered "No" on the background page made the officer's case page say
"Offenses disclosed: none", with nothing to show that the answer had changed. Each application now keeps the
profile as submitted (`submitted_profile`: the facts the eligibility rules read, names and documents as the case page
shows them), the rules' answer again after a change to a fact they read (`eligibility_now`; the submitted
`eligibility_snapshot` is kept as it was), and since when that answer has been worse than the submitted one
(`eligibility_worse_since`, flagged in the queue). Applications submitted before this have no copy: their case page
says so, and lists the changes from the audit log as for the others.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_profile', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('eligibility_now', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('eligibility_worse_since', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35+), not batch mode's copy of the table: SQLite cannot reflect the
    # officer queues' expression indexes on `applications` (migration 0008), so a copy would lose them.
    with op.batch_alter_table('applications', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('eligibility_worse_since')
        batch_op.drop_column('eligibility_now')
        batch_op.drop_column('submitted_profile')
