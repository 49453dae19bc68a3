"""typical times: each program's time in each status over the past year, computed hourly by the worker

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 15:00:00

Why (issue 8, BENCHMARKS.md): the traveler's status page shows how long each step usually takes, read from a year
of status events with a window function (LAG) over every event of the program. At 1,000,000 applications (5.8 million
status events) that scan takes seconds, and each worker process computed it on its first status page of the hour:
a traveler waited seconds, and five workers computing at once took the node's CPU. The worker now computes it once an
hour for the whole fleet into this table (a few rows a program); pages read those rows.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'typical_times',
        sa.Column('program_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('median_days', sa.Float(), nullable=False),
        sa.Column('p75_days', sa.Float(), nullable=False),
        sa.Column('sample', sa.Integer(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['program_id'], ['programs.id'], name=op.f('fk_typical_times_program_id_programs')),
        sa.PrimaryKeyConstraint('program_id', 'status', name=op.f('pk_typical_times')),
    )


def downgrade():
    op.drop_table('typical_times')
