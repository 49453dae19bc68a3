"""Encryption at rest for identity-document numbers.

Keys come from configuration (`DOCUMENT_KEYS`, comma-separated Fernet keys, newest first). `MultiFernet`
decrypts with any listed key and encrypts with the first, so rotation is: prepend a new key, run
`flask rotate-document-keys` (which re-encrypts every stored value with the newest key), then drop the old key.
"""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, TypeDecorator, text


class KeyringError(RuntimeError):
    pass


class _Keyring:
    def __init__(self) -> None:
        self._fernet: MultiFernet | None = None

    def configure(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise KeyringError("DOCUMENT_KEYS is empty: set at least one Fernet key (Fernet.generate_key())")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in parts])
        except ValueError as exc:
            raise KeyringError(f"DOCUMENT_KEYS holds a key that is not a valid Fernet key: {exc}") from exc

    @property
    def fernet(self) -> MultiFernet:
        if self._fernet is None:
            raise KeyringError("document encryption keys are not configured")
        return self._fernet

    def encrypt(self, plaintext: str) -> str:
        return self.fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self.fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise KeyringError("a stored document number cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self.fernet.rotate(token.encode()).decode()


keyring = _Keyring()


class EncryptedString(TypeDecorator):
    """Stores a string encrypted with the document keyring; reads it back in clear."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring.decrypt(value)


def rotate_all_document_numbers(session) -> int:
    """Re-encrypt every stored document number with the newest key (works on the raw ciphertext)."""
    rows = session.execute(text("SELECT id, number FROM identity_documents")).all()
    for row_id, token in rows:
        session.execute(
            text("UPDATE identity_documents SET number = :number WHERE id = :id"),
            {"number": keyring.rotate(token), "id": row_id},
        )
    return len(rows)
