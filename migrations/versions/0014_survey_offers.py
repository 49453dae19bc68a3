"""survey_offers: each application's survey invitation, the first time it was shown, at each touchpoint

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 04:00:00

Why: OMB Circular A-11 section 280 reports the transaction volume and the number of people offered the survey beside
the responses (BRIEF.md section 6). The responses were counted; how many were offered the survey was not, so no
response rate could be given. One row per application and touchpoint, however often the invitation is seen.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'survey_offers',
        sa.Column('application_id', sa.Integer(), nullable=False),
        sa.Column('touchpoint', sa.String(length=40), nullable=False),
        sa.Column('offered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['application_id'],
            ['applications.id'],
            name=op.f('fk_survey_offers_application_id_applications'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('application_id', 'touchpoint', name=op.f('pk_survey_offers')),
    )
    with op.batch_alter_table('survey_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_offers_offered_at'), ['offered_at'], unique=False)


def downgrade():
    with op.batch_alter_table('survey_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_offers_offered_at'))
    op.drop_table('survey_offers')
