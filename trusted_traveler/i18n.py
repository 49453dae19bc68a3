"""Languages: English (the default) and Spanish. Dates in the reader's language, and text made later, in the
language of the person who will read it (an e-mail is written in the recipient's language, not the sender's).

In English the formats are exactly the strftime ones the pages always used; in Spanish they are CLDR's (Babel)."""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_skeleton, get_timezone_location, get_timezone_name
from babel.numbers import format_decimal
from babel.support import Translations
from flask import request
from flask_babel import LazyString, get_locale, get_translations, gettext
from jinja2 import pass_context
from markupsafe import Markup
from wtforms.i18n import messages_path

from trusted_traveler.db import service_zone, utcnow

LANGUAGES = ("en", "es")

# strftime format (English) → CLDR date format or skeleton (other languages)
_DATE_FORMATS = {
    "%B %-d, %Y": "long",
    "%A, %B %-d, %Y": "full",
    "%B %-d": "MMMMd",
    "%b %-d": "MMMd",
    "%a %b %-d": "MMMEd",
    "%B %Y": "yMMMM",
    "%Y-%m-%d": "yMMdd",
}
_TIME_FORMATS = ("%-I:%M %p", "%H:%M")


def browser_language(accept_languages) -> str:
    """The first of the browser's languages, in its own order of preference, that we speak ("en" if none).
    Matched on the primary tag: werkzeug's best_match ranks an exact "en" above a preferred "es-US", so
    "es-US,en;q=0.5" got English."""
    for tag, quality in accept_languages:  # werkzeug keeps them sorted by quality, the browser's order for ties
        if quality <= 0:  # "es;q=0": not acceptable
            continue
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"


def _language():
    locale = get_locale()
    return locale if locale is not None and locale.language != "en" else None


def format_day(value: dt.date | dt.datetime | None, fmt: str = "%B %-d, %Y") -> str:
    """A date (or the date and time of a datetime) in the reader's language. A stored time (UTC) is shown in the
    service's zone, so its date is the service's day (db.service_date) and not UTC's, which in the evening in New
    York is already tomorrow; unless the format says "UTC" (" at %H:%M UTC"). A time already in another zone (a
    center's local time) keeps it, and a date is a date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.tzinfo == dt.UTC and not fmt.endswith("UTC"):
        value = value.astimezone(service_zone())
    return _format(value, fmt)


EXAMPLE_DATE = dt.date(2024, 4, 12)  # the date forms' hints and messages give as an example
# A date as a browser's date field sends it (2024-04-12), and a date in digits as numeric_date writes it
# (04/12/2024): ASCII digits only (int() would read "٢٠٢٤" as 2024).
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})")
_NUMERIC_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def numeric_date(value: dt.date) -> str:
    """A date in digits as a browser's date field shows it to a reader of this language: 04/12/2024 in English (a
    U.S. browser's mm/dd/yyyy), 12/04/2024 in Spanish (dd/mm/aaaa). A form's date hints use it."""
    locale = _language()
    return value.strftime("%m/%d/%Y") if locale is None else format_date(value, "dd/MM/yyyy", locale=locale)


def read_date(text: str) -> dt.date | None:
    """The date `text` holds, written as a browser's date field sends it (2024-04-12) or as numeric_date writes one
    for this reader (04/12/2024 in English, 12/04/2024 in Spanish), so the example a date's message gives is one
    the field accepts, where a browser without a date field has the person type it. None for anything else: a year
    of five digits (a date field lets one be typed), a day that does not exist, words."""
    text = text.strip()
    if match := _ISO_DATE.fullmatch(text):
        year, month, day = (int(part) for part in match.groups())
    elif match := _NUMERIC_DATE.fullmatch(text):
        first, second, year = (int(part) for part in match.groups())
        month, day = (first, second) if _language() is None else (second, first)
    else:
        return None
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def zone_abbreviation(value: dt.datetime | None) -> Markup:
    """The abbreviation of the service's zone at a stored (UTC) time, as format_day shows it ("EDT", "EST"), spelled
    out in the reader's language on hover ("Eastern Daylight Time", "hora de verano oriental"). A traveler has no
    zone of their own: their times are the service's, said so."""
    if value is None:
        return Markup("")
    local = value.astimezone(service_zone())
    title = get_timezone_name(local, "long", locale=_language() or "en_US")
    return Markup('<abbr title="{}">{}</abbr>').format(title, local.tzname())


def zone_name(zone: ZoneInfo | str, locale: str | None = None, *, at: dt.datetime | None = None) -> str:
    """A time zone's generic name in the reader's language ("Central Time", "hora central"), for pages that say in
    which zone their times are. A zone that has none in CLDR is named by its place ("United States (Honolulu)
    Time"), where its name at this moment (`at`, default now) is better known ("Hawaii Time"): such zones keep one
    time all year, so that name does not change."""
    zone = ZoneInfo(zone) if isinstance(zone, str) else zone
    locale = locale or _language() or "en_US"
    generic = get_timezone_name(zone, "long", locale=locale)
    if generic != get_timezone_location(zone, locale=locale):
        return generic
    return get_timezone_name((at or utcnow()).astimezone(zone), "long", locale=locale)


def _format(value: dt.date | dt.datetime, fmt: str) -> str:
    """`value` in `fmt`, in its own zone, in the reader's language."""
    locale = _language()
    if locale is None:
        return value.strftime(fmt)
    if fmt in _TIME_FORMATS:
        return format_skeleton("Hm", value, locale=locale)
    if fmt.endswith((" at %H:%M UTC", " at %-I:%M %p")):
        day = _format(value, fmt.split(" at ")[0])
        return gettext("%(date)s at %(time)s", date=day, time=format_skeleton("Hm", value, locale=locale)) + (
            " UTC" if fmt.endswith("UTC") else ""
        )
    if fmt.endswith(", %-I:%M %p"):
        return f"{_format(value, fmt.rsplit(', ', 1)[0])}, {format_skeleton('Hm', value, locale=locale)}"
    pattern = _DATE_FORMATS.get(fmt, "long")
    day = value.date() if isinstance(value, dt.datetime) else value
    if pattern in ("long", "full"):
        return format_date(day, pattern, locale=locale)
    return format_skeleton(pattern, day, locale=locale)


def format_count(number: int) -> str:
    """A whole number in the reader's language, its thousands grouped ("4,000"; "4.000" in Spanish), as app.js's
    character count writes its numbers too."""
    return format_decimal(number, "#,##0", locale=_language() or "en")


def format_size(size: int) -> Markup:
    """A file's size in the reader's language: whole kilobytes below a thousand, rounded up (a small file is 1 KB,
    never 0), else megabytes to one decimal ("120 KB", "1.5 MB"; "1,5 MB" in Spanish); the unit is an <abbr> that
    spells it out. A kilobyte is 1,024 bytes, as the upload limits count them."""
    kilobytes = math.ceil(size / 1024)
    if kilobytes < 1000:
        return Markup('{} <abbr title="{}">KB</abbr>').format(kilobytes, gettext("kilobytes"))
    megabytes = format_decimal(size / 1024 / 1024, "0.0", locale=_language() or "en")
    return Markup('{} <abbr title="{}">MB</abbr>').format(megabytes, gettext("megabytes"))


def later(func, *args, **kwargs) -> LazyString:
    """`func(*args)` made when the text is read, so in the reader's language (see notifications.service.notify)."""
    return LazyString(func, *args, **kwargs)


def template_translations() -> dict:
    """A context processor: the templates' `gettext` (`_`) and `ngettext` for one rendering, bound once to the
    reader's translations. Flask-Babel's own, which stay in the environment for templates rendered without Flask's
    context (imported macros), find the locale and catalog again on every call: about a third of rendering a page.
    Newstyle, as Jinja's i18n extension makes them: the result is Markup when autoescaping, and always formatted."""
    translations = get_translations()

    @pass_context
    def template_gettext(context, string: str, **variables) -> str:
        text = translations.ugettext(string)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 - our own catalog; the variables are escaped by %

    @pass_context
    def template_ngettext(context, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        text = translations.ungettext(singular, plural, num)
        return (Markup(text) if context.eval_ctx.autoescape else text) % variables  # noqa: S704 - our own catalog; the variables are escaped by %

    return {"gettext": template_gettext, "ngettext": template_ngettext}


@functools.cache
def _wtforms_catalog(language: str) -> Translations:
    return Translations.load(messages_path(), [language], domain="wtforms")


class WTFormsTranslations:
    """WTForms' own messages ("Este campo es obligatorio.") in the reader's language, each language's catalog read
    from disk once a process. Flask-WTF reads the catalog afresh for every request whose form says anything (0.8 ms
    of a queue page), unless the request already holds one as `request.wtforms_translations`, which
    `hold_wtforms_translations` gives every request."""

    def ugettext(self, string: str) -> str:
        return _wtforms_catalog(str(get_locale())).ugettext(string)

    def ungettext(self, singular: str, plural: str, n: int) -> str:
        return _wtforms_catalog(str(get_locale())).ungettext(singular, plural, n)


WTFORMS_TRANSLATIONS = WTFormsTranslations()


def hold_wtforms_translations() -> None:
    """A before-request hook: the request's WTForms translations, where Flask-WTF looks for them first."""
    request.wtforms_translations = WTFORMS_TRANSLATIONS
