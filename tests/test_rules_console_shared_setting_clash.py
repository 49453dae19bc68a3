"""The age of majority is one setting for both programs: when a TSA PreCheck change and a Global Entry change both
propose it, each version's page, its impact preview and the confirmation page say so plainly (the other version, the
value it proposes or sets, when it takes effect against this one, and the values the setting then takes day by day:
the later effective date wins, for both). It is a warning: publication is not refused."""

from __future__ import annotations

import datetime as dt
import html as markup
import re

import pytest

from tests.factories import sign_in
from tests.test_rules_console import _draft_label, act, publish
from tests.test_rules_console_settings_and_labels import _ge_draft_label, _propose
from trusted_traveler.db import service_today


def _said(client, url: str) -> list[str]:
    """The shared-setting warning's paragraphs on the page at `url`, in plain text."""
    page = markup.unescape(client.get(url).get_data(as_text=True))
    box = re.search(r'data-testid="shared-clash">(.*?)</div></div>', page, flags=re.S)
    if box is None:
        return []
    return [" ".join(re.sub(r"<[^>]+>", " ", p).split()) for p in re.findall(r"<p[^>]*>(.*?)</p>", box.group(1), re.S)]


def _day(day: dt.date) -> str:
    return f"{day:%B %-d, %Y}"


def _two_drafts(client) -> tuple[str, str]:
    precheck, ge = _draft_label(client), _ge_draft_label(client)
    assert _propose(client, precheck, "age_of_majority", "21").status_code == 302
    assert _propose(client, ge, "age_of_majority", "19").status_code == 302
    return precheck, ge


def _submit(client, label: str, starts: dt.date):
    data = {"effective_from": starts.isoformat(), "note": "Age of majority"}
    assert act(client, label, "submit", data).status_code == 302


def test_a_draft_says_another_draft_proposes_the_age_of_majority_on_its_page_and_impact(client, two_leads):
    precheck, ge = _two_drafts(client)
    for url in (f"/program-lead/versions/{precheck}", f"/program-lead/versions/{precheck}/impact"):
        said = _said(client, url)
        assert said[0] == (
            f"Another unpublished version also changes the age of majority: Global Entry's {ge} (a draft, with no "
            "effective date yet) proposes 19; this one proposes 21. If both are published, the one that takes effect "
            f"later overrides the other for both programs from its effective date: this one's 21 is overridden if "
            f"it takes effect before {ge}, and overrides 19 if it takes effect after."
        ), url
        assert "Publishing is not blocked" in said[-1]
    said = _said(client, f"/program-lead/versions/{ge}")  # and the other draft says it the other way round
    assert said[0].startswith(
        f"Another unpublished version also changes the age of majority: TSA PreCheck's {precheck}"
    )
    assert "proposes 21; this one proposes 19." in said[0]


def test_no_warning_without_the_same_shared_setting_or_once_it_is_withdrawn(client, two_leads):
    precheck, ge = _draft_label(client), _ge_draft_label(client)
    assert _propose(client, precheck, "age_of_majority", "21").status_code == 302
    assert _propose(client, ge, "grace_period_days", "730").status_code == 302
    assert _said(client, f"/program-lead/versions/{precheck}") == []
    assert _propose(client, ge, "age_of_majority", "21").status_code == 302
    assert (
        "The values are the same, so neither overrides the other."
        in _said(client, f"/program-lead/versions/{precheck}")[0]
    )
    assert act(client, ge, "parameters/age_of_majority/withdraw").status_code == 302
    assert _said(client, f"/program-lead/versions/{precheck}") == []


def test_the_confirmation_page_says_which_value_holds_and_publishing_is_not_refused(app, client, two_leads):
    precheck, ge = _two_drafts(client)
    early, late = service_today() + dt.timedelta(days=30), service_today() + dt.timedelta(days=60)
    _submit(client, precheck, early)
    _submit(client, ge, late)
    sign_in(client, "lead.b@example.com")

    said = _said(client, f"/program-lead/versions/{precheck}/publish")
    before = _day(early - dt.timedelta(days=1))
    timeline = f"18 until {before}; 21 from {_day(early)}; 19 from {_day(late)} (for both programs)."
    said = _said(client, f"/program-lead/versions/{precheck}/publish")
    assert said[0] == (
        f"Another unpublished version also changes the age of majority: Global Entry's {ge} (in review, to take "
        f"effect on {_day(late)}, after this one) proposes 19; this one proposes 21 from {_day(early)}. If both are "
        f"published, this one's 21 holds only until {_day(late - dt.timedelta(days=1))}: {ge}'s 19 overrides it "
        f"for both programs from {_day(late)}. The age of majority would then be: {timeline}"
    )
    assert said[0] == _said(client, f"/program-lead/versions/{precheck}")[0]  # the version's page too
    assert _said(client, f"/program-lead/versions/{ge}/publish")[0].endswith(
        f"If both are published, this one's 19 overrides {precheck}'s 21 for both programs from {_day(late)}. "
        f"The age of majority would then be: {timeline}"
    )

    # a warning, not a refusal: the PreCheck change is published, and the Global Entry one still says what it does
    response = publish(client, precheck, follow_redirects=True)
    assert response.status_code == 200
    assert 'data-testid="version-status">published<' in response.get_data(as_text=True)
    published = f"precheck-{early.isoformat()}"
    said = _said(client, f"/program-lead/versions/{ge}/publish")
    assert said[0] == (
        f"A version already published, not in effect yet, also changes the age of majority: TSA PreCheck's "
        f"{published} sets 21 from {_day(early)}, before this one; this one proposes 19 from {_day(late)}. Once this "
        f"one is published, its 19 overrides {published}'s 21 for both programs from {_day(late)}. The age of "
        f"majority would then be: {timeline}"
    )
    assert publish(client, ge).status_code == 302


def test_on_the_same_day_the_value_proposed_last_holds_and_each_page_says_which(client, two_leads):
    precheck, ge = _two_drafts(client)  # the Global Entry value is proposed last
    starts = service_today() + dt.timedelta(days=30)
    _submit(client, precheck, starts)
    _submit(client, ge, starts)
    sign_in(client, "lead.b@example.com")
    timeline = f"18 until {_day(starts - dt.timedelta(days=1))}; 19 from {_day(starts)} (for both programs)."
    assert _said(client, f"/program-lead/versions/{precheck}/publish")[0] == (
        f"Another unpublished version also changes the age of majority: Global Entry's {ge} (in review, to take "
        f"effect on {_day(starts)}, the same day as this one) proposes 19; this one proposes 21 from {_day(starts)}. "
        f"If both are published, {ge}'s 19, added to its draft later, holds for both programs from {_day(starts)} "
        f"(the same day: 21 never applies). The age of majority would then be: {timeline}"
    )
    assert _said(client, f"/program-lead/versions/{ge}/publish")[0].endswith(
        f"If both are published, this one's 19, added to its draft later, holds for both programs from "
        f"{_day(starts)} (the same day: 21 never applies). The age of majority would then be: {timeline}"
    )


# --- The reviewer's case: on December 3, 2026 the age of majority is 18; TSA PreCheck's version published for
# January 1, 2027 sets 19; a Global Entry version in review proposes 21 from February 1, 2027. ---

DEC_3 = dt.datetime(2026, 12, 3, 17, 0, tzinfo=dt.UTC)  # noon in New York
JAN_1, FEB_1 = dt.date(2027, 1, 1), dt.date(2027, 2, 1)
TIMELINE = "18 until December 31, 2026; 19 from January 1, 2027; 21 from February 1, 2027 (for both programs)."


@pytest.fixture
def december_3(monkeypatch):
    """The service's clock on December 3, 2026 (service_today reads trusted_traveler.db.utcnow)."""
    monkeypatch.setattr("trusted_traveler.db.utcnow", lambda: DEC_3)


def _reviewers_versions(client) -> tuple[str, str]:
    """PreCheck proposes 19 from January 1, 2027 and Global Entry 21 from February 1, 2027, both sent for review."""
    precheck, ge = _draft_label(client), _ge_draft_label(client)
    assert _propose(client, precheck, "age_of_majority", "19").status_code == 302
    assert _propose(client, ge, "age_of_majority", "21").status_code == 302
    _submit(client, precheck, JAN_1)
    _submit(client, ge, FEB_1)
    return precheck, ge


def _changes(client, url: str) -> list[str]:
    page = markup.unescape(client.get(url).get_data(as_text=True))
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in re.findall(r"<li>(.*?)</li>", page, re.S)]


def test_a_version_published_earlier_is_said_to_set_its_value_before_this_one(client, two_leads, december_3):
    """The Global Entry page says the PreCheck version is published (it sets 19), takes effect before this one, and
    what the age of majority is day by day; its "What this changes" says 18 now, and 19 from January 1."""
    precheck, ge = _reviewers_versions(client)
    sign_in(client, "lead.b@example.com")
    assert publish(client, precheck).status_code == 302
    for url in (f"/program-lead/versions/{ge}", f"/program-lead/versions/{ge}/impact"):
        assert _said(client, url)[0] == (
            "A version already published, not in effect yet, also changes the age of majority: TSA PreCheck's "
            "precheck-2027-01-01 sets 19 from January 1, 2027, before this one; this one proposes 21 from "
            "February 1, 2027. Once this one is published, its 21 overrides precheck-2027-01-01's 19 for both "
            f"programs from February 1, 2027. The age of majority would then be: {TIMELINE}"
        ), url
    expected = (
        "Setting “age of majority”, shared by TSA PreCheck and Global Entry, becomes 21 (now 18; from January 1, "
        "2027 it is 19) for both programs; source:"
    )
    assert any(line.startswith(expected) for line in _changes(client, f"/program-lead/versions/{ge}")), expected
    assert any(line.startswith(expected) for line in _changes(client, f"/program-lead/versions/{ge}/publish"))


def test_before_publication_the_earlier_version_says_its_value_holds_only_until_the_later_one(
    client, two_leads, december_3
):
    """Before either is published, the PreCheck version (the earlier) says 19 applies from January 1 to January 31,
    then 21 for both programs; the Global Entry version (the later) says the same timeline the other way round."""
    precheck, ge = _reviewers_versions(client)
    for url in (f"/program-lead/versions/{precheck}", f"/program-lead/versions/{precheck}/impact"):
        assert _said(client, url)[0] == (
            f"Another unpublished version also changes the age of majority: Global Entry's {ge} (in review, to take "
            "effect on February 1, 2027, after this one) proposes 21; this one proposes 19 from January 1, 2027. If "
            f"both are published, this one's 19 holds only until January 31, 2027: {ge}'s 21 overrides it for both "
            f"programs from February 1, 2027. The age of majority would then be: {TIMELINE}"
        ), url
    assert _said(client, f"/program-lead/versions/{ge}")[0] == (
        f"Another unpublished version also changes the age of majority: TSA PreCheck's {precheck} (in review, to "
        "take effect on January 1, 2027, before this one) proposes 19; this one proposes 21 from February 1, 2027. "
        f"If both are published, this one's 21 overrides {precheck}'s 19 for both programs from February 1, 2027. "
        f"The age of majority would then be: {TIMELINE}"
    )
    # nothing is published for later: "now" is today's value, and nothing else is said
    assert any(
        line.startswith("Setting “age of majority”, shared by TSA PreCheck and Global Entry, becomes 21 (now 18) for")
        for line in _changes(client, f"/program-lead/versions/{ge}")
    )


def test_a_version_published_for_later_than_this_one_overrides_it_from_its_date(client, two_leads, december_3):
    """The other one is published and takes effect after this one: this one's value holds only until the day
    before."""
    ge, precheck = _ge_draft_label(client), _draft_label(client)
    assert _propose(client, ge, "age_of_majority", "21").status_code == 302
    assert _propose(client, precheck, "age_of_majority", "19").status_code == 302
    _submit(client, ge, FEB_1)
    _submit(client, precheck, JAN_1)
    sign_in(client, "lead.b@example.com")
    assert publish(client, ge).status_code == 302
    assert _said(client, f"/program-lead/versions/{precheck}/publish")[0] == (
        "A version already published, not in effect yet, also changes the age of majority: Global Entry's "
        "global_entry-2027-02-01 sets 21 from February 1, 2027, after this one; this one proposes 19 from "
        "January 1, 2027. Once this one is published, its 19 holds only until January 31, 2027: "
        "global_entry-2027-02-01's 21 overrides it for both programs from February 1, 2027. The age of majority "
        f"would then be: {TIMELINE}"
    )


def test_a_draft_with_no_date_is_told_a_published_version_sets_its_value(client, two_leads, december_3):
    """This one is a draft with no date yet: which value wins depends on the date it is given, and the page says
    the other one is published and sets its value from its date."""
    precheck, ge = _draft_label(client), _ge_draft_label(client)
    assert _propose(client, precheck, "age_of_majority", "19").status_code == 302
    assert _propose(client, ge, "age_of_majority", "21").status_code == 302
    _submit(client, precheck, JAN_1)
    sign_in(client, "lead.b@example.com")
    assert publish(client, precheck).status_code == 302
    assert _said(client, f"/program-lead/versions/{ge}")[0] == (
        "A version already published, not in effect yet, also changes the age of majority: TSA PreCheck's "
        "precheck-2027-01-01 sets 19 from January 1, 2027; this one proposes 21. Once this one is published, the one "
        "that takes effect later overrides the other for both programs from its effective date: its 21 is "
        "overridden if it takes effect before precheck-2027-01-01, and overrides 19 if it takes effect after."
    )
