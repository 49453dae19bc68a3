"""Decision letters in plain language: what was decided, why (each reason with the rule it rests on) and what the
traveler can do next. The same content is shown on the page and downloaded as a PDF."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from fpdf import FPDF

from trusted_traveler.casework.decisions import RESPONSE_DAYS
from trusted_traveler.casework.models import DecisionLetter
from trusted_traveler.casework.reasons import BY_CODE

TITLES = {
    "denial": "Decision on your {program} application",
    "revocation": "Your {program} membership has been revoked",
    "preliminary_ineligible": "Preliminary determination of ineligibility for {program}",
}
OPENINGS = {
    "denial": "We have decided not to approve your {program} application {reference}.",
    "revocation": "We have revoked your {program} membership. Your Known Traveler Number no longer works for "
    "{program} and you must not use it when you book flights.",
    "preliminary_ineligible": "We have found something that may make you ineligible for {program}. This is not yet "
    "a final decision.",
}


@dataclass(frozen=True)
class LetterContent:
    title: str
    date: dt.date
    to: str
    reference: str
    opening: str
    reasons: list[tuple[str, str]]  # (plain words, citation)
    note: str | None
    next_steps: list[str]


def letter_content(letter: DecisionLetter) -> LetterContent:
    application = letter.application
    program = application.program.name
    issued = letter.issued_at.date()
    steps: list[str] = []
    if letter.kind == "preliminary_ineligible":
        deadline = issued + dt.timedelta(days=RESPONSE_DAYS)
        steps.append(
            f"You have {RESPONSE_DAYS} days, until {deadline:%B %-d, %Y}, to answer. Sign in, open application "
            f'{application.reference} and choose "Respond to this determination". Send a corrected record or court '
            "documents if our records are wrong or incomplete."
        )
        steps.append(f"If we do not hear from you by {deadline:%B %-d, %Y}, this becomes a final denial.")
    else:
        steps.append(
            f'You can ask us to reconsider. Sign in, open application {application.reference} and choose "Ask us to '
            'reconsider". Say why the decision should change and attach documents that show it, such as court '
            "records (PDF), even for records that were sealed or expunged."
        )
        steps.append(
            "If you think you were confused with someone else, you can also ask the DHS Traveler Redress Inquiry "
            "Program (DHS TRIP) at www.dhs.gov/trip."
        )
        if application.program.code == "global_entry":
            steps.append(
                "You can also write to the CBP Trusted Traveler Ombudsman, P.O. Box 946, Williston, VT 05495 "
                "(8 CFR 235.12(k))."
            )
    return LetterContent(
        title=TITLES[letter.kind].format(program=program),
        date=issued,
        to=application.profile.full_name,
        reference=application.reference,
        opening=OPENINGS[letter.kind].format(program=program, reference=application.reference),
        reasons=[(BY_CODE[c].letter, BY_CODE[c].citation) for c in letter.reason_codes if c in BY_CODE],
        note=letter.note,
        next_steps=steps,
    )


def _latin1(text: str) -> str:
    """The PDF's built-in font covers Latin-1: keep accents it has, fold others (ł → l), never fail on a name."""
    out = []
    for ch in text:
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            folded = unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1")
            out.append(folded or "?")
    return "".join(out)


def render_pdf(letter: DecisionLetter) -> bytes:
    content = letter_content(letter)
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(content.title))
    pdf.set_author("Trusted Traveler 2.0")
    pdf.set_lang("en-US")
    pdf.add_page()
    pdf.set_margins(25, 25, 25)
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 5, "U.S. Department of Homeland Security - Trusted Traveler 2.0", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(content.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.ln(2)
    header = f"{content.date:%B %-d, %Y}\nTo: {content.to}\nApplication: {content.reference}"
    pdf.multi_cell(0, 6, _latin1(header), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, _latin1(content.opening), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, "Why", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for words, citation in content.reasons:
        pdf.multi_cell(0, 6, _latin1(f"- {words} ({citation})"), new_x="LMARGIN", new_y="NEXT")
    if content.note:
        pdf.ln(2)
        pdf.multi_cell(0, 6, _latin1(f"The officer adds: {content.note}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, "What you can do", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for step in content.next_steps:
        pdf.multi_cell(0, 6, _latin1(f"- {step}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
