"""Check your answers shows what will be sent, in full: every entry of the five-year histories (addresses, work and
study), the identity documents, the countries visited and the background answers, each list under its heading with a
Change link that comes back to the page. A renewal, or an application for the other program, reuses the answers an
earlier application sent: the page says so, with that application's date, and asks the traveler to confirm they are
still right before anything is sent. A first application is not asked."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import select

from tests.factories import create_account, create_application, create_officer, create_profile, sign_in
from tests.support.queries import count_queries
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for
from trusted_traveler.profiles import service as profiles
from trusted_traveler.profiles.models import ApplicantProfile

SENT_ON = dt.datetime(2022, 3, 3, 15, 0, tzinfo=dt.UTC)  # 10 AM in New York: March 3, 2022 in the service's zone
STILL_RIGHT = "These answers are still right"
NOT_CONFIRMED = "Confirm that these answers are still right, or change the ones that are not."


def _month(today: dt.date, back: int) -> dt.date:
    index = today.year * 12 + today.month - 1 - back
    return dt.date(index // 12, index % 12 + 1, 1)


def _histories(profile, *, addresses: int = 2, jobs: int = 2, gap: bool = False) -> None:
    """`addresses` addresses and `jobs` jobs, newest first, covering the last six years (two months left out of the
    addresses when `gap`), a country visited more and a disclosed offense."""
    today, account = service_today(), profile.account

    def periods(count):
        """`count` periods from 72 months ago to now, one after the other, the newest first."""
        starts = [_month(today, 72 - 72 * n // count) for n in range(count)]
        ends = [_month(later, 1) for later in starts[1:]] + [None]
        return list(reversed(list(zip(starts, ends, strict=True))))

    addresses_rows = [
        {
            "from_month": frm,
            "to_month": to,
            "line1": f"{n + 1} Elm Street",
            "line2": "Apt 4B" if n == 0 else None,
            "city": "Austin",
            "region": "TX",
            "postal_code": "78701",
            "country": "US",
        }
        for n, (frm, to) in enumerate(periods(addresses))
    ]
    if gap:  # the newest address starts two months after the one before it ends
        addresses_rows[0]["from_month"] = _month(today, 34)
    jobs_rows = [
        {
            "from_month": frm,
            "to_month": to,
            "status": "employed" if n == 0 else "student",
            "employer": f"Employer {n + 1}",
            "occupation": "Nurse" if n == 0 else None,
            "city": "Austin",
            "country": "MX" if n else "US",
            "phone": None,
        }
        for n, (frm, to) in enumerate(periods(jobs))
    ]
    profiles.save_step(profile, "addresses", by=account, collections={"addresses": addresses_rows})
    profiles.save_step(profile, "employment", by=account, collections={"employment": jobs_rows})
    profiles.save_step(
        profile,
        "travel",
        by=account,
        collections={"countries_visited": [{"country_code": "MX"}, {"country_code": "JP"}]},
    )
    offense = {"category": "dui", "status": "convicted", "date": dt.date(2012, 2, 14), "released_on": None}
    profiles.save_step(
        profile,
        "background",
        by=account,
        fields={"background_details": "One night in 2012.", "background_answered_at": profile.background_answered_at},
        collections={"offenses": [{**offense, "details": "Paid the fine."}]},
    )


def _traveler(app, client, email: str, **history) -> None:
    with app.app_context():
        profile = create_profile(create_account(email))
        _histories(profile, **history)
        db.session.commit()
    sign_in(client, email)


def _sent_earlier(profile, application, *, saved_since=(), on: dt.datetime = SENT_ON) -> None:
    """Make `application` one sent `on`, with every step of the profile saved that day but `saved_since` (today)."""
    application.submitted_at = on
    progress = dict(profile.intake_progress)
    progress["saved_on"] = {
        step: (service_today() if step in saved_since else on.date()).isoformat() for step in progress.get("saved", [])
    }
    profile.intake_progress = progress


def _member(app, client, email: str, *, saved_since=("travel",)) -> None:
    """A PreCheck member since an application sent on SENT_ON, inside the renewal window, signed in. The countries
    visited were answered again since (`saved_since`): a renewal always asks again (profiles.travel_answer_stale)."""
    with app.app_context():
        profile = create_profile(create_account(email))
        _histories(profile)
        application = create_application("precheck", profile=profile, submitted=True)
        casework.record_biometrics(application, by=create_officer(f"officer.{email}"))
        (member,) = memberships_for(profile.id)
        member.valid_until = service_today() + dt.timedelta(days=90)
        _sent_earlier(profile, application, saved_since=saved_since)
        db.session.commit()
    sign_in(client, email)


def _drafts(app):
    with app.app_context():
        return [
            (a.program.code, a.kind, a.status, a.attested_at)
            for a in db.session.scalars(select(Application).where(Application.status == "draft"))
        ]


def _earlier_reference(app) -> str:
    with app.app_context():
        return db.session.scalar(select(Application.reference).where(Application.submitted_at.is_not(None)))


def _group(html: str, step: str) -> str:
    """The text of one group of answers on the page (its heading, Change link and entries)."""
    start = html.index(f'data-testid="answers-{step}"')
    end = html.find('data-testid="answers-', start + 1)
    return html[start : end if end != -1 else len(html)]


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# --- Every entry in full, grouped, with a Change link that comes back ----------------------------------------------


def test_check_your_answers_shows_every_history_entry_in_full_under_its_heading(app, client):
    _traveler(app, client, "full@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    html = client.get("/checkout").get_data(as_text=True)
    today = service_today()

    addresses = _text(_group(html, "addresses"))
    assert "Addresses in the last 5 years" in addresses
    newest_from = _month(today, 36).strftime("%B %Y")
    assert f"{newest_from} to now" in addresses
    assert f"{_month(today, 72).strftime('%B %Y')} to {_month(today, 37).strftime('%B %Y')}" in addresses
    assert "1 Elm Street Apt 4B Austin, TX 78701 United States" in addresses
    assert "2 Elm Street Austin, TX 78701 United States" in addresses

    work = _text(_group(html, "employment"))
    assert "Work and study in the last 5 years" in work
    assert "Employed Employer 1, Nurse Austin, United States" in work
    assert "Student Employer 2 Austin, Mexico" in work

    travel = _text(_group(html, "travel"))
    assert "Mexico" in travel and "Japan" in travel

    documents = _text(_group(html, "documents"))
    assert "Passport United States Number ending 6789 Expires" in documents

    background = _text(_group(html, "background"))
    assert "Driving under the influence (DUI)" in background
    assert "Convicted · February 14, 2012" in background and "Paid the fine." in background
    assert "One night in 2012." in background
    assert "Have you ever broken customs, immigration or agriculture laws in any country? No" in background

    for step in ("documents", "addresses", "employment", "travel", "background"):
        link = f'href="/profile/{step}?return_to=/checkout"'
        assert _group(html, step).count(link) == 1, step  # one Change link for the whole group
    assert "2 addresses" not in html and "2 entries" not in html  # no longer counts


def test_the_entries_are_in_the_readers_language_and_date_format(app, client):
    _traveler(app, client, "es@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    client.get("/language/es")
    html = client.get("/checkout").get_data(as_text=True)
    addresses = _text(_group(html, "addresses"))
    newest_from = _month(service_today(), 36)
    months = "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre".split()
    # an address lived in to this day: "Desde junio de 2023 hasta hoy" (not "de junio de 2023 hasta hoy")
    assert f"Desde {months[newest_from.month - 1]} de {newest_from.year} hasta hoy" in addresses
    assert "Estados Unidos" in addresses and "United States" not in addresses
    work = _text(_group(html, "employment"))
    assert "Empleado" in work and "Estudiante" in work and "México" in work
    assert "Cambiar" in _group(html, "addresses")
    assert "14 de febrero de 2012" in _text(_group(html, "background"))


def test_a_change_link_goes_to_its_step_and_comes_back_to_check_your_answers(app, client):
    _traveler(app, client, "change@example.com", addresses=1)
    client.post("/apply", data={"programs": ["precheck"]})
    html = client.get("/checkout").get_data(as_text=True)
    href = re.search(r'href="(/profile/employment\?return_to=[^"]+)"', html).group(1)
    page = client.get(href).get_data(as_text=True)
    assert 'name="return_to" value="/checkout"' in page
    start = _month(service_today(), 72)
    response = client.post(
        "/profile/employment",
        data={
            "employment-0-from_month": start.strftime("%m/%Y"),
            "employment-0-status": "retired",
            "return_to": "/checkout",
        },
    )
    assert response.headers["Location"] == "/checkout"
    assert "Retired" in _text(_group(client.get("/checkout").get_data(as_text=True), "employment"))


def test_the_profile_summary_shows_the_entries_and_the_months_a_history_leaves_out(app, client):
    _traveler(app, client, "gap@example.com", gap=True)
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "Your profile is not finished" in html  # as before: the unfinished step is named
    addresses = _group(html, "addresses")
    assert 'data-testid="gaps-addresses"' in addresses
    today = service_today()
    missing = f"{_month(today, 36).strftime('%B %Y')} to {_month(today, 35).strftime('%B %Y')}"
    assert missing in _text(addresses)
    assert "1 Elm Street" in addresses and 'href="/profile/addresses?return_to=/profile/summary"' in addresses
    assert 'data-testid="gaps-employment"' not in html
    assert "still right" not in html  # the summary sends nothing: no confirmation asked


# --- Answers carried over: said, and confirmed before sending -------------------------------------------------------


def test_a_first_application_is_not_asked_whether_its_answers_are_still_right(app, client):
    _traveler(app, client, "first@example.com")
    client.post("/apply", data={"programs": ["precheck"]})  # (the disclosed offense closes Global Entry)
    html = client.get("/checkout").get_data(as_text=True)
    assert 'data-testid="answers-reused"' not in html and STILL_RIGHT not in html
    response = client.post("/checkout", data={"confirm": "yes"})
    assert response.status_code == 302 and "/sandbox/pay/" in response.headers["Location"]
    with app.app_context():
        assert (
            db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.answers_confirmed")).all()
            == []
        )


def test_a_renewal_says_where_its_answers_come_from_and_asks_to_confirm_them(app, client):
    _member(app, client, "renewer@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    html = client.get("/checkout").get_data(as_text=True)
    reference = _earlier_reference(app)
    notice = _text(html.split('data-testid="answers-reused"')[1].split("</div></div>")[0])
    assert (
        f"These answers are from your TSA PreCheck application of March 3, 2022 ({reference}). "
        "Check they are still right." in notice
    )
    # the notice comes before the answers, the confirmation after them and before the declaration
    assert html.index('data-testid="answers-reused"') < html.index('data-testid="answers-addresses"')
    assert html.index('data-testid="answers-background"') < html.index(STILL_RIGHT) < html.index("Declaration")
    # the answers saved since it was sent (the countries visited, asked again) say when; the others do not
    assert "Answers you have updated since then show the date you did." in notice
    assert f"Updated {service_today().strftime('%B %-d, %Y')}" in _text(_group(html, "travel"))
    assert html.count('data-testid="updated-') == 1

    response = client.post("/checkout", data={"confirm": "yes"})

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert f'<a class="usa-link" href="#still_right">{NOT_CONFIRMED}</a>' in page  # in the error summary
    beside = page.split('data-testid="still-right"')[1].split("</label>")[0]
    assert f'id="still_right-error">{NOT_CONFIRMED}</span>' in beside and "usa-form-group--error" in beside
    assert re.search(r'<input[^>]*checked[^>]*value="yes"|<input[^>]*value="yes"[^>]*checked', page)  # kept
    assert "1 Elm Street" in page and 'data-testid="answers-reused"' in page  # everything else still shown
    assert _drafts(app) == [("precheck", "renewal", "draft", None)]  # nothing confirmed, paid or sent

    response = client.post("/checkout", data={"still_right": "y", "confirm": "yes"})
    assert response.status_code == 302 and "/sandbox/pay/" in response.headers["Location"]
    with app.app_context():
        (event,) = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "application.answers_confirmed"))
        assert event.details == {"answers_from": reference}


def test_the_still_right_box_alone_is_not_the_declaration(app, client):
    _member(app, client, "half@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    response = client.post("/checkout", data={"still_right": "y"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Confirm the declaration to continue." in page and NOT_CONFIRMED not in page
    assert re.search(r'<input[^>]*id="still_right"[^>]*checked|<input[^>]*checked[^>]*id="still_right"', page)


def test_an_application_for_the_second_program_asks_too(app, client):
    with app.app_context():
        profile = create_profile(create_account("second@example.com"))
        application = create_application("precheck", profile=profile, submitted=True)
        sent = dt.datetime.combine(service_today() - dt.timedelta(days=40), dt.time(15), tzinfo=dt.UTC)
        _sent_earlier(profile, application, on=sent)
        db.session.commit()
        reference = application.reference
    sign_in(client, "second@example.com")
    client.post("/apply", data={"programs": ["global_entry"]})
    html = client.get("/checkout").get_data(as_text=True)
    assert f"from your TSA PreCheck application of {sent.strftime('%B %-d, %Y')} ({reference})" in html
    assert "Answers you have updated since" not in html and 'data-testid="updated-' not in html  # none was
    assert client.post("/checkout", data={"confirm": "yes"}).status_code == 400
    assert client.post("/checkout", data={"still_right": "y", "confirm": "yes"}).status_code == 302


def test_answers_updated_since_the_earlier_application_say_when(app, client):
    _member(app, client, "updated@example.com", saved_since=("travel", "addresses", "names"))
    client.post("/apply", data={"programs": ["precheck"]})
    html = client.get("/checkout").get_data(as_text=True)
    updated = f"Updated {service_today().strftime('%B %-d, %Y')}"
    assert updated in _text(_group(html, "addresses")) and updated not in _text(_group(html, "employment"))
    assert 'data-testid="updated-names"' in html  # on the row of the name
    assert html.count('data-testid="updated-') == 3


def test_last_sent_is_the_latest_submitted_application(app_ctx):
    profile = create_profile(create_account("latest@example.com"))
    assert profiles.last_sent(profile) is None
    draft = create_application("global_entry", profile=profile)
    assert profiles.last_sent(profile) is None  # a draft sends nothing
    first = create_application("precheck", profile=profile, submitted=True)
    first.submitted_at = SENT_ON
    db.session.flush()
    assert profiles.last_sent(profile) == first
    assert draft.submitted_at is None
    assert profiles.steps_saved_since(profile, service_today()) == {}
    assert profiles.steps_saved_since(profile, SENT_ON.date())["addresses"] == service_today()


# --- Bounded queries ------------------------------------------------------------------------------------------------


def _more_history(app, email: str, count: int) -> None:
    with app.app_context():
        profile = db.session.scalar(select(ApplicantProfile).where(ApplicantProfile.account.has(email=email)))
        _histories(profile, addresses=count, jobs=count)
        db.session.commit()


def test_check_your_answers_runs_the_same_queries_for_2_or_12_entries_per_history(app, client):
    _member(app, client, "counted@example.com")
    client.post("/apply", data={"programs": ["precheck"]})
    client.get("/checkout")  # warm up (the signed-in account, the rules in force)
    with count_queries(app) as few:
        assert client.get("/checkout").status_code == 200
    _more_history(app, "counted@example.com", 12)
    with count_queries(app) as many:
        html = client.get("/checkout").get_data(as_text=True)
    assert "12 Elm Street" in html and "Employer 12" in html
    assert len(many) == len(few) <= 30, many


def test_the_profile_summary_runs_the_same_queries_for_2_or_12_entries_per_history(app, client):
    _traveler(app, client, "summary.counted@example.com")
    client.get("/profile/summary")
    with count_queries(app) as few:
        assert client.get("/profile/summary").status_code == 200
    _more_history(app, "summary.counted@example.com", 12)
    with count_queries(app) as many:
        html = client.get("/profile/summary").get_data(as_text=True)
    assert "12 Elm Street" in html
    assert len(many) == len(few) <= 20, many


def test_other_names_and_every_document_are_shown_in_full(app, client):
    with app.app_context():
        profile = create_profile(create_account("names@example.com"))
        account = profile.account
        profiles.save_step(
            profile,
            "names",
            by=account,
            collections={"other_names": [{"given_names": "Luz", "surname": "Moreno", "kind": "maiden"}]},
        )
        passport, *_ = profile.documents
        license_ = {
            "kind": "drivers_license",
            "issuing_country": "US",
            "issuing_region": "TX",
            "number": "D1234567",
            "number_last4": "4567",
            "expires_on": dt.date(2031, 6, 30),
            "enhanced": True,
        }
        kept = {k: getattr(passport, k) for k in ("kind", "issuing_country", "issuing_region", "number")}
        kept |= {"number_last4": passport.number_last4, "expires_on": passport.expires_on, "enhanced": False}
        profiles.save_step(profile, "documents", by=account, collections={"documents": [kept, license_]})
        db.session.commit()
    sign_in(client, "names@example.com")
    html = client.get("/profile/summary").get_data(as_text=True)
    assert "Luz Moreno (Maiden name)" in _text(html)
    documents = _text(_group(html, "documents"))
    assert "Driver's license TX, United States Number ending 4567 Expires June 30, 2031 Enhanced Driver's License" in (
        documents.replace("&#39;", "'")
    )
    assert "D1234567" not in html  # only the last four digits, as before
