"""Forms for administrators: enrollment centers, their weekly hours and closures."""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FloatField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional, ValidationError

from trusted_traveler.scheduling.centers import long_day
from trusted_traveler.web.forms import AtMost, CheckboxesField, FieldList, SelectField, WholeNumberField, choices
from trusted_traveler.web.input_guard import refusal

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class CoordinateField(FloatField):
    """A latitude or longitude in decimal degrees, optional; not a number, or outside ±`bound`, says how to write it.
    Travelers' ZIP code searches sort centers by them: a center without them is listed last."""

    def __init__(self, label: str, *, bound: int, example: str, **kwargs):
        self.how = f"Enter a number of degrees between -{bound} and {bound}, like {example}."
        super().__init__(label, validators=[Optional()], description=f"Decimal degrees, like {example}.", **kwargs)
        self.bound = bound

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError as exc:
            raise ValueError(self.how) from exc

    def pre_validate(self, form):
        if self.data is not None and not (math.isfinite(self.data) and -self.bound <= self.data <= self.bound):
            raise ValidationError(self.how)


class CenterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired("Enter the center's name."), AtMost(200)])
    short_name = StringField("Short name", validators=[DataRequired("Enter a short name."), AtMost(100)])
    location_type = SelectField(
        "Type",
        choices=choices(
            [("AIR", "Airport"), ("LND", "Land port or urban office"), ("TSA", "TSA PreCheck enrollment site")]
        ),
    )
    address = StringField("Address", validators=[DataRequired("Enter the address."), AtMost(300)])
    address_additional = StringField("More address (optional)", validators=[Optional(), AtMost(300)])
    city = StringField("City", validators=[DataRequired("Enter the city."), AtMost(100)])
    state = StringField("State or province", validators=[DataRequired("Enter the state or province."), AtMost(10)])
    postal_code = StringField("ZIP or postal code", validators=[DataRequired("Enter the postal code."), AtMost(20)])
    country_code = SelectField("Country", choices=choices([("US", "United States"), ("CA", "Canada")]))
    tz_name = StringField("Time zone (IANA)", validators=[DataRequired("Enter the time zone, like America/Chicago.")])
    phone_number = StringField("Phone (optional)", validators=[Optional(), AtMost(20)])
    latitude = CoordinateField("Latitude (for “nearest first” by ZIP code)", bound=90, example="38.8871")
    longitude = CoordinateField("Longitude", bound=180, example="-77.0932")
    notes = TextAreaField("Notes for travelers (what to bring, walk-ins)", validators=[Optional(), AtMost(4000)])
    directions = TextAreaField("Directions (optional)", validators=[Optional(), AtMost(2000)])
    service_ids = CheckboxesField("Services", coerce=int)
    operational = BooleanField("Operational (taking appointments)")
    temporary = BooleanField("Temporary")
    invite_only = BooleanField("By invitation only")
    enrollment_on_arrival = BooleanField("Enrollment on Arrival airport")
    min_notice_hours = IntegerField(
        "Book at least this many hours ahead",
        validators=[InputRequired("Enter a number of hours."), NumberRange(0, 720)],
    )
    cancel_cutoff_hours = IntegerField(
        "Online changes close this many hours before",
        validators=[InputRequired("Enter a number of hours."), NumberRange(0, 720)],
    )
    max_reschedules = IntegerField(
        "Most times an appointment can be moved online",
        validators=[InputRequired("Enter a number."), NumberRange(0, 20)],
    )

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        coordinates = (self.latitude, self.longitude)
        if not any(c.errors for c in coordinates) and (self.latitude.data is None) != (self.longitude.data is None):
            missing = self.latitude if self.latitude.data is None else self.longitude
            missing.errors = [*missing.errors, "Enter both the latitude and the longitude, or neither."]
            return False
        return valid

    def validate_tz_name(self, field):
        if (field.data or "").strip() not in zoneinfo.available_timezones():
            raise ValidationError("That is not a time zone name. Use one like America/Chicago or America/Phoenix.")
        field.data = field.data.strip()


def _time(value: str) -> dt.time | None:
    """A wall-clock time in the center's own zone; one with a UTC offset ("08:00Z") is not one."""
    try:
        parsed = dt.time.fromisoformat(value.strip()) if value and value.strip() else None
    except ValueError:
        return None
    return parsed if parsed is None or parsed.tzinfo is None else None


class DayHoursForm(Form):
    """One weekday's row of the weekly hours. Its messages say what is wrong with the field they are beside; HoursForm
    then names the day and the field in front of each (DAY_FIELDS)."""

    weekday = HiddenField()
    opens_at = StringField("Opens (HH:MM)")
    closes_at = StringField("Closes (HH:MM)")
    slot_minutes = WholeNumberField(
        "Minutes per slot", 5, 240, message="Enter a whole number of minutes from 5 to 240.", required=None
    )
    seats = WholeNumberField(
        "Seats per slot", 1, 100, message="Enter a whole number of seats from 1 to 100.", required=None
    )

    def validate_opens_at(self, field):
        """An opening time that is no time is said beside the opening time (it was said on the closing time); one
        with a line break gets input_guard's message about that instead. A missing one is said beside it too."""
        text = field.data or ""
        if field.errors or refusal(text, one_line=True) is not None:
            return
        if not text.strip() and (self.closes_at.data or "").strip():
            raise ValidationError("Enter the opening time too, or leave both times empty to close the day.")
        if text.strip() and _time(text) is None:
            raise ValidationError("Enter a time as HH:MM, like 08:00.")

    def validate_closes_at(self, field):
        text = field.data or ""
        opens, closes = _time(self.opens_at.data), _time(text)
        if not text.strip():
            if (self.opens_at.data or "").strip():
                raise ValidationError("Enter the closing time too, or leave both times empty to close the day.")
            return
        if closes is None:
            raise ValidationError("Enter a time as HH:MM, like 16:00.")
        if opens and closes <= opens:
            raise ValidationError(f"Make it later than the opening time, {opens.strftime('%H:%M')}.")


# What each field of a day's row is called in its messages ("Tuesday, closing time: …"): the page shows the day
# once for a whole row, so a message alone, in the error summary or read out beside its field, would not say which.
DAY_FIELDS = {
    "opens_at": "opening time",
    "closes_at": "closing time",
    "slot_minutes": "minutes per slot",
    "seats": "seats per slot",
}


class DayField(DateField):
    """A date; left empty it is only missing (InputRequired says so), not also "not a date"."""

    def process_formdata(self, valuelist):
        if valuelist and not "".join(valuelist).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


class HoursForm(FlaskForm):
    """A center's new weekly hours and the day they take effect from. The page sets `earliest` and `latest` (the
    center's today and a year on) before validating; the save also carries `hours_version`, the version of the hours
    its preview read."""

    days = FieldList(FormField(DayHoursForm), min_entries=7, max_entries=7, names_its_rows=True)
    effective_from = DayField(
        "New hours take effect from",
        validators=[InputRequired("Enter the day the new hours take effect from.")],
        invalid_value_message="Enter the day as a date, like 2026-09-01.",
    )
    hours_version = HiddenField()
    earliest: dt.date | None = None
    latest: dt.date | None = None

    def validate_effective_from(self, field):
        if field.data is None:
            return
        if self.earliest and field.data < self.earliest:
            raise ValidationError(
                f"New hours cannot start in the past. Choose today ({long_day(self.earliest)}) or a later day."
            )
        if self.latest and field.data > self.latest:
            raise ValidationError(f"Choose a day within a year: {long_day(self.latest)} at the latest.")

    def validate(self, extra_validators=None) -> bool:
        """Each day's message names its day and field, beside the field and in the error summary alike (the summary
        then adds nothing in front: the list's `names_its_rows`)."""
        valid = super().validate(extra_validators)
        for day, entry in zip(WEEKDAYS, self.days.entries, strict=False):
            for name, what in DAY_FIELDS.items():
                errors = entry.form[name].errors
                errors[:] = [f"{day}, {what}: {message}" for message in errors]  # in place: form.errors holds them
        return valid

    def validate_days(self, field):
        # the rows are Monday to Sunday, each naming its day: another day there would move or drop a day's hours
        if [entry.weekday.data for entry in field.entries] != [str(d) for d in range(7)]:
            raise ValidationError(
                "The days of the week were changed on the way. Reload the page and enter the hours again."
            )

    def rows(self) -> list[dict]:
        out = []
        for entry in self.days:
            opens, closes = _time(entry.opens_at.data), _time(entry.closes_at.data)
            if opens and closes:
                out.append(
                    {
                        "weekday": int(entry.weekday.data),
                        "opens_at": opens,
                        "closes_at": closes,
                        "slot_minutes": entry.slot_minutes.data or 15,
                        "seats": entry.seats.data or 1,
                    }
                )
        return out


def weekday_rows(templates) -> dict:
    by_day = {t.weekday: t for t in templates}
    return {
        "days": [
            {
                "weekday": d,
                "opens_at": by_day[d].opens_at.strftime("%H:%M") if d in by_day else "",
                "closes_at": by_day[d].closes_at.strftime("%H:%M") if d in by_day else "",
                "slot_minutes": by_day[d].slot_minutes if d in by_day else 15,
                "seats": by_day[d].seats if d in by_day else 1,
            }
            for d in range(7)
        ]
    }


class ClosureForm(FlaskForm):
    starts_on = DateField("First day closed", validators=[InputRequired("Enter the first day.")])
    ends_on = DateField("Last day closed", validators=[InputRequired("Enter the last day.")])
    reason = StringField("Reason (travelers see it)", validators=[DataRequired("Give a reason."), AtMost(200)])


class WithdrawHoursForm(FlaskForm):
    """The hours history's "Withdraw" button: the first day of the change not started yet."""

    starts_on = DateField("First day of the change", validators=[InputRequired()])
