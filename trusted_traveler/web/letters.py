"""A decision letter as a PDF download (the officer's and the traveler's pages both offer it)."""

from __future__ import annotations

from flask import Response

from trusted_traveler.casework.letters import letter_content, render_pdf


def letter_response(letter, language: str = "en") -> Response:
    """The PDF in `language` (the traveler's page passes theirs; the officer's page keeps English)."""
    content = letter_content(letter)
    return Response(
        render_pdf(letter, language),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'inline; filename="{content.reference}-{letter.kind}-{letter.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )
