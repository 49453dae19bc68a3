"""Text someone wrote on several lines, shown as they wrote it: a notification's body, an officer's request for
information or explanation in a letter, a center's notes. Put in one <p>, its line breaks showed as spaces and its
paragraphs ran into one; the template filter `paragraphs` (registered by create_app) makes each paragraph a <p> and
each other line break a <br>, every character of the text escaped."""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Any line break (a text area sends CR LF; pasted text may hold CR, U+2028 and the others) is one "\n"; a paragraph
# ends at a blank line (one of spaces at most) or at U+2029, Unicode's paragraph separator.
LINE_BREAK = re.compile(r"\r\n|[\n\r\x0b\x0c\x85\u2028]")
PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n|\u2029")


def paragraphs(text, css_class: str | None = None) -> Markup:
    """`text`'s paragraphs as <p> elements (with `css_class`, when given), the lines of each joined by <br>. The text
    is escaped first (text already Markup, such as a translated sentence with the text in it, is not escaped twice);
    nothing of it becomes markup. No text, or only blanks, is no paragraph."""
    if not text:
        return Markup("")
    html = LINE_BREAK.sub("\n", str(escape(text)))
    attributes = f' class="{escape(css_class)}"' if css_class else ""
    found = [part.strip() for part in PARAGRAPH_BREAK.split(html)]
    return Markup(  # noqa: S704 - the text was escaped above; only <p> and <br> are added
        "".join(f"<p{attributes}>{'<br>'.join(part.splitlines())}</p>" for part in found if part)
    )
