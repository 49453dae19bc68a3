"""slots.kept_seats: the seats a slot keeps above its center's hours for appointments in conflict

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 01:05:00

Why: a closure or fewer seats leaves a slot its booked seats (capacity = booked) so no booking is dropped silently.
When one of those travelers cancelled, the seat became free again and was booked or offered on a closed day. Each
seat released from a slot with kept seats now gives the seat up (capacity - 1) in the same UPDATE.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kept_seats', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('slots', schema=None) as batch_op:
        batch_op.drop_column('kept_seats')
