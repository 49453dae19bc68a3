"""The rules console's confirmation before publishing, and its trial of the public check under a chosen version
(a draft, or one published to take effect later), through the routes."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.test_rules_console import _draft_label, _interim_form, act, confirmation_fields
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules import authoring
from trusted_traveler.rules.models import RuleSetVersion
from trusted_traveler.rules.service import check_eligibility


def day(n: int) -> dt.date:
    return service_today() + dt.timedelta(days=n)


def _status(app, label: str) -> str | None:
    with app.app_context():
        return db.session.scalar(select(RuleSetVersion.status).where(RuleSetVersion.label == label))


def _events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()
        for event in events:
            db.session.expunge(event)
        return events


LOOK_BACK = (("rules/precheck.interim_offense/edit", _interim_form(10)),)


def _in_review(client, *, starts: dt.date, edits=LOOK_BACK):
    """Lead A's precheck change (`edits`: a 10-year look-back; and a fee of 80.00), sent for review from `starts`."""
    label = _draft_label(client)
    for action, data in edits:
        assert act(client, label, action, data).status_code == 302
    act(client, label, "parameters", {"key": "fee_new", "value": "80", "reference": "Federal Register 2027-00001"})
    assert (
        act(client, label, "submit", {"effective_from": starts.isoformat(), "note": "Annual review"}).status_code == 302
    )
    return label


# --- Publishing goes through a confirmation page ------------------------------------------------------------------


def test_approve_and_publish_leads_to_a_confirmation_that_says_what_will_be_published(app, client, two_leads):
    eight_years_ago = service_today().replace(year=service_today().year - 8, day=1)
    with app.app_context():
        for i in range(2):  # a robbery eight years ago: eligible now, not with a 10-year look-back
            create_application(
                "precheck",
                submitted=True,
                profile=create_profile(
                    create_account(f"pending{i}@example.com"),
                    offenses=[{"category": "robbery", "status": "convicted", "date": eight_years_ago}],
                ),
            )
        create_application("precheck", submitted=True, profile=create_profile(create_account("clean@example.com")))
        db.session.commit()
    label = _in_review(client, starts=day(30))
    sign_in(client, "lead.b@example.com")

    page = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert f'href="/program-lead/versions/{label}/publish">Approve and publish</a>' in page
    assert f'action="/program-lead/versions/{label}/publish"' not in page  # no press on this page publishes

    confirm = client.get(f"/program-lead/versions/{label}/publish")
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200
    assert "Publish this change to the TSA PreCheck rules?" in html
    published_as = f"precheck-{day(30).isoformat()}"
    assert f"You are about to publish <strong>{label}</strong>\n  as <strong>{published_as}</strong>." in html
    assert f"{day(30):%B %-d, %Y}\n    (in 30 days)" in html
    assert "precheck-2026-11-01, the version in force on" in html
    assert "Rule precheck.interim_offense now applies when" in html and "within the last 10 years" in html
    assert "becomes 80.00 (now 78.00)" in html
    assert re.search(r'data-testid="publish-impact"><strong>2</strong> of <strong>3</strong>', html)
    assert '<td>eligible</td><td>ineligible</td><td class="text-right">2</td>' in html
    assert "by lead.a@example.com. Why: Annual review" in html
    assert '<button class="usa-button" type="submit">Publish</button>' in html
    assert f'<a class="usa-button usa-button--outline" href="/program-lead/versions/{label}">Go back</a>' in html
    # reading it publishes nothing, and names no applicant (so it records no view of one)
    assert _status(app, label) == "in_review"
    assert _events(app, "rules.published") == [] and _events(app, "impact.viewed") == []

    published = client.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(html))
    assert published.status_code == 302 and published.headers["Location"].endswith(published_as)
    assert _status(app, published_as) == "published"
    [event] = _events(app, "rules.published")  # the audit record it always had
    assert event.object_id == published_as and event.details == {"effective_from": day(30).isoformat()}
    page = client.get(published.headers["Location"]).get_data(as_text=True)
    assert f"Published as {published_as}; it takes effect on {day(30):%B %-d, %Y}." in page


def test_a_press_from_anywhere_but_the_confirmation_page_publishes_nothing(app, client, two_leads):
    """A version page loaded before this change posted the revision alone: it is shown the confirmation instead."""
    label = _in_review(client, starts=day(30))
    sign_in(client, "lead.b@example.com")
    revision = confirmation_fields(client.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True))
    response = client.post(f"/program-lead/versions/{label}/publish", data={"revision": revision["revision"]})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/program-lead/versions/{label}/publish"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Nothing was published yet: check what will be published, then press Publish." in page
    assert _status(app, label) == "in_review" and _events(app, "rules.published") == []
    assert client.post(f"/program-lead/versions/{label}/approve", data=revision).status_code in (404, 405)


def test_a_stale_confirmation_after_the_version_it_replaces_was_retired_publishes_nothing(app, client, two_leads):
    """Lead B confirms a day-20 change against the day-10 version; lead A's colleague retires the day-10 version
    before B presses Publish: what the page said it changes no longer holds."""
    sooner = _in_review(client, starts=day(10), edits=())
    sign_in(client, "lead.b@example.com")
    first = client.get(f"/program-lead/versions/{sooner}/publish").get_data(as_text=True)
    client.post(f"/program-lead/versions/{sooner}/publish", data=confirmation_fields(first))
    sooner = f"precheck-{day(10).isoformat()}"
    sign_in(client, "lead.a@example.com")
    later = _in_review(client, starts=day(20))
    sign_in(client, "lead.b@example.com")
    confirm = client.get(f"/program-lead/versions/{later}/publish").get_data(as_text=True)
    assert f"{sooner}, the version in force on" in confirm
    assert "In force today: precheck-2026-11-01" in confirm
    assert client.post(f"/program-lead/versions/{sooner}/retire", data={"note": "Withdrawn"}).status_code == 302

    refused = client.post(f"/program-lead/versions/{later}/publish", data=confirmation_fields(confirm))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 409
    assert "Nothing was published" in html
    assert (
        f"The version this one replaces on {day(20).isoformat()} changed after your page was loaded: it is now "
        "precheck-2026-11-01." in html
    )
    assert "precheck-2026-11-01, the version in force on" in html  # the page as it is now
    assert _status(app, later) == "in_review"

    assert client.post(f"/program-lead/versions/{later}/publish", data=confirmation_fields(html)).status_code == 302
    assert _status(app, f"precheck-{day(20).isoformat()}") == "published"


@pytest.fixture
def leads_accounts(app):
    """Leads A and B, for tests that give each their own test client (not pytest-flask's `client`, which keeps its
    last request's context pushed: see test_rules_console's `leads`)."""
    with app.app_context():
        for email in ("lead.a@example.com", "lead.b@example.com"):
            create_account(email, roles=("program_lead",))
        db.session.commit()


def test_a_confirmation_for_a_version_sent_back_meanwhile_goes_to_its_page(app, leads_accounts):
    lead_a, lead_b = app.test_client(), app.test_client()  # each in their own browser
    sign_in(lead_a, "lead.a@example.com")
    sign_in(lead_b, "lead.b@example.com")
    label = _in_review(lead_a, starts=day(30))
    confirm = lead_b.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True)
    act(lead_a, label, "return")
    response = lead_b.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(confirm))
    assert response.status_code == 302 and response.headers["Location"] == f"/program-lead/versions/{label}"
    page = lead_b.get(response.headers["Location"]).get_data(as_text=True)
    assert "lead.a@example.com changed this version at" in page
    assert _status(app, label) == "draft"


def test_the_confirmation_is_offered_only_to_a_lead_who_may_publish_and_only_for_a_version_in_review(
    app, client, two_leads
):
    label = _draft_label(client)
    response = client.get(f"/program-lead/versions/{label}/publish", follow_redirects=True)
    assert "Only a version in review can be published." in response.get_data(as_text=True)
    act(client, label, "submit", {"effective_from": day(30).isoformat(), "note": "x"})
    response = client.get(f"/program-lead/versions/{label}/publish", follow_redirects=True)
    assert "A second program lead must approve" in response.get_data(as_text=True)
    assert response.request.path == f"/program-lead/versions/{label}"
    with app.app_context():
        create_account("officer.pub@example.com", roles=("officer",))
        db.session.commit()
    sign_in(client, "officer.pub@example.com")
    assert client.get(f"/program-lead/versions/{label}/publish").status_code == 403
    assert client.post(f"/program-lead/versions/{label}/publish", data={"revision": "1"}).status_code == 403
    assert client.get("/program-lead/try").status_code == 403
    assert _status(app, label) == "in_review"


@pytest.mark.csrf
def test_publishing_needs_the_confirmation_pages_csrf_token(app, client, leads_accounts):
    with app.app_context():
        a = db.session.scalar(select(Account).where(Account.email == "lead.a@example.com"))
        draft = authoring.start_draft(get_program("precheck"), by=a, today=service_today())
        authoring.submit_for_review(
            draft, by=a, effective_from=day(30), effective_until=None, note="x", today=service_today()
        )
        label = draft.label
        db.session.commit()
    token = re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/auth/dev").get_data(as_text=True)
    )
    client.post("/auth/dev", data={"email": "lead.b@example.com", "csrf_token": token.group(1)})
    html = client.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True)
    assert client.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(html)).status_code == 400
    assert _status(app, label) == "in_review"
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post(
        f"/program-lead/versions/{label}/publish", data={**confirmation_fields(html), "csrf_token": token}
    )
    assert response.status_code == 302 and _status(app, f"precheck-{day(30).isoformat()}") == "published"


# --- Trying the public check under a chosen version ---------------------------------------------------------------

PERSON = {
    "date_of_birth": "1980-01-01",
    "citizenship": "US",
    "second_citizenship": "",
    "lawful_permanent_resident": "no",
    "travels_internationally": "no",
    "has_offenses": "yes",
    "offenses-0-category": "robbery",
    "offenses-0-status": "convicted",
    "customs_immigration_violation": "no",
    "under_investigation": "no",
    "inadmissible_or_waiver": "no",
    "parent_member_or_applying": "no",
}


def _person(years_ago: int) -> dict:
    today = service_today()
    return {**PERSON, "offenses-0-date": today.replace(year=today.year - years_ago, day=1).isoformat()}


def _facts(years_ago: int) -> dict:
    today = service_today()
    return {
        "date_of_birth": dt.date(1980, 1, 1),
        "citizenships": ["US"],
        "lawful_permanent_resident": False,
        "travels_internationally": False,
        "offenses": [
            {
                "category": "robbery",
                "status": "convicted",
                "date": today.replace(year=today.year - years_ago, day=1),
                "released_on": None,
            }
        ],
        "customs_immigration_violation": False,
        "under_investigation": False,
        "inadmissible_or_waiver": False,
        "parent_member_or_applying": False,
    }


def _published_future(client) -> str:
    label = _in_review(client, starts=day(30))
    sign_in(client, "lead.b@example.com")
    html = client.get(f"/program-lead/versions/{label}/publish").get_data(as_text=True)
    client.post(f"/program-lead/versions/{label}/publish", data=confirmation_fields(html))
    return f"precheck-{day(30).isoformat()}"


def test_a_future_dated_version_is_tried_as_the_public_check_will_answer_on_its_effective_date(app, client, two_leads):
    label = _published_future(client)
    page = client.get(f"/program-lead/versions/{label}").get_data(as_text=True)
    assert f'href="/program-lead/try?version={label}" data-testid="try-public"' in page

    form = client.get(f"/program-lead/try?version={label}").get_data(as_text=True)
    assert re.search(rf'<option selected value="{label}">TSA PreCheck: {label} \(published, takes effect', form)
    response = client.post("/program-lead/try", data={**_person(8), "version": label, "as_of": "", "language": "en"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[-2000:]
    assert f"On {day(30):%B %-d, %Y}, by <strong>{label}</strong>" in html
    public = html.split('data-testid="trial-public"')[1].split("</section>")[0]
    assert "TSA PreCheck:\n            you cannot apply now\n            · fee $80.00" in public
    assert "A serious crime in the last years." in public  # the version's own message
    assert "(49 CFR 1572.103(b))" in public
    assert f"Rules in effect since {day(30):%B %-d, %Y}." in public
    assert "Sign in and apply" not in public
    shown = json.loads(
        html.split('data-testid="trial-json">')[1].split("</pre>")[0].replace("&#34;", '"').replace("&#39;", "'")
    )
    with app.app_context():
        assert shown == check_eligibility(_facts(8), as_of=day(30))  # the body the public check will give then
    # The public check's contract is unchanged: it cannot be asked about that day.
    refused = client.post("/api/v1/eligibility/check", json={"as_of": day(30).isoformat(), **_api_person()})
    assert refused.status_code == 400 and refused.get_json()["errors"][0]["field"] == "as_of"


def _api_person() -> dict:
    return {"date_of_birth": "1980-01-01", "citizenships": ["US"]}


def test_a_draft_is_tried_in_spanish_on_a_chosen_day(app, client, two_leads):
    label = _draft_label(client)
    act(client, label, "rules/precheck.interim_offense/edit", data=_interim_form(10))
    response = client.post(
        "/program-lead/try", data={**_person(8), "version": label, "as_of": day(3).isoformat(), "language": "es"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "A draft has no effective date yet" in html
    assert 'lang="es" data-testid="trial-public"' in html
    public = html.split('data-testid="trial-public"')[1].split("</section>")[0]
    assert "Su respuesta" in public and "no puede presentar una solicitud ahora" in public
    assert "Un delito grave reciente." in public  # the draft's own Spanish message
    assert f"Reglas vigentes desde el {day(3).day}" in public
    assert "you cannot apply now" not in public


def test_a_day_outside_the_version_or_a_version_not_offered_is_refused_beside_its_field(app, client, two_leads):
    label = _published_future(client)
    before = client.post(
        "/program-lead/try", data={**_person(8), "version": label, "as_of": day(29).isoformat(), "language": "en"}
    )
    html = before.get_data(as_text=True)
    assert before.status_code == 400
    assert (
        f'id="as_of-error">{label} takes effect on {day(30).isoformat()}: choose that day or a later one.</span>'
        in html
    )
    past = client.post("/program-lead/try", data={**_person(8), "version": label, "as_of": "2020-01-01"})
    assert past.status_code == 400 and "or a later day." in past.get_data(as_text=True)
    for version in ("nope", "precheck-draft-99"):
        response = client.post("/program-lead/try", data={**_person(8), "version": version, "language": "en"})
        assert response.status_code == 400
        assert 'id="version-error"' in response.get_data(as_text=True)
    far = client.post("/program-lead/try", data={**_person(8), "version": label, "as_of": "9999-12-31"})
    assert far.status_code == 200  # any day from the version's effective date on: never an error page


def test_trying_a_version_after_a_later_one_takes_over_says_which_the_public_check_will_use(app, client, two_leads):
    first = _published_future(client)  # from day 30
    sign_in(client, "lead.a@example.com")
    later = _in_review(client, starts=day(60), edits=())
    response = client.post(
        "/program-lead/try", data={**_person(8), "version": first, "as_of": day(70).isoformat(), "language": "en"}
    )
    assert 'data-testid="trial-instead"' not in response.get_data(as_text=True)  # the later one is only in review
    sign_in(client, "lead.b@example.com")
    html = client.get(f"/program-lead/versions/{later}/publish").get_data(as_text=True)
    client.post(f"/program-lead/versions/{later}/publish", data=confirmation_fields(html))
    html = client.post(
        "/program-lead/try", data={**_person(8), "version": first, "as_of": day(70).isoformat(), "language": "en"}
    ).get_data(as_text=True)
    assert f"On that day the public check will answer by precheck-{day(60).isoformat()}" in html


def test_the_overview_names_a_version_sent_for_review_in_words(app, client, two_leads):
    label = _in_review(client, starts=day(30))
    page = client.get("/program-lead/").get_data(as_text=True)
    assert label in page
    assert "<td>in review</td>" in page and "in_review</td>" not in page
