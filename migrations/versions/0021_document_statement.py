"""case_documents.status_event_id: a file sent with a response or a request to reconsider names that statement

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-04 10:00:00

Why: a file sent with an answer names its request for information, but one sent with a response to a preliminary
determination or a request to reconsider named nothing: the status page matched it to its statement (the status
event that keeps what the traveler wrote) by the decision letter each answered, from their times. Two statements
after one letter, or a file stamped at the instant of a letter, put files under the wrong statement or under none.
The file now names the status event it was sent with.

The files sent before are linked by the rule the status page used, in SQL that SQLite and PostgreSQL both run: a
file that names no request goes with the first statement (by id) that answered the same letter, the letters of
its application issued at or before each counted (a file and a statement between the same two letters answered the
same one; on SQLite the times are text in one fixed format, which sorts as they do). A file no statement answered
the same letter for is left unlinked, and is listed on its own.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

# A file that names no request goes with the first statement (the traveler's response or request to reconsider: the
# reason codes of casework.decisions.STATEMENTS) that answered the same letter as it did.
BACKFILL = sa.text(
    """
    UPDATE case_documents SET status_event_id = (
        SELECT MIN(e.id) FROM status_events e
        WHERE e.application_id = case_documents.application_id
          AND e.reason_code IN ('determination_answered', 'reconsideration')
          AND (SELECT COUNT(*) FROM decision_letters l
               WHERE l.application_id = e.application_id AND l.issued_at <= e.created_at)
            = (SELECT COUNT(*) FROM decision_letters l
               WHERE l.application_id = case_documents.application_id AND l.issued_at <= case_documents.created_at)
    )
    WHERE info_request_id IS NULL
    """
)

# SQLite copies case_documents to add the foreign key (batch mode): its foreign keys are copied as they are, without
# reflecting the tables they name (SQLite cannot reflect the officer queues' expression indexes on `applications`)
UNRESOLVED = {'resolve_fks': False}


def upgrade():
    with op.batch_alter_table('case_documents', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.add_column(sa.Column('status_event_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_case_documents_status_event_id'), ['status_event_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_case_documents_status_event_id_status_events'), 'status_events', ['status_event_id'], ['id']
        )
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('case_documents', schema=None, reflect_kwargs=UNRESOLVED) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_documents_status_event_id_status_events'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_case_documents_status_event_id'))
        batch_op.drop_column('status_event_id')
