"""The traveler's side of casework: answering a request for information, asking for reconsideration (with
documents, checked by content), downloading the files they sent and reading decision letters. Another person's
application is a 404."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import decisions
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.documents import FilesRefused
from trusted_traveler.casework.letters import letter_content
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.web.documents import document_of, document_response
from trusted_traveler.web.forms import AnswerForm, ReconsiderForm
from trusted_traveler.web.letters import letter_response
from trusted_traveler.web.portal import bp
from trusted_traveler.web.portal.views import application_page


def _uploads(form) -> list[tuple[str, bytes]]:
    """Every file part sent: which are unused inputs (no name, no bytes) is casework.documents' to say, so a file
    sent without a name is checked, not dropped."""
    return [(f.filename or "", f.read()) for f in request.files.getlist(form.files.name)]


def _respond(reference: str, form_name: str, form, action, done: str):
    application = casework.get_application_for_traveler(reference, current_user)
    if not form.validate_on_submit():
        # a browser cannot give back the files chosen: the page says so beside their field
        chosen = any(name or data for name, data in _uploads(form))
        not_sent = {form_name: _("Your files were not sent. Choose them again.")} if chosen else {}
        return application_page(application, 400, file_errors=not_sent, **{form_name: form})
    try:
        action(application, form)
    except FilesRefused as exc:  # said beside the files' field, what was written kept
        db.session.rollback()
        application = casework.get_application_for_traveler(reference, current_user)
        return application_page(application, 400, file_errors={form_name: exc.message}, **{form_name: form})
    except BusinessRuleViolation as exc:
        db.session.rollback()
        application = casework.get_application_for_traveler(reference, current_user)
        return application_page(application, 400, problem=exc.message, **{form_name: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("portal.application", reference=reference))


@bp.post("/applications/<reference>/answer")
@signed_in
def answer_request(reference: str):
    form = AnswerForm()
    return _respond(
        reference,
        "answer_form",
        form,
        lambda application, f: decisions.answer_info_request(
            application, by=current_user, answer=f.answer.data, files=_uploads(f)
        ),
        _("Thank you. We sent your answer to the officer."),
    )


@bp.post("/applications/<reference>/reconsideration")
@signed_in
def request_reconsideration(reference: str):
    form = ReconsiderForm()
    return _respond(
        reference,
        "reconsider_form",
        form,
        lambda application, f: decisions.request_reconsideration(
            application, by=current_user, statement=f.statement.data, files=_uploads(f)
        ),
        _("We received your request. An officer will look at your case again."),
    )


@bp.get("/applications/<reference>/documents/<int:document_id>")
@signed_in
def document(reference: str, document_id: int):
    """A file the traveler sent on their own application (staff included: this is no way into another's file)."""
    application = casework.get_application_for_traveler(reference, current_user)
    return document_response(document_of(application, document_id))


def _letter_for_traveler(reference: str, letter_id: int):
    application = casework.get_application_for_traveler(reference, current_user)
    return next((x for x in application.letters if x.id == letter_id), None) or abort(404)


@bp.get("/applications/<reference>/letters/<int:letter_id>")
@signed_in
def letter(reference: str, letter_id: int):
    found = _letter_for_traveler(reference, letter_id)
    content = letter_content(found, language=str(get_locale() or "en"))
    return render_template("portal/letter.html", letter=found, content=content)


@bp.get("/applications/<reference>/letters/<int:letter_id>.pdf")
@signed_in
def letter_pdf(reference: str, letter_id: int):
    return letter_response(_letter_for_traveler(reference, letter_id), language=str(get_locale() or "en"))
