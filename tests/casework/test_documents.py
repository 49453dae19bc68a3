"""Uploaded documents: the type is read from the content, never the name; size and count are limited."""

import io
import zipfile

import pytest
from flask_babel import force_locale

from trusted_traveler.casework.documents import MAX_BYTES, check_files
from trusted_traveler.errors import BusinessRuleViolation

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + b"0" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 100
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def test_pdf_docx_png_and_jpeg_are_accepted_by_what_is_inside():
    files = [("a.pdf", PDF), ("b.docx", docx()), ("c.png", PNG), ("d.jpg", JPEG)]
    assert [f.content_type.split("/")[-1] for f in check_files(files)] == [
        "pdf",
        "vnd.openxmlformats-officedocument.wordprocessingml.document",
        "png",
        "jpeg",
    ]


def test_a_file_named_like_a_pdf_that_is_not_one_is_refused_with_its_name():
    with pytest.raises(BusinessRuleViolation, match=r"evil\.pdf is not a file type we accept"):
        check_files([("evil.pdf", b"MZ\x90\x00" + b"\x00" * 200)])
    with pytest.raises(BusinessRuleViolation, match="not a file type"):
        check_files([("notes.docx", _zip_without_word())])


def _zip_without_word() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.txt", "x")
    return buffer.getvalue()


def test_a_pdf_with_a_wrong_name_is_still_a_pdf_and_paths_are_stripped_from_names():
    [checked] = check_files([("C:\\Users\\me\\scan.png", PDF)])
    assert checked.content_type == "application/pdf" and checked.filename == "scan.png"


def test_size_count_and_empty_files_get_specific_messages():
    with pytest.raises(BusinessRuleViolation, match="must be 5 MB or smaller"):
        check_files([("big.pdf", PDF + b"0" * MAX_BYTES)])
    with pytest.raises(BusinessRuleViolation, match="at most 5 files"):
        check_files([(f"{i}.pdf", PDF) for i in range(6)])
    with pytest.raises(BusinessRuleViolation, match="empty"):
        check_files([("blank.pdf", b"")])
    assert check_files([("", b"")]) == []  # an unused file input


def test_sizes_in_messages_are_written_in_the_readers_language(app):
    """The megabytes a message names are written as the reader writes numbers: "5.1 MB" in English, "5,1 MB" in
    Spanish (they read "5.1" as five thousand one hundred)."""
    big = PDF + b"0" * (MAX_BYTES + 100_000)
    for language, size in (("en", "5.1"), ("es", "5,1")):
        with app.test_request_context("/"), force_locale(language):
            with pytest.raises(BusinessRuleViolation) as refused:
                check_files([("big.pdf", big)])
        assert f" {size} MB" in str(refused.value)


def test_a_files_name_is_kept_without_the_characters_that_hide_what_it_says():
    """NUL cannot be stored by PostgreSQL (an error page), and control or format characters hide the name from the
    officer reading it (a right-to-left override shows "\u202ecod.pdf" as "fdp.doc"): they are left out, other white
    space becomes a space. A name that was only a folder or only spaces is "file"."""
    names = ["court\x00record.pdf", "scan\x07\u202e.pdf", "two\tparts\u00a0here.pdf", "C:\\Users\\me\\", "   "]
    assert [f.filename for f in check_files([(name, PDF) for name in names])] == [
        "courtrecord.pdf",
        "scan.pdf",
        "two parts here.pdf",
        "file",
        "file",
    ]
    assert [f.filename for f in check_files([("", PDF)])] == ["file"]  # bytes without a name are still a file
    [long] = check_files([("x" * 600 + ".pdf", PDF)])
    assert long.filename == "x" * 200
