"""Plain language: no unexplained acronyms. In each traveler-facing template, every acronym in the text a reader sees
(the translatable strings and the raw text between tags) is explained in that template: its expansion is in the
template's text, or it is wrapped in <abbr title="…">. Only program names and a few everyday terms are allowed as
they are, each with its reason below."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.test_plain_language import STAFF_ONLY, STAFF_TEMPLATES, TEMPLATES, traveler_templates

ACRONYM = re.compile(r"(?<![\w.-])[A-Z][A-Z0-9]*[A-Z][A-Z0-9]*(?![\w])")  # two or more capitals: CBP, PASSID
STRING = re.compile(r"""_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
ABBR = re.compile(r"""<abbr\s+title=\\?(["'])(?P<title>.+?)\\?\1\s*>\s*(?P<acronym>[A-Z][A-Z0-9]+)\s*</abbr>""")

# Allowed unexplained, kept short: the names of things, and terms plainer than their expansion.
ALLOWED_PHRASES = (
    "TSA PreCheck",  # the program's name, as TSA itself writes it everywhere
    "NEXUS",  # a program's name (U.S. and Canada), not an abbreviation: CBP writes it so
    "Visit USA.gov",  # the name of the government's website, in the standard USWDS identifier
    "Secure .gov websites use HTTPS",  # the standard USWDS banner text, word for word
)
# What spells an acronym out in plain words, when the text does so instead of an <abbr> (matched ignoring case).
EXPANSIONS = {
    "API": ("application programming interface",),
    "CBP": ("Customs and Border Protection",),
    "CSV": ("comma-separated values",),
    "DHS": ("Department of Homeland Security",),
    "JSON": ("JavaScript Object Notation",),
    "OMB": ("Office of Management and Budget",),
    "PDF": ("Portable Document Format",),
    "UTC": ("Coordinated Universal Time",),
}


def visible_text(source: str) -> str:
    """The translatable strings and the raw text between tags; Jinja code, comments, scripts and tag attributes
    (except what the strings hold) are left out."""
    source = re.sub(r"\{#.*?#\}", " ", source, flags=re.S)
    strings = [a or b for a, b in STRING.findall(source)]
    raw = re.sub(r"<(script|style)\b.*?</\1>", " ", source, flags=re.S)
    raw = re.sub(r"\{\{.*?\}\}|\{%.*?%\}", " ", raw, flags=re.S)
    raw = re.sub(r"<[^>]*>", " ", raw)
    return " ".join([*strings, raw])


def unexplained(source: str) -> set[str]:
    abbreviated = {m["acronym"] for m in ABBR.finditer(source) if m["title"].strip()}
    text = visible_text(source)
    for phrase in ALLOWED_PHRASES:
        text = text.replace(phrase, " ")
    words = " ".join(re.sub(r"<[^>]*>", " ", text).split()).casefold()
    return {
        acronym
        for acronym in set(ACRONYM.findall(re.sub(r"<[^>]*>", " ", text)))
        if acronym not in abbreviated
        and not any(expansion.casefold() in words for expansion in EXPANSIONS.get(acronym, ()))
    }


def test_the_check_finds_an_acronym_and_accepts_an_abbr_or_an_expansion():
    assert unexplained('<p>{{ _("An interview with a CBP officer.") }}</p>') == {"CBP"}
    assert unexplained('<p>{{ _("Send a PDF or a KTN.") }}</p>') == {"PDF", "KTN"}
    assert not unexplained('{{ _("An interview with a <abbr title=\\"U.S. Customs\\">CBP</abbr> officer.") }}')
    assert not unexplained("<p>Times are in Coordinated Universal Time (UTC).</p>")
    assert unexplained('<abbr title="">CBP</abbr>') == {"CBP"}
    assert not unexplained("{# CBP in a comment #}<p>{{ _('TSA PreCheck') }} {{ url_for('API') }}</p>")
    assert unexplained("<p>TSA</p>") == {"TSA"}  # the agency alone is not the program's name


@pytest.mark.parametrize("template", traveler_templates(), ids=lambda p: str(p.relative_to(TEMPLATES)))
def test_every_acronym_a_traveler_reads_is_explained(template: Path):
    assert template.relative_to(TEMPLATES).parts[0] not in STAFF_ONLY
    assert str(template.relative_to(TEMPLATES)) not in STAFF_TEMPLATES
    missing = unexplained(template.read_text())
    assert not missing, (
        f'{template.relative_to(TEMPLATES)}: explain {sorted(missing)} — write <abbr title="expansion">X</abbr> '
        "(inside the _() string, with its title translated in the Spanish catalog) or spell it out in the text"
    )
