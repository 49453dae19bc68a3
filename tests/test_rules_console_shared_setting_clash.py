"""The age of majority is one setting for both programs: when a TSA PreCheck change and a Global Entry change both
propose it, each version's page, its impact preview and the confirmation page say so plainly (the other version, the
value it proposes, and which value holds once both are published: the later effective date wins, for both). It is a
warning: publication is not refused."""

from __future__ import annotations

import datetime as dt
import html as markup
import re

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
    assert said[0] == (
        f"Another unpublished version also changes the age of majority: Global Entry's {ge} (in review, to take "
        f"effect on {_day(late)}) proposes 19; this one proposes 21. If both are published, this one's 21 will be "
        f"overridden: {ge}'s 19 holds for both programs from {_day(late)}."
    )
    assert (
        f"If both are published, this one overrides {precheck}'s 21: 19 holds for both programs from {_day(late)}."
        in (_said(client, f"/program-lead/versions/{ge}/publish")[0])
    )
    assert "overridden" in _said(client, f"/program-lead/versions/{precheck}")[0]  # the version's page too

    # a warning, not a refusal: the PreCheck change is published, and the Global Entry one still says what it does
    response = publish(client, precheck, follow_redirects=True)
    assert response.status_code == 200
    assert 'data-testid="version-status">published<' in response.get_data(as_text=True)
    published = f"precheck-{early.isoformat()}"
    said = _said(client, f"/program-lead/versions/{ge}/publish")
    assert said[0] == (
        f"A version published to take effect later also changes the age of majority: TSA PreCheck's {published} "
        f"(from {_day(early)}) proposes 21; this one proposes 19. If this one is published, this one overrides "
        f"{published}'s 21: 19 holds for both programs from {_day(late)}."
    )
    assert publish(client, ge).status_code == 302


def test_on_the_same_day_the_value_proposed_last_holds_and_each_page_says_which(client, two_leads):
    precheck, ge = _two_drafts(client)  # the Global Entry value is proposed last
    starts = service_today() + dt.timedelta(days=30)
    _submit(client, precheck, starts)
    _submit(client, ge, starts)
    sign_in(client, "lead.b@example.com")
    assert _said(client, f"/program-lead/versions/{precheck}/publish")[0].endswith(
        f"If both are published, this one's 21 will be overridden: {ge}'s 19 holds for both programs from "
        f"{_day(starts)} (the same day: the value added to its draft later wins)."
    )
    assert _said(client, f"/program-lead/versions/{ge}/publish")[0].endswith(
        f"If both are published, this one overrides {precheck}'s 21: 19 holds for both programs from "
        f"{_day(starts)} (the same day: the value added to its draft later wins)."
    )
