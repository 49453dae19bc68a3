"""A file a traveler sent, as a download (the officer's case page and the traveler's status page both offer it)."""

from __future__ import annotations

import io

from flask import Response, abort, send_file

from trusted_traveler.casework.models import Application, CaseDocument


def document_of(application: Application, document_id: int) -> CaseDocument:
    """The file `document_id` sent on `application` (already authorized for the reader), or 404: an id of another
    application's file is as unknown as one nobody has."""
    return next((d for d in application.documents if d.id == document_id), None) or abort(404)


def document_response(document: CaseDocument) -> Response:
    """The file's bytes (decrypted by the column type), as an attachment under the name it was kept under. werkzeug
    writes the name as RFC 6266 asks: `filename` in ASCII and, for any other name, `filename*` in UTF-8. Never
    rendered by the browser (nosniff, whatever type was stored) and never kept in a cache."""
    response = send_file(
        io.BytesIO(document.data),
        mimetype=document.content_type or "application/octet-stream",
        as_attachment=True,
        download_name=document.filename,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response
