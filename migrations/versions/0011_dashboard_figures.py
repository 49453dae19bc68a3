"""dashboard figures: the public performance dashboard's figures, computed every five minutes by the worker

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30 17:15:00

Why (issue 8): each figure of the public performance dashboard was computed by each web worker when its five-minute
cache ran out. The processing time reads every submission and decision event (about 5.8 million rows at 1,000,000
applications): the visitor who found the cache empty waited seconds, once per worker process. The worker now
computes the four figures for the whole fleet into this table (a row each); pages read those rows.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'dashboard_figures',
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('columns', sa.JSON(), nullable=False),
        sa.Column('rows', sa.JSON(), nullable=False),
        sa.Column('computed_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_dashboard_figures')),
    )


def downgrade():
    op.drop_table('dashboard_figures')
