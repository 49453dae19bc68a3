"""Encryption at rest for identity-document numbers and the files travelers send (court records, identity papers).

Keys come from configuration (`DOCUMENT_KEYS`, comma-separated Fernet keys, newest first). `MultiFernet`
decrypts with any listed key and encrypts with the first, so rotation is: prepend a new key, run
`flask rotate-document-keys` (which re-encrypts every stored number and file with the newest key), then drop the
old key. Numbers are stored as `EncryptedString` (a text token), files as `EncryptedBytes` (a binary token, about
a third larger than the file: Fernet tokens are base64).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import LargeBinary, Text, TypeDecorator, text

NUMBER = "a stored document number"
FILE = "a stored file"


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

    def encrypt_bytes(self, plaintext: bytes) -> bytes:
        return self.fernet.encrypt(plaintext)

    def decrypt_bytes(self, token: bytes, what: str = FILE) -> bytes:
        try:
            return self.fernet.decrypt(token)
        except InvalidToken as exc:
            raise KeyringError(f"{what} cannot be decrypted with the configured keys") from exc

    def rotate_bytes(self, token: bytes, what: str = FILE) -> bytes:
        """The same plaintext under the newest key."""
        try:
            return self.fernet.rotate(token)
        except InvalidToken as exc:
            raise KeyringError(f"{what} cannot be decrypted with the configured keys") from exc

    def encrypt(self, plaintext: str) -> str:
        return self.encrypt_bytes(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        return self.decrypt_bytes(token.encode(), NUMBER).decode()

    def rotate(self, token: str) -> str:
        return self.rotate_bytes(token.encode(), NUMBER).decode()


keyring = _Keyring()


class EncryptedString(TypeDecorator):
    """Stores a string encrypted with the document keyring; reads it back in clear."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring.encrypt(value)

    def process_result_value(self, value, dialect):
        return None if value is None else keyring.decrypt(value)


class EncryptedBytes(TypeDecorator):
    """Stores bytes (a file) encrypted with the document keyring; reads them back in clear."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else keyring.encrypt_bytes(bytes(value))

    def process_result_value(self, value, dialect):
        return None if value is None else keyring.decrypt_bytes(bytes(value))


class Rotated(NamedTuple):
    numbers: int
    files: int


NUMBER_BATCH = 100  # rows read at once: a number's token is about 100 bytes
FILE_BATCH = 10  # a file's token is up to about 7 MB (casework.documents.MAX_BYTES, base64): at most ~70 MB at once


def _rotate_column(session, table: str, column: str, rotate: Callable, batch: int) -> int:
    """Re-encrypt every value of `table.column` with the newest key, `batch` rows at a time in id order (the raw
    ciphertext: nothing is decrypted into the session). Returns the number of rows."""
    done, after = 0, 0
    while rows := session.execute(
        text(f"SELECT id, {column} FROM {table} WHERE id > :after ORDER BY id LIMIT :batch"),  # noqa: S608 (names are ours)
        {"after": after, "batch": batch},
    ).all():
        for row_id, token in rows:
            if token is not None:
                session.execute(
                    text(f"UPDATE {table} SET {column} = :token WHERE id = :id"),  # noqa: S608 (names are ours)
                    {"token": rotate(token), "id": row_id},
                )
        done += len(rows)
        after = rows[-1][0]
    return done


def rotate_all_document_numbers(session) -> Rotated:
    """Re-encrypt every stored document number and every file travelers sent with the newest key. The caller
    commits."""
    return Rotated(
        numbers=_rotate_column(session, "identity_documents", "number", keyring.rotate, NUMBER_BATCH),
        files=_rotate_column(
            session, "case_documents", "data", lambda token: keyring.rotate_bytes(bytes(token)), FILE_BATCH
        ),
    )
