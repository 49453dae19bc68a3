"""One rule for every text field of every form: no control characters (a text area may hold a tab and line breaks, a
field of one line neither). And for every request: no NUL.

Typed text never needs them (a tab and line breaks excepted, which a text area may hold), PostgreSQL cannot store NUL
at all, and the others hide text from the person reading it. So every `StringField` (and its kinds: text areas,
hidden fields, e-mail and month fields) refuses them after its own validators, with a message beside the field,
instead of a database error or a silent clean-up. A field of one line (any but a text area) refuses a tab and a line
break too, U+2028 and U+2029 included: nobody types one in an <input>, but a paste or a crafted post can hold one,
and a center's name, a closure's reason or a rule's citation with a line break would be copied as it is into the
letters, e-mails and spreadsheets that show it. The check reads the answer after the field's filters: a trimmed
answer's pasted trailing newline is gone, and a name's words are one space apart (web.forms.single_spaces).
Installed once by create_app; tests/test_hostile_input.py and tests/test_single_line_fields.py prove it.

A page address meets a second rule: a NUL in any part of its path (`/applications/TT2-%00...`) is "not found" before
the view runs. PostgreSQL cannot compare text holding NUL, so such a reference reaching a query was an error page.
Values read from a link's parameters outside WTForms are checked where they are read (a payment token, the
confirmation page's references; ids through web.routing.row_id).
"""

from __future__ import annotations

import re

from flask import Flask, abort, request
from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import ValidationError
from wtforms.widgets import TextArea

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls except tab, LF, CR
ONE_LINE_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # the tab too
# Unicode's mandatory line breaks (UAX #14): LF, CR, vertical tab, form feed, NEL, line and paragraph separators.
LINE_BREAKS = re.compile(r"[\n\r\x0b\x0c\x85\u2028\u2029]")
MESSAGE = _l("Remove the hidden control characters from this answer (they can come from copying and pasting).")
ONE_LINE_MESSAGE = _l("Write this answer on one line: remove the line breaks (they can come from copying and pasting).")

_original_post_validate = StringField.post_validate


def refusal(text: str, *, one_line: bool):
    """The message refusing `text` as the answer in a field of one line (`one_line`) or a text area, or None."""
    if one_line and LINE_BREAKS.search(text):
        return ONE_LINE_MESSAGE
    if (ONE_LINE_CONTROL_CHARACTERS if one_line else CONTROL_CHARACTERS).search(text):
        return MESSAGE
    return None


def _refuse_control_characters(self, form, validation_stopped) -> None:
    """After the field's own validators: a field that already says what is wrong (say, "cannot be searched for")
    keeps its own message; otherwise this one. A field of one line is any but one shown as a text area."""
    _original_post_validate(self, form, validation_stopped)
    if not self.errors and isinstance(self.data, str):
        message = refusal(self.data, one_line=not isinstance(self.widget, TextArea))
        if message:
            raise ValidationError(message)


def install() -> None:
    """Idempotent: every app built in the process shares the rule."""
    StringField.post_validate = _refuse_control_characters


def refuse_nul(app: Flask) -> None:
    @app.before_request
    def _refuse_nul():
        if any(isinstance(part, str) and "\x00" in part for part in (request.view_args or {}).values()):
            abort(404)  # no reference, code or name holds NUL: no such page
