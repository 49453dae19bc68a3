"""A draft's settings form: every error names what it is about, in the error summary and beside the field (the
value's by the setting chosen: "Age of majority: …"), keeps everything typed, and no value is a server error."""

from __future__ import annotations

import html as markup
import re

import pytest

from tests.test_rules_console import _draft_label, act
from tests.test_rules_console_settings_and_labels import SOURCE, _ge_draft_label, _proposed

PRECHECK_KEYS = ("fee_new", "fee_renewal", "validity_years", "renewal_window_days", "age_of_majority")
GE_KEYS = ("fee_minor_with_member_parent", "grace_period_days", "partner_countries")


def _post(client, label: str, key: str, value: str, reference: str = SOURCE):
    response = act(client, label, "parameters", {"key": key, "value": value, "reference": reference})
    return response.status_code, markup.unescape(response.get_data(as_text=True))


def _summary(page: str) -> list[tuple[str, str]]:
    """The error summary's links: (field id, message)."""
    box = page[page.index("data-error-summary") :]
    box = box[: box.index("</ul>")]
    return re.findall(r'<a class="usa-link" href="#([^"]+)">([^<]*)</a>', box)


def _beside(page: str, field: str) -> list[str]:
    return re.findall(rf'<span class="usa-error-message" id="{field}-error">([^<]*)</span>', page)


def _name(key: str) -> str:
    return key.replace("_", " ").capitalize()


@pytest.mark.parametrize("key", PRECHECK_KEYS + GE_KEYS)
def test_a_value_that_is_no_value_of_the_setting_is_said_with_the_settings_name(app, client, two_leads, key):
    label = _ge_draft_label(client) if key in GE_KEYS else _draft_label(client)
    typed = "abc" if key != "partner_countries" else "abc, 12"
    status, page = _post(client, label, key, typed)
    assert status == 400
    (field, message), *more = _summary(page)
    assert not more and field == "value"
    assert message.startswith(f"{_name(key)}: "), message
    assert _beside(page, "value") == [message]
    assert f'value="{typed}"' in page and f'value="{SOURCE}"' in page  # everything typed is kept
    assert re.search(rf'<option selected value="{key}">', page)  # and the setting chosen
    assert _proposed(app, label) == {}


def test_the_reviewers_abc_in_the_age_of_majority(client, two_leads):
    status, page = _post(client, _draft_label(client), "age_of_majority", "abc")
    assert status == 400
    message = "Age of majority: Enter a whole number of years from 18 to 21."
    assert _summary(page) == [("value", message)] and _beside(page, "value") == [message]


@pytest.mark.parametrize(
    ("key", "value", "reference", "expected"),
    [
        ("age_of_majority", "", SOURCE, [("value", "Age of majority: Enter the new value.")]),
        ("", "21", SOURCE, [("key", "Setting: Choose the setting to change.")]),
        (
            "",
            "",
            SOURCE,
            [("key", "Setting: Choose the setting to change."), ("value", "New value: Enter the new value.")],
        ),
        ("no_such_setting", "21", SOURCE, [("key", "Setting: Choose one of the answers given.")]),
        ("age_of_majority", "21", "", [("reference", "Source: Say where the new value comes from.")]),
        ("fee_new", "78\x07", SOURCE, [("value", "Fee new: Remove the hidden control characters")]),
        ("fee_new", "78", "x" * 501, [("reference", "Source: Shorten this to 500 characters or fewer: it has 501.")]),
    ],
)
def test_every_other_error_names_its_field_too(client, two_leads, key, value, reference, expected):
    status, page = _post(client, _draft_label(client), key, value, reference)
    assert status == 400
    found = _summary(page)
    assert [field for field, _ in found] == [field for field, _ in expected], found
    for (field, message), (_, start) in zip(found, expected, strict=True):
        assert message.startswith(start), message
        assert _beside(page, field) == [message]
    kept = dict(re.findall(r'<input[^>]* name="(value|reference)"[^>]* value="([^"]*)"', page))
    assert kept == {"value": value, "reference": reference}, kept  # everything typed is kept


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("age_of_majority", "9" * 5000),
        ("age_of_majority", "18.0"),
        ("age_of_majority", "²"),
        ("fee_new", "NaN"),
        ("fee_new", "sNaN"),
        ("fee_new", "Infinity"),
        ("fee_new", "1e999999999"),
        ("fee_new", "$"),
        ("renewal_window_days", "-"),
    ],
)
def test_no_value_is_a_server_error(client, two_leads, key, value):
    status, page = _post(client, _draft_label(client), key, value)
    assert status == 400
    assert [message.split(": ", 1)[0] for _, message in _summary(page)] == [_name(key)]
