"""rule_set_versions: at most one open version (draft or in review) a rule set

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 09:40:00

Why: two program leads starting a change at the same moment could both pass the "is there an open draft?" look-up.
The unique (rule_set_id, number) caught them only when both drafts took the same number; when one lead's draft was
saved before the other read the highest number, the program had two open drafts. A partial unique index holds it.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

OPEN = "status IN ('draft', 'in_review')"


def upgrade():
    # The race this closes may have left a rule set with two open versions already: a lead decides which to keep.
    rows = op.get_bind().execute(
        sa.text(
            "SELECT rule_set_id, label FROM rule_set_versions WHERE status IN ('draft', 'in_review') "
            "ORDER BY rule_set_id, number"
        )
    ).all()
    open_versions: dict[int, list[str]] = {}
    for rule_set_id, label in rows:
        open_versions.setdefault(rule_set_id, []).append(label)
    if twice := [labels for labels in open_versions.values() if len(labels) > 1]:
        raise RuntimeError(
            "These rule sets have more than one open version (a draft or one in review): "
            + "; ".join(", ".join(labels) for labels in twice)
            + ". Keep one of each: a program lead retires the others in the rules console (or, for a draft nobody"
            " wants, delete it), then run the upgrade again."
        )
    op.create_index(
        'uq_rule_set_versions_open',
        'rule_set_versions',
        ['rule_set_id'],
        unique=True,
        sqlite_where=sa.text(OPEN),
        postgresql_where=sa.text(OPEN),
    )


def downgrade():
    op.drop_index('uq_rule_set_versions_open', table_name='rule_set_versions')
