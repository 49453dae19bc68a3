"""The filters of the soonest-openings page: read from the query string, so no CSRF token."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from trusted_traveler.web.forms import SelectField


class AvailabilityFilterForm(FlaskForm):
    class Meta:
        csrf = False

    program = SelectField(_l("Program"), default="")
    state = SelectField(_l("State or province"), default="")
