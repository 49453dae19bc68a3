"""rule_set_versions.revision: the revision of a draft or a version in review that the console's page showed

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02 09:00:00

Why: two program leads editing the same draft overwrote each other's saves without a word, and a lead could approve
a version that had been sent back, changed and sent again after their review page loaded. Each change raises the
revision (rules.authoring); a form from an older page is refused with who changed it and when.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rule_set_versions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), server_default='1', nullable=False))


def downgrade():
    with op.batch_alter_table('rule_set_versions', schema=None) as batch_op:
        batch_op.drop_column('revision')
