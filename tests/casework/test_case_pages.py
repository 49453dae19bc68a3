"""The officer's queues and case page, and the traveler's answers, through the web as people use them: only the
allowed actions are offered, bad input keeps what was typed, two officers at once lose nothing, and nobody sees
another traveler's letters."""

import datetime as dt
import functools
import hashlib
import io
import re

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from tests.factories import create_account, create_application, create_profile, form_version, sign_in
from tests.support.queries import count_queries
from tests.test_audit_log import URL_FOR_KEYS, link_parts
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import decisions, queues
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application, CaseDocument
from trusted_traveler.crypto import keyring
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day
from trusted_traveler.payments import service as payments
from trusted_traveler.web.officer import views as officer_views

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_the_case_page_shows_the_hit_and_offers_only_the_actions_of_this_state(client, case):
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    assert "Sandbox record: 2019 conviction" in html
    assert "Conditionally approve" in html and "Ask the applicant for information" in html
    assert 'data-testid="approve"' not in html and "Revoke the membership" not in html
    with client.application.app_context():
        viewed = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "profile.viewed"))
        assert viewed.object_id == case and viewed.source_address == "127.0.0.1"


def test_the_case_page_says_its_state_in_words_since_the_services_day(client, case):
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    with client.application.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        entered = format_day(application.status_entered_at)
        state = application.status.replace("_", " ")
    assert f"({state}, since {entered})" in html
    assert "_review," not in html


def test_a_request_with_a_past_date_is_refused_and_keeps_what_the_officer_wrote(client, case):
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    response = client.post(
        f"/officer/cases/{case}/request-info",
        data={"version": version, "message": "Send the court record for 2019.", "due_on": "2001-01-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The due date must be after today." in html and "Send the court record for 2019." in html
    response = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": "x", "due_on": "soon"}
    )
    assert (
        response.status_code == 400
        and "Enter a real date, with a 4-digit year, like 04/12/2024." in response.get_data(as_text=True)
    )


def test_the_longest_request_an_officer_may_write_reaches_the_traveler_whole(client, case, app, today):
    """3,000 characters, the form's limit: the notice quoting it holds it all (PostgreSQL enforces the column's
    length; a notice body of 2,000 turned this into an error page)."""
    question = ("Send the court record for 2019, every page of it. " * 60)[:3000].strip()
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    due_on = (today + dt.timedelta(days=20)).isoformat()
    response = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": question, "due_on": due_on}
    )
    assert response.status_code == 302
    with app.app_context():
        from trusted_traveler.notifications.models import Notification

        notice = db.session.scalar(select(Notification).where(Notification.kind == "info_requested"))
        assert question in notice.body


def test_a_request_over_the_limit_is_refused_whole_with_its_length_not_cut_by_the_browser(client, case, today):
    """The question box sets no maxlength (a browser would cut a longer paste without a word): a longer question is
    refused with how long it is, and shown again whole."""
    question = "Send every page of the 2019 court record. 📄 " * 80  # 3,520 characters, an emoji among them
    sign_in(client, "olga.officer@example.com")
    page = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    box = re.search(r'<textarea[^>]*name="message"[^>]*>', page).group(0)
    assert "maxlength" not in box
    due_on = (today + dt.timedelta(days=20)).isoformat()
    response = client.post(
        f"/officer/cases/{case}/request-info",
        data={"version": form_version(page), "message": question, "due_on": due_on},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f"Shorten this to 3,000 characters or fewer: it has {len(question.strip()):,}." in html
    assert question.strip() in html.replace("&#39;", "'")


def test_an_upload_over_the_request_limit_gets_the_too_large_page_in_the_travelers_language(
    client, case, app, monkeypatch
):
    """Over 10 MB the body is refused before the view runs; the error page must not read it again (it did, for the
    header's sign-out form, and the traveler got a bare server error instead)."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: an escaped error is a 500
    sign_in(client, "hit@example.com")
    client.get("/language/es")
    response = client.post(
        f"/applications/{case}/answer",
        data={"answer": "Aquí está.", "files": (io.BytesIO(b"%PDF-1.4" + b"0" * (11 * 1024 * 1024)), "big.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "El archivo o formulario que envió es más grande de lo que aceptamos" in html
    assert "Cerrar sesión" in html  # the page's whole header, its sign-out form included


def _officer_asks_for_the_record(app, case, today):
    """Officer Olga asks the traveler of `case` to "Send the record." within ten days."""
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        officer = create_account("olga.officer@example.com")
        decisions.request_info(
            application, by=officer, message="Send the record.", due_on=today + dt.timedelta(days=10), today=today
        )
        db.session.commit()


def test_the_traveler_answers_in_the_portal_with_a_file_and_the_officer_sees_it(client, case, app, today):
    _officer_asks_for_the_record(app, case, today)
    sign_in(client, "hit@example.com")
    page = client.get(f"/applications/{case}").get_data(as_text=True)
    assert "Send the record." in page and "Answer by" in page
    refused = client.post(
        f"/applications/{case}/answer",
        data={"answer": "Here it is.", "files": (io.BytesIO(b"MZ not a pdf"), "record.pdf")},
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    html = refused.get_data(as_text=True)
    assert "Here it is." in html  # what was written is kept
    # the refusal is beside the files' field, which it describes, and the summary links to that field
    beside = html.split('id="answer-files-error">')[1].split("</span>")[0]
    assert beside.startswith("record.pdf is not a file type we accept")
    assert 'aria-describedby="answer-files-hint answer-files-error"' in html
    assert f'<a class="usa-link" href="#answer-files">{beside}</a>' in html
    assert 'data-testid="problem"' not in html  # not a second, general box saying it again
    done = client.post(
        f"/applications/{case}/answer",
        data={"answer": "Here it is.", "files": (io.BytesIO(PDF), "record.pdf")},
        content_type="multipart/form-data",
    )
    assert done.status_code == 302
    sign_in(client, "olga.officer@example.com")
    with count_queries(app) as seen:
        html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    assert "Here it is." in html and "record.pdf" in html
    assert not any("case_documents.data" in s for s in seen)  # listing the files does not read their bytes
    document_id = re.search(r"/documents/(\d+)", html).group(1)
    download = client.get(f"/officer/cases/{case}/documents/{document_id}")
    assert download.data == PDF and download.headers["Cache-Control"] == "no-store"


# a court record's words, so "the stored bytes do not hold the file" can be checked on words that would show
RECORD = PDF + b"Superior Court, case 2019-CR-0042: conviction of J. Hitman set aside and sealed.\n" * 20


def _answer_with_a_record(client, app, case, today) -> int:
    """The officer asks, the traveler answers with RECORD; the officer is signed in. Returns the file's id."""
    _officer_asks_for_the_record(app, case, today)
    sign_in(client, "hit@example.com")
    sent = client.post(
        f"/applications/{case}/answer",
        data={"answer": "Here it is.", "files": (io.BytesIO(RECORD), "record.pdf")},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    return int(re.search(r"/documents/(\d+)", html).group(1))


def _stored(app, document_id: int) -> bytes:
    """The file's bytes as the database holds them (raw SQL, past the column type)."""
    with app.app_context():
        raw = db.session.execute(text("SELECT data FROM case_documents WHERE id = :id"), {"id": document_id})
        return bytes(raw.scalar_one())


def test_a_file_a_traveler_sends_is_stored_encrypted_and_the_officer_downloads_exactly_what_was_sent(
    client, case, app, today
):
    """Court records and identity papers are encrypted at rest with the document keys, like document numbers."""
    document_id = _answer_with_a_record(client, app, case, today)
    stored = _stored(app, document_id)
    assert stored != RECORD
    assert b"Superior Court" not in stored and b"%PDF" not in stored
    assert keyring.decrypt_bytes(stored) == RECORD
    with app.app_context():
        document = db.session.get(CaseDocument, document_id)
        assert document.size_bytes == len(RECORD)  # the file's size, not its token's
        assert document.sha256 == hashlib.sha256(RECORD).hexdigest()
    download = client.get(f"/officer/cases/{case}/documents/{document_id}")
    assert download.status_code == 200 and download.data == RECORD


def test_after_a_new_key_is_put_first_and_the_keys_rotate_a_file_reads_with_the_new_key_alone(client, case, app, today):
    document_id = _answer_with_a_record(client, app, case, today)
    before = _stored(app, document_id)
    old_keys = app.config["DOCUMENT_KEYS"]
    new_key = Fernet.generate_key().decode()
    try:
        keyring.configure(f"{new_key},{old_keys}")
        result = app.test_cli_runner().invoke(args=["rotate-document-keys"])
        assert result.exit_code == 0, result.output
        # the traveler's passport number, and the file
        assert "Re-encrypted 1 document numbers and 1 case documents with the newest key." in result.output
        after = _stored(app, document_id)
        assert after != before
        assert Fernet(new_key).decrypt(after) == RECORD
        keyring.configure(new_key)  # the old key is gone: the officer still gets the file
        download = client.get(f"/officer/cases/{case}/documents/{document_id}")
        assert download.status_code == 200 and download.data == RECORD
    finally:
        keyring.configure(old_keys)


def test_every_file_sent_with_an_answer_reaches_the_officer_under_a_name_that_can_be_stored_and_read(
    client, case, app, today, monkeypatch
):
    """A name holding NUL was an error page on PostgreSQL (and a control character was kept on SQLite), and a file
    sent without a name was dropped without a word while the answer went through."""
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production: an escaped error is a 500
    _officer_asks_for_the_record(app, case, today)
    sign_in(client, "hit@example.com")
    files = [(io.BytesIO(PDF), "scans/court\x00record.pdf"), (io.BytesIO(PDF), "")]
    response = client.post(
        f"/applications/{case}/answer",
        data={"answer": "Both pages.", "files": files},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        assert [d.filename for d in application.documents] == ["courtrecord.pdf", "file"]


def test_when_two_officers_act_at_once_the_second_is_told_and_sees_the_new_state(client, case, app):
    with app.app_context():
        create_account("second.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    first = client.post(f"/officer/cases/{case}/decide/conditionally_approve", data={"version": version})
    assert first.status_code == 302
    sign_in(client, "second.officer@example.com")
    second = client.post(
        f"/officer/cases/{case}/decide/deny",
        data={"version": version, "reason_codes": ["not_low_risk"]},
        follow_redirects=True,
    )
    html = second.get_data(as_text=True)
    assert "This case changed while you were looking at it" in html
    assert 'data-testid="case-status">Conditionally Approved' in html


def test_a_denial_needs_a_reason_then_gives_the_traveler_a_letter_and_a_pdf_nobody_else_can_read(client, case, app):
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    missing = client.post(f"/officer/cases/{case}/decide/deny", data={"version": version, "note": "Kept text"})
    assert missing.status_code == 400
    assert "Choose at least one reason." in missing.get_data(as_text=True)
    assert "Kept text" in missing.get_data(as_text=True)
    client.post(f"/officer/cases/{case}/decide/deny", data={"version": version, "reason_codes": ["criminal_history"]})
    sign_in(client, "hit@example.com")
    page = client.get(f"/applications/{case}").get_data(as_text=True)
    assert "Decision letter" in page and "Ask us to reconsider" in page
    letter_url = re.search(r'href="(/applications/[^"]+/letters/\d+)"', page).group(1)
    letter = client.get(letter_url).get_data(as_text=True)
    assert "arrest, a conviction" in letter and "DHS TRIP" in letter
    pdf = client.get(letter_url + ".pdf")
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF-")
    sign_in(client, "someone.else@example.com")
    assert client.get(letter_url).status_code == 404
    assert client.get(letter_url + ".pdf").status_code == 404


def test_the_officers_request_and_explanation_keep_their_paragraphs_for_the_traveler(client, case, today):
    """What the officer wrote in a text area reaches the traveler's status page, notifications and letter with its
    paragraphs (a <p> each) and line breaks (a <br>), escaped."""
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    question = "Send the court record.\r\nBoth pages.\r\n\r\nAnd the <b>police</b> report."
    due_on = today + dt.timedelta(days=40)
    data = {"version": version, "message": question, "due_on": due_on.isoformat()}
    assert client.post(f"/officer/cases/{case}/request-info", data=data).status_code == 302
    sign_in(client, "hit@example.com")
    status = client.get(f"/applications/{case}").get_data(as_text=True)
    asked = "Send the court record.<br>Both pages.</p><p>And the &lt;b&gt;police&lt;/b&gt; report.</p>"
    assert f"<p>{asked}" in status
    notes = client.get("/notifications").get_data(as_text=True).replace(' class="usa-collection__description"', "")
    assert f"<p>An officer asked: {asked}<p>Answer on your application page by {due_on:%B %-d, %Y}.</p>" in notes

    with client.application.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        decisions.answer_info_request(application, by=application.profile.account, answer="Attached.")
        decisions.deny(
            application,
            by=create_account("olga.officer@example.com"),
            reason_codes=["criminal_history"],
            note="The 2019 conviction.\r\n\r\nIt is within ten years.",
        )
        db.session.commit()
    page = client.get(f"/applications/{case}").get_data(as_text=True)
    letter_url = re.search(r'href="(/applications/[^"]+/letters/\d+)"', page).group(1)
    letter = client.get(letter_url).get_data(as_text=True)
    assert "<p>The officer adds: The 2019 conviction.</p><p>It is within ten years.</p>" in letter


def test_the_travelers_answer_keeps_its_paragraphs_for_the_officer(client, case, app, today):
    _officer_asks_for_the_record(app, case, today)
    sign_in(client, "hit@example.com")
    answer = "The record is attached.\r\nBoth pages.\r\n\r\nThe <i>police</i> report follows."
    assert client.post(f"/applications/{case}/answer", data={"answer": answer}).status_code == 302
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    assert (
        '<div data-testid="answer"><p>The record is attached.<br>Both pages.</p>'
        "<p>The &lt;i&gt;police&lt;/i&gt; report follows.</p></div>"
    ) in html


def test_an_explanation_of_only_spaces_puts_no_empty_officer_adds_line_in_the_letter(client, case, app):
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    response = client.post(
        f"/officer/cases/{case}/decide/deny",
        data={"version": version, "reason_codes": ["criminal_history"], "note": "  \r\n  "},
    )
    assert response.status_code == 302
    with app.app_context():
        [letter] = db.session.scalar(select(Application).where(Application.reference == case)).letters
        assert letter.note is None
    sign_in(client, "hit@example.com")
    page = client.get(f"/applications/{case}").get_data(as_text=True)
    letter_url = re.search(r'href="(/applications/[^"]+/letters/\d+)"', page).group(1)
    assert "The officer adds" not in client.get(letter_url).get_data(as_text=True)


def test_reconsideration_with_an_empty_statement_is_refused_then_reopens_the_case(client, case, app):
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        decisions.deny(application, by=create_account("olga.officer@example.com"), reason_codes=["not_low_risk"])
        db.session.commit()
    sign_in(client, "hit@example.com")
    empty = client.post(f"/applications/{case}/reconsideration", data={"statement": "  "})
    assert empty.status_code == 400 and "Tell us why we should look at your case again." in empty.get_data(as_text=True)
    client.post(
        f"/applications/{case}/reconsideration",
        data={"statement": "The charge was dismissed.", "files": (io.BytesIO(PDF), "dismissal.pdf")},
        content_type="multipart/form-data",
    )
    assert "Reconsideration requested" in client.get(f"/applications/{case}").get_data(as_text=True)


def test_a_request_refused_for_its_text_says_the_files_chosen_with_it_were_not_sent(client, case, app):
    """A browser cannot give back the files a person chose: the page says so, beside their field, or they were lost
    without a word when only the statement was missing."""
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        decisions.deny(application, by=create_account("olga.officer@example.com"), reason_codes=["not_low_risk"])
        db.session.commit()
    sign_in(client, "hit@example.com")
    refused = client.post(
        f"/applications/{case}/reconsideration",
        data={"statement": "", "files": (io.BytesIO(PDF), "dismissal.pdf")},
        content_type="multipart/form-data",
    )
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Tell us why we should look at your case again." in html
    assert '<a class="usa-link" href="#reconsider-files">Your files were not sent. Choose them again.</a>' in html
    without_files = client.post(f"/applications/{case}/reconsideration", data={"statement": ""})
    assert "Your files were not sent" not in without_files.get_data(as_text=True)


def test_queues_list_unassigned_cases_and_bulk_assignment_checks_each_row(client, case, app):
    with app.app_context():
        other = create_profile(create_account("watch@example.com"), surname="Watchlist", dob=dt.date(1975, 5, 5))
        second = create_application("global_entry", profile=other, submitted=True)
        second.assigned_officer_id = create_account("busy@example.com", roles=("officer",)).id
        db.session.commit()
        ids = {a.reference: a.id for a in db.session.scalars(select(Application))}
    sign_in(client, "olga.officer@example.com")
    for first_visit in ("/officer/", "/officer/?queue=unassigned"):
        assert "There is a problem" not in client.get(first_visit).get_data(as_text=True)  # no filters: no error
    html = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert case in html and second.reference not in html  # the assigned one is not unassigned
    assert "Unassigned (1)" in html and "Assigned to me (0)" in html  # the tabs count their cases
    response = client.post(
        "/officer/assign", data={"application_ids": [ids[case], ids[second.reference]], "queue": "unassigned"}
    )
    assert response.status_code == 302
    page = client.get("/officer/?queue=mine").get_data(as_text=True)
    assert f"Assigned to olga.officer@example.com: {case}" in page
    assert f"{second.reference} was not assigned: it is assigned to busy@example.com" in page
    assert case in page.split('data-testid="queue"')[1]


def test_the_queue_counts_its_cases_in_good_english_and_its_status_filter_says_what_the_rows_say(client, case):
    sign_in(client, "olga.officer@example.com")
    html = client.get("/officer/?queue=unassigned").get_data(as_text=True)
    assert "Unassigned: 1 case on this page" in html and "1 cases" not in html
    # the row says "Pending Review"; the filter's option for its status says so too, with the status's own name
    assert "Pending Review" in html.split('data-testid="queue"')[1]
    assert '<option value="officer_review">Pending Review / Background check in progress (officer review)</option>' in (
        html
    )
    assert ">Officer review<" not in html
    filtered = client.get("/officer/?queue=unassigned&status=officer_review").get_data(as_text=True)
    assert case in filtered and "There is a problem" not in filtered
    empty = client.get("/officer/?queue=mine").get_data(as_text=True)
    assert "Assigned to me: 0 cases on this page" in empty


def test_bad_queue_filters_get_a_message_and_the_list_still_shows(client, case):
    sign_in(client, "olga.officer@example.com")
    response = client.get("/officer/?queue=unassigned&min_days=-3")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Enter a number of days from 0 to 3650." in html and case in html
    for typed in ("abc", "2.5"):  # not a number at all: that one message, once, not WTForms' own beside it
        html = client.get(f"/officer/?queue=unassigned&min_days={typed}").get_data(as_text=True)
        assert html.count("Enter a number of days from 0 to 3650.") == 2  # the summary's line and the field's
        assert "Not a valid integer value" not in html and f'value="{typed}"' in html and case in html
    assert client.get("/officer/?queue=nope").status_code == 404


@pytest.mark.parametrize("stray", URL_FOR_KEYS)
def test_the_queues_page_links_carry_only_the_queue_and_its_filters(client, case, app, monkeypatch, stray):
    with app.app_context():
        other = create_profile(create_account("second.hit@example.com"), surname="Hitman", dob=dt.date(1980, 1, 1))
        create_application("global_entry", profile=other, submitted=True)
        db.session.commit()
    monkeypatch.setattr(officer_views, "list_queue", functools.partial(queues.list_queue, limit=1))  # a case a page
    sign_in(client, "olga.officer@example.com")
    response = client.get(f"/officer/?queue=unassigned&program=global_entry&min_days=&{stray}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    following = re.search(r'href="([^"]+)" data-testid="next-page"', html).group(1)
    assert link_parts(following) == ("/officer/", {"queue", "program", "after"})
    response = client.get(f"{following.replace('&amp;', '&')}&{stray}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    first = re.search(r'href="([^"]+)">First page<', html).group(1)
    assert link_parts(first) == ("/officer/", {"queue", "program"})


def test_the_workload_view_is_for_supervisors(client, case, app):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    assert client.get("/officer/workload").status_code == 403
    sign_in(client, "sue.supervisor@example.com")
    html = client.get("/officer/workload").get_data(as_text=True)
    assert "olga.officer@example.com" in html and "sue.supervisor@example.com" in html


def test_an_officer_finds_a_case_by_reference_and_a_typo_gets_a_message(client, case):
    sign_in(client, "olga.officer@example.com")
    found = client.get(f"/officer/find?reference={case.lower()}")
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/officer/cases/{case}")
    missing = client.get("/officer/find?reference=TT2-XXXX-0000", follow_redirects=True)
    assert "No submitted application has the reference" in missing.get_data(as_text=True)


def test_a_member_whose_membership_ran_out_sees_expired(client, app, today):
    with app.app_context():
        profile = create_profile(create_account("lapsed@example.com"))
        application = create_application("global_entry", profile=profile, submitted=True)
        officer = create_account("olga.officer@example.com", roles=("officer",))
        decisions.record_interview(application, by=officer, documents_verified=True, biometrics_captured=True)
        membership = decisions.approve(application, by=officer, today=today)
        membership.status = "expired"
        db.session.commit()
        reference = application.reference
    sign_in(client, "lapsed@example.com")
    html = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert 'data-testid="status">Expired' in html and "Expired on" in html


def test_a_supervisor_can_see_who_viewed_the_case(client, case, app):
    with app.app_context():
        create_account("sue.supervisor@example.com", roles=("supervisor",))
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    assert "Who viewed or acted on this case" not in client.get(f"/officer/cases/{case}").get_data(as_text=True)
    sign_in(client, "sue.supervisor@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    link = re.search(r'href="(/admin/audit\?object_id=[^"]+)"', html).group(1)
    log = client.get(link.replace("&amp;", "&")).get_data(as_text=True)
    assert "olga.officer@example.com" in log and "profile.viewed" in log


def test_a_decision_the_case_cannot_take_now_is_explained_on_the_case_page(client, case):
    """An approval posted from an old page (the case is in review, not interviewed): the case again, saying why, not
    an error page."""
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    response = client.post(f"/officer/cases/{case}/decide/approve", data={"version": version})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "That could not be done" in html and "cannot move to &#39;Approved&#39;" in html
    assert 'data-testid="case-status">Pending Review' in html


def test_the_case_a_renewal_took_over_links_to_the_renewal_and_a_revocation_posted_there_is_explained(
    client, app, today
):
    """After an early renewal the membership (and its number) belongs to the renewal. The first application's
    case does not offer to revoke; it names the renewal and links to it, where revoking is offered. A revocation
    posted to the first case anyway (an old page) is refused with the renewal's reference, nothing changed."""
    with app.app_context():
        from trusted_traveler.memberships.models import Membership
        from trusted_traveler.programs.service import get_program

        officer = create_account("olga.officer@example.com", roles=("officer",))
        first = create_application("global_entry", submitted=True)
        decisions.record_interview(first, by=officer, documents_verified=True, biometrics_captured=True)
        membership = decisions.approve(first, by=officer, today=today)
        membership.valid_until = today + dt.timedelta(days=100)
        renewal = casework.start_application(
            first.profile,
            get_program("global_entry"),
            by=first.profile.account,
            today=today,
            kind="renewal",
            renewal_of=first,
        )
        casework.attest(renewal, by=first.profile.account)
        payments.record_completed_payment(renewal, gateway="test", reference=renewal.reference, by=None)
        casework.submit(renewal, by=first.profile.account)
        decisions.record_interview(renewal, by=officer, documents_verified=True, biometrics_captured=True)
        decisions.approve(renewal, by=officer, today=today)
        first_ref, renewal_ref, number = first.reference, renewal.reference, membership.ktn
        db.session.commit()

    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{first_ref}").get_data(as_text=True)
    moved = (
        f"This application no longer holds the membership: application {renewal_ref} renewed it and now holds "
        f"Known Traveler Number {number}. Revoke the membership from {renewal_ref}."
    )
    assert moved in html and f'href="/officer/cases/{renewal_ref}"' in html
    assert "Revoke the membership" not in html.replace(moved, "")
    assert "Revoke the membership</button>" in client.get(f"/officer/cases/{renewal_ref}").get_data(as_text=True)

    with app.app_context():  # the page offers no action on this case: the version an old page carried
        version = str(db.session.scalar(select(Application.version).where(Application.reference == first_ref)))
    refused = client.post(
        f"/officer/cases/{first_ref}/decide/revoke",
        data={"version": version, "reason_codes": ["program_violation"], "note": "Kept text"},
    )
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f'data-testid="problem">{moved}' in page and f'href="/officer/cases/{renewal_ref}"' in page
    with app.app_context():
        assert db.session.scalar(select(Membership.status).where(Membership.ktn == number)) == "active"
        statuses = dict(db.session.execute(select(Application.reference, Application.status)).all())
        assert statuses == {first_ref: "approved", renewal_ref: "approved"}


def test_the_case_history_keeps_the_paragraphs_of_each_note(client, case, app):
    """A note in the case history (here the explanation of a denial) keeps its paragraphs and line breaks on the
    officer's case page, escaped: it no longer runs into one line."""
    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == case))
        decisions.deny(
            application,
            by=create_account("olga.officer@example.com"),
            reason_codes=["criminal_history"],
            note="The 2019 conviction.\r\nSee the <b>court</b> record.\r\n\r\nIt is within ten years.",
        )
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    assert (
        '<td colspan="5" data-label="Note"><p>The 2019 conviction.<br>See the &lt;b&gt;court&lt;/b&gt; record.</p>'
        "<p>It is within ten years.</p></td>"
    ) in html


def test_every_problem_of_a_request_for_information_is_said_beside_its_field_at_once(client, case):
    """An empty question and a past due date are both said, each beside its field, in one go: the date was judged
    only once the question was written, and then in a box at the top of the page."""
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{case}").get_data(as_text=True))
    response = client.post(
        f"/officer/cases/{case}/request-info", data={"version": version, "message": " ", "due_on": "2001-01-01"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Write what you need from the applicant." in html.split('id="message-error"')[1].split("</span>")[0]
    assert "The due date must be after today." in html.split('id="due_on-error"')[1].split("</span>")[0]
    assert 'data-testid="problem"' not in html and "2001-01-01" in html


def test_an_interview_recorded_with_a_check_missing_says_so_beside_that_check(client, app):
    """Recording the interview with nothing ticked is refused beside the first check, not in a general box."""
    with app.app_context():
        reference = create_application(
            "global_entry", profile=create_profile(create_account("arrival@example.com")), submitted=True
        ).reference
        create_account("olga.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    version = form_version(client.get(f"/officer/cases/{reference}").get_data(as_text=True))
    response = client.post(f"/officer/cases/{reference}/interview", data={"version": version})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    beside = html.split('id="documents_verified-error"')[1].split("</span>")[0]
    assert "can only be recorded as complete when the documents were verified and the fingerprints" in beside
    assert 'data-testid="problem"' not in html
    assert '<a class="usa-link" href="#documents_verified">The interview can only be recorded' in html


def test_the_case_page_names_disclosed_offenses_as_the_traveler_chose_them(app, client):
    with app.app_context():
        profile = create_profile(
            create_account("rico@example.com"),
            offenses=[{"category": "rico_other", "status": "convicted", "date": dt.date(2001, 5, 1)}],
        )
        reference = create_application("precheck", profile=profile, submitted=True).reference
        create_account("olga.officer@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{reference}").get_data(as_text=True)
    assert "Offenses disclosed: Other racketeering (convicted, 2001-05-01)" in html and "rico other" not in html


def test_the_case_page_names_countries_rather_than_showing_their_codes(client, case):
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    citizenship = re.search(r"<dt>Citizenship</dt><dd>([^<]*)", html).group(1)
    birth = re.search(r"<dt>Place of birth</dt><dd>([^<]*)", html).group(1)
    assert citizenship.strip() == "United States"
    assert " ".join(birth.split()) == "Springfield United States"
    assert "(United States)" in html  # the passport's issuing country


def _offered_reasons(html: str, form_action: str) -> set[str]:
    form = html.split(f'action="{form_action}"')[1].split("</form>")[0]
    return set(re.findall(r'name="reason_codes"[^>]*value="([a-z_]+)"', form)) | set(
        re.findall(r'value="([a-z_]+)"[^>]*name="reason_codes"', form)
    )


def test_a_first_application_is_not_offered_a_members_or_an_unanswered_requests_reasons(client, case, app):
    sign_in(client, "olga.officer@example.com")
    html = client.get(f"/officer/cases/{case}").get_data(as_text=True)
    offered = _offered_reasons(html, f"/officer/cases/{case}/decide/deny")
    assert offered and "criminal_history" in offered
    assert "program_violation" not in offered and "no_response" not in offered
    refused = client.post(
        f"/officer/cases/{case}/decide/deny",
        data={"version": form_version(html), "reason_codes": ["program_violation"]},
    )
    assert refused.status_code == 400
    assert "A reason ticked does not apply to this letter" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(Application.status).where(Application.reference == case)) == "officer_review"
