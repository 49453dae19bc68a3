"""The app's select field writes exactly the HTML WTForms' own widget writes (it is only quicker about it): values
and labels escaped, the chosen option selected, and options with their own attributes left to WTForms."""

from __future__ import annotations

import wtforms
from wtforms import Form, SelectChoice

from trusted_traveler.web.forms import SelectField

CHOICES = [
    SelectChoice("", "All centers"),
    SelectChoice("8001", "John F. Kennedy International"),
    SelectChoice('"><script>alert(1)</script>', "<b>Tricky & bold</b>"),
    SelectChoice("7", ""),  # no label: the value shows
    SelectChoice("x", "With attributes", render_kw={"disabled": True, "data-x": "1"}),
]


class Ours(Form):
    center = SelectField(choices=CHOICES)


class Theirs(Form):
    center = wtforms.SelectField(choices=CHOICES)


def test_the_same_html_as_wtforms_for_every_choice_selected_or_not():
    for chosen in ("", "8001", '"><script>alert(1)</script>', "7", "x", "not offered"):
        ours, theirs = Ours(data={"center": chosen}), Theirs(data={"center": chosen})
        assert str(ours.center(class_="usa-select")) == str(theirs.center(class_="usa-select"))
    html = str(Ours(data={"center": "8001"}).center())
    assert '<option selected value="8001">John F. Kennedy International</option>' in html
    assert "&lt;b&gt;Tricky &amp; bold&lt;/b&gt;" in html and "<script>" not in html
    assert '<option value="7">7</option>' in html


def test_grouped_choices_are_written_as_wtforms_writes_them():
    groups = [SelectChoice("8001", "JFK", optgroup="New York"), SelectChoice("5003", "Houston", optgroup="Texas")]

    class OursGrouped(Form):
        center = SelectField(choices=groups)

    class TheirsGrouped(Form):
        center = wtforms.SelectField(choices=groups)

    assert str(OursGrouped(data={"center": "5003"}).center()) == str(TheirsGrouped(data={"center": "5003"}).center())
