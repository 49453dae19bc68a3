"""Survey results for program leads: by touchpoint and language, with means, distributions, agreement and
comments, and a CSV of the same numbers."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from tests.factories import create_account, sign_in, survey_invitation
from trusted_traveler.extensions import db
from trusted_traveler.feedback import results
from trusted_traveler.feedback.service import record_response as record_invited


def record_response(touchpoint, **kwargs):
    """A response given with the invitation a traveler was offered."""
    return record_invited(touchpoint, invitation=survey_invitation(touchpoint), **kwargs)


@pytest.fixture
def answered(app):
    with app.app_context():
        for satisfaction, trust in ((5, 3), (4, 5), (2, None)):
            record_response("appointment", scores={"satisfaction": satisfaction, "trust": trust}, language="en")
        record_response("appointment", scores={"satisfaction": 1}, free_text="Muy lento", language="es")
        first = record_response("decision", scores={"ease": 4}, free_text="Older comment")
        first.created_at -= dt.timedelta(days=2)
        record_response("decision", scores={"equity": 5}, free_text="Newest comment")
        create_account("lead@example.com", roles=("program_lead",))
        create_account("traveler@example.com")
        db.session.commit()


def test_results_need_the_program_lead_role(client, app, answered):
    """Program leads (MANAGE_RULES) only: a traveler gets 403, a signed-out person is sent to sign in."""
    assert client.get("/program-lead/feedback").status_code == 302
    sign_in(client, "traveler@example.com")
    assert client.get("/program-lead/feedback").status_code == 403
    assert client.get("/program-lead/feedback.csv").status_code == 403


def test_summary_counts_means_distribution_and_agreement_by_touchpoint_and_language(app_ctx, answered):
    """Counts per score, the mean of those who answered, and the share answering 4 or 5."""
    groups = {(g.touchpoint, g.language): g for g in results.summarize()}
    assert set(groups) == {("appointment", "en"), ("appointment", "es"), ("decision", "en")}
    english = groups[("appointment", "en")]
    assert english.responses == 3
    satisfaction, trust = english.drivers["satisfaction"], english.drivers["trust"]
    assert satisfaction.counts == (0, 1, 0, 1, 1)
    assert satisfaction.mean == pytest.approx(11 / 3)
    assert satisfaction.pct_agree == pytest.approx(200 / 3)
    assert (trust.answers, trust.mean, trust.pct_agree) == (2, 4.0, 50.0)
    assert english.drivers["ease"].mean is None
    assert groups[("appointment", "es")].drivers["satisfaction"].counts == (1, 0, 0, 0, 0)


def test_results_page_shows_each_group_and_the_recent_comments_newest_first(client, answered):
    """The page a program lead reads: overview, per-statement tables, comments."""
    sign_in(client, "lead@example.com")
    page = client.get("/program-lead/feedback").get_data(as_text=True)
    assert 'data-testid="overview-appointment-en"' in page and 'data-testid="overview-appointment-es"' in page
    assert 'data-testid="drivers-decision-en"' in page
    assert "67% <span" in page  # satisfaction after an appointment, in English: 2 of 3 agree
    assert page.index("Newest comment") < page.index("Older comment")
    assert "Muy lento" in page


def test_results_csv_has_one_row_per_touchpoint_language_and_statement(client, answered):
    """The CSV carries the same numbers as the page."""
    sign_in(client, "lead@example.com")
    response = client.get("/program-lead/feedback.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 3 * 7
    row = next(
        r for r in rows if (r["touchpoint"], r["language"], r["driver"]) == ("appointment", "en", "satisfaction")
    )
    assert row == {
        "touchpoint": "appointment",
        "language": "en",
        "driver": "satisfaction",
        "responses": "3",
        "answers": "3",
        "mean": "3.67",
        "pct_agree": "66.7",
        "strongly_disagree_1": "0",
        "disagree_2": "1",
        "neutral_3": "0",
        "agree_4": "1",
        "strongly_agree_5": "1",
    }


def test_results_page_says_when_there_are_no_responses_yet(client, app):
    """An empty survey table is not an error."""
    with app.app_context():
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")
    response = client.get("/program-lead/feedback")
    assert response.status_code == 200
    assert "No survey responses yet." in response.get_data(as_text=True)


def test_the_program_lead_console_links_to_the_results(client, app):
    """One link from the console overview."""
    with app.app_context():
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")
    assert 'href="/program-lead/feedback"' in client.get("/program-lead/").get_data(as_text=True)


def test_results_csv_cells_that_a_spreadsheet_would_run_as_a_formula_start_with_a_quote(client, app, answered):
    """CSV injection: every text cell goes through the same guard as the audit log's download (the language is
    recorded as the request gave it); the numbers stay numbers."""
    with app.app_context():
        record_response("decision", scores={"ease": 2}, language=" =1+2")
        db.session.commit()
    sign_in(client, "lead@example.com")
    rows = list(csv.DictReader(io.StringIO(client.get("/program-lead/feedback.csv").get_data(as_text=True))))
    row = next(r for r in rows if (r["touchpoint"], r["driver"]) == ("decision", "ease") and "1+2" in r["language"])
    assert row["language"] == "' =1+2"
    assert (row["responses"], row["answers"], row["mean"], row["disagree_2"]) == ("1", "1", "2.0", "1")
