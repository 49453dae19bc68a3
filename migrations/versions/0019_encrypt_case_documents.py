"""case_documents.data: the files travelers sent are encrypted at rest

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-03 10:15:00

Why: court records and identity papers sent with an answer or a reconsideration request were stored in clear, while
the document numbers beside them were encrypted. The column stays a binary column; each file becomes a Fernet token
under the newest key of DOCUMENT_KEYS (the keyring create_app configures, which `flask db upgrade` runs). A file
that already decrypts was written by the new code before this ran and is left as it is (a file in clear is never a
valid token), so it is not encrypted twice. Downgrading needs a key that decrypts every file.
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy import text

from trusted_traveler.crypto import KeyringError, keyring

# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

BATCH = 10  # files read at once: each is up to 5 MB in clear, about 7 MB encrypted


def _rewrite(change):
    """Every file through `change` (None: leave it), BATCH rows at a time in id order, so a large table is never read
    at once."""
    bind = op.get_bind()
    after = 0
    while rows := bind.execute(
        text("SELECT id, data FROM case_documents WHERE id > :after ORDER BY id LIMIT :batch"),
        {"after": after, "batch": BATCH},
    ).all():
        for row_id, data in rows:
            if (changed := change(bytes(data))) is not None:
                bind.execute(
                    text("UPDATE case_documents SET data = :data WHERE id = :id"), {"data": changed, "id": row_id}
                )
        after = rows[-1][0]


def _encrypt(data):
    try:
        keyring.decrypt_bytes(data)
    except KeyringError:
        return keyring.encrypt_bytes(data)
    return None  # already encrypted


def _check_the_keys():
    """The keys must be the ones the service's document numbers are under: files encrypted under any other key (an
    unset DOCUMENT_KEYS, say, where production's numbers are under a set one) could never be read again."""
    sample = op.get_bind().execute(sa.text("SELECT number FROM identity_documents ORDER BY id LIMIT 1")).scalar()
    if sample is not None:
        try:
            keyring.decrypt(sample)
        except KeyringError:
            raise RuntimeError(
                "DOCUMENT_KEYS here cannot read the stored document numbers, so the files would be encrypted under "
                "keys the service does not have. Run the upgrade with the service's DOCUMENT_KEYS."
            ) from None


def upgrade():
    _check_the_keys()
    _rewrite(_encrypt)


def downgrade():
    _rewrite(keyring.decrypt_bytes)
