"""One rule for every text field of every form: no control characters. And for every request: no NUL.

Typed text never needs them (a tab and line breaks excepted, which a text area may hold), PostgreSQL cannot store NUL
at all, and the others hide text from the person reading it. So every `StringField` (and its kinds: text areas,
hidden fields, e-mail and month fields) refuses them after its own validators, with a message beside the field,
instead of a database error or a silent clean-up. Installed once by create_app; tests/test_hostile_input.py proves it.

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

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls except tab, LF, CR
MESSAGE = _l("Remove the hidden control characters from this answer (they can come from copying and pasting).")

_original_post_validate = StringField.post_validate


def _refuse_control_characters(self, form, validation_stopped) -> None:
    """After the field's own validators: a field that already says what is wrong (say, "cannot be searched for")
    keeps its own message; otherwise this one."""
    _original_post_validate(self, form, validation_stopped)
    if not self.errors and isinstance(self.data, str) and CONTROL_CHARACTERS.search(self.data):
        raise ValidationError(MESSAGE)


def install() -> None:
    """Idempotent: every app built in the process shares the rule."""
    StringField.post_validate = _refuse_control_characters


def refuse_nul(app: Flask) -> None:
    @app.before_request
    def _refuse_nul():
        if any(isinstance(part, str) and "\x00" in part for part in (request.view_args or {}).values()):
            abort(404)  # no reference, code or name holds NUL: no such page
