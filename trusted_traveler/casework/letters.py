"""Decision letters in plain language: what was decided, why (each reason with the rule it rests on) and what the
traveler can do next. The same content is shown on the page and downloaded as a PDF."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass

from flask_babel import force_locale, gettext
from fpdf import FPDF

from trusted_traveler.casework.decisions import RESPONSE_DAYS
from trusted_traveler.casework.models import DecisionLetter
from trusted_traveler.casework.reasons import BY_CODE
from trusted_traveler.db import service_date
from trusted_traveler.i18n import format_day


def N_(message: str) -> str:
    """Marks a string for translation; letter_content translates it into the letter's language."""
    return message


TITLES = {
    "denial": N_("Decision on your %(program)s application"),
    "revocation": N_("Your %(program)s membership has been revoked"),
    "preliminary_ineligible": N_("Preliminary determination of ineligibility for %(program)s"),
}
OPENINGS = {
    "denial": N_("We have decided not to approve your %(program)s application %(reference)s."),
    "revocation": N_(
        "We have revoked your %(program)s membership. Your Known Traveler Number no longer works for "
        "%(program)s and you must not use it when you book flights."
    ),
    "preliminary_ineligible": N_(
        "We have found something that may make you ineligible for %(program)s. This is not yet a final decision."
    ),
}


@dataclass(frozen=True)
class LetterContent:
    title: str
    date: dt.date
    date_text: str
    to: str
    reference: str
    opening: str
    reasons: list[tuple[str, str]]  # (plain words, citation)
    note: str | None
    next_steps: list[str]


def letter_content(letter: DecisionLetter, language: str = "en") -> LetterContent:
    """The letter in `language` ("en" or "es"; the traveler's preferred language on their pages)."""
    with force_locale(language if language in ("en", "es") else "en"):
        return _content(letter)


def _content(letter: DecisionLetter) -> LetterContent:
    application = letter.application
    program = application.program.name
    issued = service_date(letter.issued_at)  # the service's day it was sent, as response_deadline counts from
    steps: list[str] = []
    if letter.kind == "preliminary_ineligible":
        deadline = issued + dt.timedelta(days=RESPONSE_DAYS)
        steps.append(
            gettext(
                "You have %(days)s days, until %(date)s, to answer. Sign in, open application %(reference)s and "
                'choose "Respond to this determination". Send a corrected record or court documents if our records '
                "are wrong or incomplete.",
                days=RESPONSE_DAYS,
                date=format_day(deadline),
                reference=application.reference,
            )
        )
        steps.append(
            gettext("If we do not hear from you by %(date)s, this becomes a final denial.", date=format_day(deadline))
        )
    else:
        steps.append(
            gettext(
                'You can ask us to reconsider. Sign in, open application %(reference)s and choose "Ask us to '
                'reconsider". Say why the decision should change and attach documents that show it, such as court '
                "records (PDF), even for records that were sealed or expunged.",
                reference=application.reference,
            )
        )
        steps.append(
            gettext(
                "If you think you were confused with someone else, you can also ask the DHS Traveler Redress Inquiry "
                "Program (DHS TRIP) at www.dhs.gov/trip."
            )
        )
        if application.program.code == "global_entry":
            steps.append(
                gettext(
                    "You can also write to the CBP Trusted Traveler Ombudsman, P.O. Box 946, Williston, VT 05495 "
                    "(8 CFR 235.12(k))."
                )
            )
    return LetterContent(
        title=gettext(TITLES[letter.kind], program=program),
        date=issued,
        date_text=format_day(issued),
        to=application.profile.full_name,
        reference=application.reference,
        opening=gettext(OPENINGS[letter.kind], program=program, reference=application.reference),
        reasons=[
            (gettext(BY_CODE[c].letter), BY_CODE[c].citations.get(application.program.code, BY_CODE[c].citation))
            for c in letter.reason_codes
            if c in BY_CODE
        ],
        note=letter.note,
        next_steps=steps,
    )


# Characters the PDF's built-in font (Latin-1) lacks that have a plain equivalent: typographic quotes, dashes,
# ellipsis, spaces of other widths, and letters Unicode does not decompose (ł is not l plus a mark).
_PLAIN = str.maketrans(
    {
        **dict.fromkeys("\u2018\u2019\u201a\u201b\u2032\u02bc", "'"),
        **dict.fromkeys("\u201c\u201d\u201e\u201f\u2033", '"'),
        **dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2015\u2212\u2043", "-"),
        **dict.fromkeys("\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f", " "),
        **dict.fromkeys("\u200b\u200c\u200d\u2060\ufeff", ""),  # zero-width: nothing to show
        "\u2026": "...",
        "\u2022": "-",
        "\u2039": "<",
        "\u203a": ">",
        "\u20ac": "EUR",
        "\u2122": "(TM)",
        "\u0142": "l",
        "\u0141": "L",
        "\u0111": "d",
        "\u0110": "D",
        "\u0127": "h",
        "\u0126": "H",
        "\u0131": "i",
        "\u0153": "oe",
        "\u0152": "OE",
    }
)


def _latin1(text: str) -> str:
    """The PDF's built-in font covers Latin-1: keep what it has (accents, the no-break space), write typographic
    punctuation plainly (’ → ', “ ” → ", – — → -, … → ...), fold other letters (ł → l, ﬁ → fi), and leave out what
    has no plain form (an emoji): never a "?" in the middle of a word, never a failure on a name. The HTML letter
    shows the text as written."""
    out = []
    for ch in text.translate(_PLAIN):
        try:
            ch.encode("latin-1")
            out.append(ch)
        except UnicodeEncodeError:
            out.append(unicodedata.normalize("NFKD", ch).encode("latin-1", "ignore").decode("latin-1"))
    return "".join(out)


def render_pdf(letter: DecisionLetter, language: str = "en") -> bytes:
    content = letter_content(letter, language)
    with force_locale(language if language in ("en", "es") else "en"):
        return _pdf(content, language)


def _pdf(content: LetterContent, language: str) -> bytes:
    pdf = FPDF(format="Letter")
    pdf.set_title(_latin1(content.title))
    pdf.set_author("Trusted Traveler 2.0")
    pdf.set_lang("es-US" if language == "es" else "en-US")
    pdf.add_page()
    pdf.set_margins(25, 25, 25)
    pdf.set_font("Helvetica", size=9)
    agency = gettext("U.S. Department of Homeland Security")
    pdf.multi_cell(0, 5, _latin1(f"{agency} - Trusted Traveler 2.0"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin1(content.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.ln(2)
    header = "\n".join(
        (content.date_text, gettext("To") + f": {content.to}", gettext("Application") + f": {content.reference}")
    )
    pdf.multi_cell(0, 6, _latin1(header), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.multi_cell(0, 6, _latin1(content.opening), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, _latin1(gettext("Why")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for words, citation in content.reasons:
        pdf.multi_cell(0, 6, _latin1(f"- {words} ({citation})"), new_x="LMARGIN", new_y="NEXT")
    if content.note:
        pdf.ln(2)
        pdf.multi_cell(
            0, 6, _latin1(gettext("The officer adds: %(note)s", note=content.note)), new_x="LMARGIN", new_y="NEXT"
        )
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    pdf.multi_cell(0, 7, _latin1(gettext("What you can do")), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    for step in content.next_steps:
        pdf.multi_cell(0, 6, _latin1(f"- {step}"), new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    return bytes(pdf.output())
