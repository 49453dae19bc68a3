"""The `paragraphs` filter (web/paragraphs.py): text written on several lines is shown with its paragraphs and line
breaks, and none of it is ever markup."""

from __future__ import annotations

import pytest
from markupsafe import Markup

from trusted_traveler.web.paragraphs import paragraphs


def test_a_blank_line_starts_a_paragraph_and_a_single_line_break_is_a_br():
    assert (
        paragraphs("Dear Ana,\nthank you.\n\nSend the record.")
        == "<p>Dear Ana,<br>thank you.</p><p>Send the record.</p>"
    )


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("One\r\ntwo\r\n\r\nThree", "<p>One<br>two</p><p>Three</p>"),  # a text area's line breaks
        ("One\rtwo", "<p>One<br>two</p>"),
        ("One\u2028two\u2029Three", "<p>One<br>two</p><p>Three</p>"),  # Unicode's line and paragraph separators
        ("One\n  \t \nTwo", "<p>One</p><p>Two</p>"),  # a line of blanks is a blank line
        ("\n\nOne\n\n\n\nTwo\n\n", "<p>One</p><p>Two</p>"),  # blank lines around and between make no empty paragraph
        ("Just one line.", "<p>Just one line.</p>"),
    ],
)
def test_every_kind_of_line_break_is_understood(text, html):
    assert paragraphs(text) == html


def test_the_text_is_escaped_and_only_p_and_br_are_markup():
    html = paragraphs('<script>alert("x")</script>\n\n<b onmouseover=alert(1)>&amp;</b>')
    assert html == (
        "<p>&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;</p><p>&lt;b onmouseover=alert(1)&gt;&amp;amp;&lt;/b&gt;</p>"
    )
    assert isinstance(html, Markup)


def test_text_already_escaped_is_not_escaped_twice():
    """A translated sentence with the text in it ("What to bring: …") is Markup with the text escaped once."""
    sentence = Markup("What to bring: %s") % "Passport & <ID>\nA pen"
    assert paragraphs(sentence) == "<p>What to bring: Passport &amp; &lt;ID&gt;<br>A pen</p>"


def test_each_paragraph_can_carry_a_class():
    assert paragraphs("One\n\nTwo", "usa-collection__description") == (
        '<p class="usa-collection__description">One</p><p class="usa-collection__description">Two</p>'
    )


@pytest.mark.parametrize("text", [None, "", "  \n \r\n\t"])
def test_no_text_is_no_paragraph(text):
    assert paragraphs(text) == ""
