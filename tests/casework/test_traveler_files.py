"""The files a traveler sent, on their own status page: each listed under the answer or request it went with, by the
name it was kept under and its size, and downloaded as exactly what they sent. Nobody else gets a file through the
traveler's pages: not another traveler, not an officer, not a link naming another application."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from flask_babel import force_locale
from sqlalchemy import select, update
from werkzeug.http import parse_options_header

from tests.factories import create_account, create_application, create_hit_case, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.casework import decisions
from trusted_traveler.casework.models import Application, CaseDocument, DecisionLetter, StatusEvent
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_size

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
RECORD = PDF + b"0" * (120 * 1024 - len(PDF))  # a court record of exactly 120 KB
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
TRAVELER, OFFICER = "hit@example.com", "olga.officer@example.com"


def _application(reference: str) -> Application:
    return db.session.scalar(select(Application).where(Application.reference == reference))


def _officer() -> Account:
    return db.session.scalar(select(Account).where(Account.email == OFFICER))


@pytest.fixture
def asked(app, today) -> str:
    """A Global Entry case in officer review after a vetting hit, whose officer asked its traveler for the record."""
    with app.app_context():
        reference = create_hit_case(OFFICER, TRAVELER)
        decisions.request_info(
            _application(reference),
            by=_officer(),
            message="Send the court record for 2019.",
            due_on=today + dt.timedelta(days=10),
            today=today,
        )
        db.session.commit()
        return reference


def _send(client, url: str, field: str, text: str, *files: tuple[str, bytes]) -> None:
    """The traveler sends `text` with `files` from their status page, as the page's form does."""
    response = client.post(
        url,
        data={field: text, "files": [(io.BytesIO(data), name) for name, data in files]},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def _answer(client, reference: str, *files: tuple[str, bytes]) -> None:
    _send(client, f"/applications/{reference}/answer", "answer", "Here it is.", *files)


def _downloads(html: str) -> list[tuple[str, str]]:
    """The status page's download links: (link text as read, without its markup; address)."""
    links = re.findall(r'<a class="usa-link" href="(/applications/[^"]+/documents/\d+)">(.*?)</a>', html, re.S)
    return [(re.sub(r"<[^>]+>", "", text), href) for href, text in links]


def _part(html: str, testid: str) -> str:
    return html.split(f'data-testid="{testid}"', 1)[1].split("</div>", 1)[0]


def test_the_traveler_sees_the_file_under_their_answer_and_downloads_exactly_what_they_sent(client, asked):
    sign_in(client, TRAVELER)
    _answer(client, asked, ("court-record.pdf", RECORD))
    html = client.get(f"/applications/{asked}").get_data(as_text=True)
    answer = _part(html, "sent-answer")
    assert "Send the court record for 2019." in answer and "Here it is." in answer
    [(text, href)] = _downloads(answer)
    assert text == "Download court-record.pdf (120 KB)"
    assert '(120 <abbr title="kilobytes">KB</abbr>)' in answer

    download = client.get(href)
    assert download.status_code == 200 and download.data == RECORD
    assert download.mimetype == "application/pdf"
    assert parse_options_header(download.headers["Content-Disposition"]) == (
        "attachment",
        {"filename": "court-record.pdf"},
    )
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Cache-Control"] == "no-store"


def test_a_name_beyond_ascii_downloads_under_that_name(client, asked):
    """RFC 6266: an ASCII `filename` for old clients and the name itself, in UTF-8, as `filename*`. A semicolon in
    the name stays in the name, not in the header's syntax."""
    name = "Acta «2019»; señor Pérez.pdf"
    sign_in(client, TRAVELER)
    _answer(client, asked, (name, PDF))
    [(text, href)] = _downloads(client.get(f"/applications/{asked}").get_data(as_text=True))
    assert text == f"Download {name} (1 KB)"
    disposition = client.get(href).headers["Content-Disposition"]
    assert disposition.isascii()
    assert "filename*=UTF-8''Acta%20%C2%AB2019%C2%BB%3B%20se%C3%B1or%20P%C3%A9rez.pdf" in disposition
    kind, options = parse_options_header(disposition)
    assert kind == "attachment" and options["filename"] == name


def test_a_size_reads_in_whole_kilobytes_or_in_megabytes_in_the_readers_language(app):
    """A small file is 1 KB, never 0; from a thousand kilobytes on, megabytes to one decimal. 1 KB is 1,024 bytes,
    as the upload limits count them."""
    with app.test_request_context():
        assert str(format_size(44)) == '1 <abbr title="kilobytes">KB</abbr>'
        assert str(format_size(120 * 1024 + 1)) == '121 <abbr title="kilobytes">KB</abbr>'
        assert str(format_size(999 * 1024)) == '999 <abbr title="kilobytes">KB</abbr>'
        assert str(format_size(1536 * 1024)) == '1.5 <abbr title="megabytes">MB</abbr>'
        with force_locale("es"):
            assert str(format_size(1536 * 1024)).startswith("1,5 <abbr")


def test_without_a_stored_type_the_file_goes_as_plain_bytes(client, asked, app):
    sign_in(client, TRAVELER)
    _answer(client, asked, ("court-record.pdf", PDF))
    with app.app_context():
        db.session.execute(update(CaseDocument).values(content_type=""))
        db.session.commit()
    [(_text, href)] = _downloads(client.get(f"/applications/{asked}").get_data(as_text=True))
    download = client.get(href)
    assert download.mimetype == "application/octet-stream" and download.data == PDF


def test_nobody_else_gets_the_file_through_the_travelers_pages(client, asked, app):
    """Another traveler and an officer get the 404 of a reference nobody has; the traveler's own application with
    the id of a file sent on another gets it too. The officer reads files on the case page, where the view is
    audited."""
    with app.app_context():
        stranger = create_profile(create_account("stranger@example.com"))
        theirs = create_application("precheck", profile=stranger, submitted=True).reference
        own_other = create_application("precheck", profile=_application(asked).profile, submitted=True).reference
        db.session.commit()
    sign_in(client, TRAVELER)
    _answer(client, asked, ("court-record.pdf", RECORD))
    [(_text, href)] = _downloads(client.get(f"/applications/{asked}").get_data(as_text=True))
    document_id = href.rsplit("/", 1)[1]
    own = client.get(href)
    assert own.status_code == 200
    assert client.get(f"/applications/{own_other}/documents/{document_id}").status_code == 404
    assert client.get(f"/applications/{asked}/documents/{int(document_id) + 1}").status_code == 404

    sign_in(client, "stranger@example.com")
    assert client.get(href).status_code == 404
    assert client.get(f"/applications/{theirs}/documents/{document_id}").status_code == 404

    sign_in(client, OFFICER)
    refused = client.get(href)
    assert refused.status_code == 404 and RECORD not in refused.data
    on_the_case = client.get(f"/officer/cases/{asked}/documents/{document_id}")
    assert on_the_case.data == RECORD
    assert on_the_case.headers["Content-Disposition"] == own.headers["Content-Disposition"]  # the same response
    with app.app_context():
        viewed = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "document.viewed")).all()
        assert [(e.object_id, e.actor_id) for e in viewed] == [(asked, _officer().id)]


def test_signed_out_the_download_asks_to_sign_in_first(client, asked):
    sign_in(client, TRAVELER)
    _answer(client, asked, ("court-record.pdf", PDF))
    [(_text, href)] = _downloads(client.get(f"/applications/{asked}").get_data(as_text=True))
    client.post("/auth/logout")
    response = client.get(href)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/sign-in?next=") and href in response.headers["Location"]


def _three_statements(client, app) -> str:
    """PreCheck: the traveler answers a preliminary determination with a file, is denied, asks to reconsider without
    a file, is denied again and asks again with another. (An officer denies a PreCheck case from a preliminary
    determination, so each denial follows a new one.) Returns the application's reference."""
    with app.app_context():
        officer = create_account(OFFICER, roles=("officer",))
        profile = create_profile(create_account(TRAVELER), surname="Hitman", dob=dt.date(1980, 1, 1))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        decisions.preliminary_ineligible(_application(reference), by=officer, reason_codes=["security_threat"])
        db.session.commit()

    def officer_denies(reopen: bool) -> None:
        with app.app_context():
            application = _application(reference)
            if reopen:
                decisions.reopen_for_review(application, by=_officer())
            decisions.preliminary_ineligible(application, by=_officer(), reason_codes=["security_threat"])
            application.status_entered_at -= dt.timedelta(days=61)  # its 60 days passed unanswered: it may be denied
            decisions.deny(application, by=_officer(), reason_codes=["security_threat"])
            db.session.commit()

    url = f"/applications/{reference}/reconsideration"
    sign_in(client, TRAVELER)
    _send(client, url, "statement", "The record is not mine.", ("court-record.pdf", PDF))
    officer_denies(reopen=False)
    _send(client, url, "statement", "Please look again.")
    officer_denies(reopen=True)
    _send(client, url, "statement", "Here is the dismissal.", ("dismissal.png", PNG))
    return reference


def _listed_under_each(client, reference: str) -> None:
    """The status page lists the three statements of `_three_statements`, oldest first, each file under its own."""
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    sent = html.split('data-testid="sent"', 1)[1].split("</section>", 1)[0]
    items = re.findall(r'data-testid="sent-(\w+)"', sent)
    assert items == ["determination_response", "reconsideration", "reconsideration"]
    response, first, second = sent.split('data-testid="sent-')[1:]
    assert "Your response to the determination" in response and "The record is not mine." in response
    assert [text for text, _href in _downloads(response)] == ["Download court-record.pdf (1 KB)"]
    assert "Please look again." in first and "You sent no files with it." in first and not _downloads(first)
    assert "Here is the dismissal." in second
    assert [text for text, _href in _downloads(second)] == ["Download dismissal.png (1 KB)"]
    for _text, href in _downloads(sent):
        assert client.get(href).data in (PDF, PNG)


def test_files_sent_with_a_response_and_with_each_request_to_reconsider_are_listed_under_each(client, app):
    """Each file names the status event of the statement it was sent with, and is listed under it."""
    reference = _three_statements(client, app)
    with app.app_context():
        documents = _application(reference).documents
        assert [(d.filename, d.status_event.reason_code, d.status_event.note) for d in documents] == [
            ("court-record.pdf", decisions.DETERMINATION_ANSWERED, "The record is not mine."),
            ("dismissal.png", decisions.RECONSIDERATION, "Here is the dismissal."),
        ]
        assert all(d.info_request_id is None and d.status_event.actor_id == d.uploaded_by_id for d in documents)
    _listed_under_each(client, reference)


def test_an_answers_files_name_its_request_and_no_statement(client, asked, app):
    sign_in(client, TRAVELER)
    _answer(client, asked, ("court-record.pdf", PDF))
    with app.app_context():
        [document] = _application(asked).documents
        assert document.info_request.message == "Send the court record for 2019."
        assert document.status_event_id is None


# An instant fixed in the past, not read from the clock.
INSTANT = dt.datetime(2026, 11, 2, 15, 30, tzinfo=dt.UTC)


@pytest.mark.parametrize("stamped", ["everything at one instant", "a file at the instant of the next letter"])
def test_each_file_stays_with_its_statement_whatever_the_times_say(client, app, stamped):
    """Files were once matched to statements by the decision letter each answered, from their times: with every
    time the same (a coarse or stopped clock) every statement answered the same letter, and all the files went
    under the first; a file stamped at the instant of the next letter went with the statement that answered that
    one, "Please look again.", sent with none. The link each file holds keeps it where it was sent."""
    reference = _three_statements(client, app)
    with app.app_context():
        application = _application(reference)
        if stamped == "everything at one instant":
            for model, column in (
                (StatusEvent, StatusEvent.created_at),
                (DecisionLetter, DecisionLetter.issued_at),
                (CaseDocument, CaseDocument.created_at),
            ):
                db.session.execute(
                    update(model).where(model.application_id == application.id).values({column: INSTANT})
                )
        else:
            court_record = application.documents[0]
            denial = next(x for x in application.letters if x.issued_at > court_record.created_at)
            court_record.created_at = denial.issued_at
        db.session.commit()
    _listed_under_each(client, reference)


def test_a_file_that_names_no_statement_is_still_listed_on_its_own(client, app):
    """A file sent before migration 0021 that it found no statement for (none answered the same letter) names
    nothing: it is the traveler's all the same, listed as a request to reconsider of its own, with nothing written."""
    reference = _three_statements(client, app)
    with app.app_context():
        db.session.execute(
            update(CaseDocument).where(CaseDocument.filename == "dismissal.png").values(status_event_id=None)
        )
        db.session.commit()
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    sent = html.split('data-testid="sent"', 1)[1].split("</section>", 1)[0]
    items = sent.split('data-testid="sent-')[1:]
    assert [item.split('"', 1)[0] for item in items] == ["determination_response"] + ["reconsideration"] * 3
    assert "Here is the dismissal." in items[2] and "You sent no files with it." in items[2]
    assert "You wrote:" not in items[3]
    assert [text for text, _href in _downloads(items[3])] == ["Download dismissal.png (1 KB)"]
