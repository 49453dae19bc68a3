"""survey invitations: each survey offer is a single-use invitation; responses say whether they came with one

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05 09:00:00

Why: the survey at /feedback/<touchpoint> took answers from anyone, so the public satisfaction figures could be
stuffed (six "strongly agree" from someone who never applied showed as 100% beside one decision). A response is now
accepted only with the invitation of an offer (`survey_offers`): a token in the survey link, of which the offer
keeps only a SHA-256 (`invitation_hash`, unique), with the nonce it is derived from under SECRET_KEY
(`invitation_nonce`), its expiry and whether it was `answered` (no time: nothing to match a response by).

Existing offers get no invitation here (it needs SECRET_KEY, which a migration does not have): the traveler's page
issues it the next time it shows the invitation, open from then on for SURVEY_INVITATION_DAYS.

Existing responses are kept, as they were, with `invited` false: they were posted without any proof that their
author was offered the survey, and those that stuffed the figures cannot be told from the others, so none of them
counts in the results any more (program leads' results and the public dashboard count `invited` responses only).
A response linked by its author's choice to their application stays in that traveler's data export.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

# Batch mode on SQLite reflects the table; reflecting the tables its foreign keys name (applications) would meet
# expression indexes SQLite's reflection cannot read.
UNRESOLVED = {'resolve_fks': False}


def upgrade():
    with op.batch_alter_table('survey_offers', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.add_column(sa.Column('invitation_nonce', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invitation_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('invitation_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('answered', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.create_unique_constraint(batch_op.f('uq_survey_offers_invitation_hash'), ['invitation_hash'])

    with op.batch_alter_table('feedback_responses', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.add_column(sa.Column('invited', sa.Boolean(), nullable=False, server_default=sa.false()))

    # The dashboard's survey figure as the worker stored it counted every response: pages compute it afresh until
    # the worker's next refresh.
    op.execute(sa.text("DELETE FROM dashboard_figures WHERE key = 'satisfaction-trust'"))


def downgrade():
    # The responses given with an invitation stay; the older code counts every response.
    with op.batch_alter_table('feedback_responses', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.drop_column('invited')

    with op.batch_alter_table('survey_offers', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_survey_offers_invitation_hash'), type_='unique')
        batch_op.drop_column('answered')
        batch_op.drop_column('invitation_expires_at')
        batch_op.drop_column('invitation_hash')
        batch_op.drop_column('invitation_nonce')
