"""One rule for every text field of every form: no control characters.

Typed text never needs them (a tab and line breaks excepted, which a text area may hold), PostgreSQL cannot store NUL
at all, and the others hide text from the person reading it. So every `StringField` (and its kinds: text areas,
hidden fields, e-mail and month fields) refuses them before its own validators run, with a message beside the field,
instead of a database error or a silent clean-up. Installed once by create_app; tests/test_hostile_input.py proves it.
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms import StringField
from wtforms.validators import StopValidation

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")  # C0 and C1 controls except tab, LF, CR
MESSAGE = _l("Remove the hidden control characters from this answer (they can come from copying and pasting).")

_original_pre_validate = StringField.pre_validate


def _refuse_control_characters(self, form) -> None:
    if isinstance(self.data, str) and CONTROL_CHARACTERS.search(self.data):
        raise StopValidation(MESSAGE)
    _original_pre_validate(self, form)


def install() -> None:
    """Idempotent: every app built in the process shares the rule."""
    StringField.pre_validate = _refuse_control_characters
