"""payments: index on (status, created_at) for the reconciliation sweep

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 15:30:00

Why: every ten minutes the worker's sweep (payments.service.reconcile) looks for started payments older than half an
hour, and declined or failed ones of the last day. Without an index it reads the whole payments table each time,
which grows by millions of rows a year; with this one it reads the few rows in those states and dates.
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_status_created_at', ['status', 'created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_status_created_at')
