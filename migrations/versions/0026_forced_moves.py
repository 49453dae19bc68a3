"""forced moves: an appointment's moves that its center forced, which do not count against the online limit

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 09:00:00

Why: a traveler whose appointment a change of the center's hours (or closures, or programs) leaves without a seat
must move it; that move is the center's doing and must not use up one of the moves the center allows online. The
appointment's `reschedule_count` still counts every move (a calendar file's SEQUENCE, the privacy export); the
moves the center forced are counted beside it, and the limit applies to the difference. Existing rows: none forced.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0025'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN with a constant default, on SQLite as on PostgreSQL: no batch copy of the table (whose
    # partial indexes SQLite's reflection cannot read).
    op.add_column("appointments", sa.Column("forced_moves", sa.Integer(), server_default=sa.text("0"), nullable=False))


def downgrade():
    with op.batch_alter_table("appointments", schema=None, reflect_kwargs={"resolve_fks": False}) as batch_op:
        batch_op.drop_column("forced_moves")
