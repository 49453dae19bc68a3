"""rule impact preview: index on applications (program_id, status) for counting a program's pending applications

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 11:45:00

Why (issue 4, BENCHMARKS.md): the impact preview counts the pending applications of a program, `program_id = ?
AND status IN (the eleven pending statuses)`. Without this index PostgreSQL reads the whole table for it (no other
index leads with program_id). Measured on PostgreSQL 15 over 1,000,000 synthetic applications (bench/synthetic.py,
after VACUUM ANALYZE; 444,445 pending PreCheck applications), load average about 2.5:

    before: Parallel Seq Scan on applications, 17,491 buffers, 70.6 / 73.3 / 74.4 ms (EXPLAIN ANALYZE 92 ms)
    after:  Index Only Scan using ix_applications_program_status, Heap Fetches: 0, 416 buffers,
            21 to 32 ms over five runs (EXPLAIN ANALYZE 39 ms)

The index is 7 MB beside the table's 137 MB at that size. Officers' queue filters by program and status may use it
too. No expression index on upper(profile_citizenships.country_code): the preview reads citizenships through the
profile_id index of its few candidates, so statistics on the expression would change no plan of it.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.create_index('ix_applications_program_status', ['program_id', 'status'], unique=False)


def downgrade():
    with op.batch_alter_table('applications', schema=None) as batch_op:
        batch_op.drop_index('ix_applications_program_status')
