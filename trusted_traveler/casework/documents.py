"""Files a traveler sends with an answer or a reconsideration request: the type is checked by content, never by
the name, and size and count are limited. The file types are the ones CBP asks for (BRIEF.md section 3.2)."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

import filetype
from flask_babel import format_decimal
from flask_babel import gettext as _

from trusted_traveler.errors import BusinessRuleViolation

MAX_BYTES = 5 * 1024 * 1024  # each file
MAX_TOTAL = 9 * 1024 * 1024  # all files of one answer (the request limit is 10 MB)
MAX_FILES = 5
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ACCEPTED = {
    "application/pdf": "PDF",
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    DOCX: "Word (DOCX)",
}


@dataclass(frozen=True)
class CheckedFile:
    filename: str
    content_type: str
    data: bytes
    sha256: str


def _is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def sniff(data: bytes) -> str | None:
    """The accepted type these bytes really are, or None."""
    kind = filetype.guess(data)
    if kind is None:
        return None
    if kind.mime in ("application/zip", DOCX):  # a DOCX is a zip archive: look inside for a Word document
        return DOCX if _is_docx(data) else None
    return kind.mime if kind.mime in ACCEPTED else None


def _megabytes(size: int) -> str:
    """Megabytes to one decimal in the reader's language, for a message ("1.5"; "1,5" in Spanish)."""
    return format_decimal(size / 1024 / 1024, "0.0")


MAX_NAME = 200  # characters of a file's name kept (the column holds 255)


def _shown_name(name: str) -> str:
    """The name a file is kept and shown under: the last part of what the browser sent (some send the whole path),
    without the characters that cannot be shown. A control character (NUL, which PostgreSQL cannot store, among them)
    or a format character (a right-to-left override shows "\\u202ecod.pdf" as "fdp.doc") hides what the name says
    from the officer reading it: other white space becomes a plain space and the rest is left out. At most MAX_NAME
    characters; "file" when nothing is left (a name that was only a folder, or only spaces)."""
    last = (name or "").rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    visible = "".join(ch if ch.isprintable() else " " if ch.isspace() else "" for ch in last)
    return visible.strip()[:MAX_NAME].strip() or "file"


class FilesRefused(BusinessRuleViolation):
    """A file sent cannot be kept (too many, too large, empty, or of a type we do not accept): the page shows the
    message beside the files' field, where the traveler chooses them again."""


def check_files(files: list[tuple[str, bytes]]) -> list[CheckedFile]:
    """Check uploads (name, bytes); empty file inputs (no name, no bytes) are skipped, and a file is kept under its
    `_shown_name`.

    Raises:
        FilesRefused: too many files, a file too large or empty, or a type we do not accept (saying which).
    """
    files = [(name, data) for name, data in files if name or data]
    if len(files) > MAX_FILES:
        raise FilesRefused(_("Send at most %(max)s files at a time. You chose %(n)s.", max=MAX_FILES, n=len(files)))
    total = sum(len(data) for _, data in files)
    if total > MAX_TOTAL:
        raise FilesRefused(
            _(
                "Your files add up to %(size)s MB. Send at most %(max)s MB at a time: send the rest with another "
                "answer.",
                size=_megabytes(total),
                max=MAX_TOTAL // 1024 // 1024,
            )
        )
    checked = []
    for name, data in files:
        shown = _shown_name(name)
        if not data:
            raise FilesRefused(_("%(name)s is empty. Choose the file again.", name=shown))
        if len(data) > MAX_BYTES:
            raise FilesRefused(
                _(
                    "%(name)s is %(size)s MB. Each file must be %(max)s MB or smaller.",
                    name=shown,
                    size=_megabytes(len(data)),
                    max=MAX_BYTES // 1024 // 1024,
                )
            )
        content_type = sniff(data)
        if content_type is None:
            raise FilesRefused(
                _(
                    "%(name)s is not a file type we accept. Send a PDF, Word (DOCX), PNG or JPEG file (we check "
                    "what is inside the file, not its name).",
                    name=shown,
                )
            )
        checked.append(CheckedFile(shown, content_type, data, hashlib.sha256(data).hexdigest()))
    return checked
