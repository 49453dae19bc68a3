"""The traveler's booking and waitlist pages, as a reviewer walked them: the waitlist takes only days still to come
(and not beyond the times we open), offers every center, says what is wrong beside each field and keeps what was
chosen; the center search starts from the traveler's home ZIP code; a time that cannot be changed online once booked
is marked and confirmed before it is booked, with how to reach the center; cancelling asks first."""

import datetime as dt
import html as html_lib
import re

import pytest
from sqlalchemy import func, select

from tests.factories import create_account, create_application, create_profile, sign_in
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.scheduling.models import Appointment, EnrollmentCenter, WaitlistEntry
from trusted_traveler.scheduling.slots import generate_slots
from trusted_traveler.scheduling.waitlist import DAYS_AHEAD

BOSTON, JFK, HOUSTON = 8003, 8001, 8010


def _traveler(app, client, email: str, *, program="precheck", home_zip=None, home_country="US") -> str:
    """A signed-in traveler who can book, their current home address in `home_zip` when given."""
    with app.app_context():
        profile = create_profile(create_account(email))
        if home_zip is not None:
            home = next(a for a in profile.addresses if a.to_month is None)
            home.postal_code, home.country = home_zip, home_country
        reference = create_application(program, profile=profile, submitted=True).reference
        db.session.commit()
    sign_in(client, email)
    return reference


def _error(html: str, field: str) -> str:
    return html_lib.unescape(html.split(f'id="{field}-error">')[1].split("</span>")[0])


def _long(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def _waitlist(html: str) -> str:
    return html.split('id="waitlist"')[1].split("</section>")[0]


def _offering(app, code: str) -> set[int]:
    with app.app_context():
        program = db.session.scalar(select(Program).where(Program.code == code))
        return set(
            db.session.scalars(
                select(EnrollmentCenter.id).where(
                    EnrollmentCenter.operational.is_(True),
                    EnrollmentCenter.services.any(id=program.scheduler_service_id),
                )
            )
        )


def _entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(WaitlistEntry))


# 1. Days already over, or further ahead than times open


def test_a_waitlist_for_days_already_over_is_refused_beside_the_dates_and_everything_chosen_is_kept(app, client):
    """Jane (PreCheck) asks to wait at Boston from 2020-01-10 to 2020-02-01: both days are over. The page comes back
    (400, not a redirect) with each problem beside its date, a summary linking to them, Boston still ticked and the
    dates as she typed them; she is not put on the waitlist."""
    reference = _traveler(app, client, "jane@example.com")
    today = service_today()
    response = client.post(
        f"/applications/{reference}/waitlist",
        data={"center_ids": [str(BOSTON)], "earliest": "2020-01-10", "latest": "2020-02-01"},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error(html, "earliest") == f"The first day has passed. Choose {_long(today)} or a later day."
    assert _error(html, "latest") == f"The last day has passed. Choose {_long(today)} or a later day."
    summary = html.split("data-error-summary")[1].split("</ul>")[0]
    assert 'href="#earliest"' in summary and 'href="#latest"' in summary and "There is a problem" in html
    form = _waitlist(html)
    assert 'value="2020-01-10"' in form and 'value="2020-02-01"' in form
    assert re.search(rf'value="{BOSTON}" checked', form)
    assert _entries(app) == 0
    assert "You are on the waitlist" not in client.get(f"/applications/{reference}").get_data(as_text=True)


def test_a_waitlist_beyond_the_days_times_open_is_refused_and_today_onward_is_taken(app, client):
    reference = _traveler(app, client, "ahead@example.com")
    today, last = service_today(), service_today() + dt.timedelta(days=DAYS_AHEAD)
    too_far = (last + dt.timedelta(days=1)).isoformat()
    response = client.post(
        f"/applications/{reference}/waitlist",
        data={"center_ids": [str(BOSTON)], "earliest": today.isoformat(), "latest": too_far},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error(html, "latest") == (
        f"Choose a last day no later than {_long(last)}. We open times up to {DAYS_AHEAD} days ahead."
    )
    assert 'id="earliest-error"' not in html and f'value="{too_far}"' in _waitlist(html)

    response = client.post(
        f"/applications/{reference}/waitlist",
        data={"center_ids": [str(BOSTON)], "earliest": today.isoformat(), "latest": last.isoformat()},
    )
    assert response.status_code == 302
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert "You are on the waitlist" in page and _long(today) in page
    assert _entries(app) == 1


def test_the_last_day_before_the_first_is_said_beside_the_last_day(app, client):
    reference = _traveler(app, client, "backwards@example.com")
    first = service_today() + dt.timedelta(days=10)
    response = client.post(
        f"/applications/{reference}/waitlist",
        data={
            "center_ids": [str(BOSTON)],
            "earliest": first.isoformat(),
            "latest": (first - dt.timedelta(days=2)).isoformat(),
        },
    )
    assert response.status_code == 400
    assert _error(response.get_data(as_text=True), "latest") == (
        f"The last day is before the first day. Choose {_long(first)} or a later day."
    )


# 2. Every center can be chosen; errors beside the fields; what was typed is kept


def test_the_waitlist_offers_every_center_of_the_program_by_state_without_a_zip_code(app, client):
    """Without a ZIP code the form listed the first eight centers (Houlton, Halifax...): a Houston traveler could
    not choose Houston. Now every center offering the program is there, grouped by state."""
    reference = _traveler(app, client, "houston@example.com", program="global_entry")
    form = _waitlist(client.get(f"/applications/{reference}/appointment?zip=").get_data(as_text=True))
    offered = {int(i) for i in re.findall(r'name="center_ids" value="(\d+)"', form)}
    assert offered == _offering(app, "global_entry") and len(offered) > 8
    assert HOUSTON in offered
    assert "<legend" in form and ">Texas</legend>" in form and ">Ontario</legend>" in form


def test_the_waitlist_lists_the_nearest_centers_first_from_the_zip_code(app, client):
    reference = _traveler(app, client, "near@example.com")
    form = _waitlist(client.get(f"/applications/{reference}/appointment?zip=77002").get_data(as_text=True))
    nearest = form.split('data-testid="waitlist-first"')[1].split("</div>\n")[0]
    first = re.findall(r'name="center_ids" value="(\d+)"', nearest)
    assert int(first[0]) == HOUSTON  # downtown Houston: the airport's center first
    miles = [int(m.replace(",", "")) for m in re.findall(r"· ([\d,]+) miles", nearest)]
    assert miles == sorted(miles) and miles[0] < 30
    offered = {int(i) for i in re.findall(r'name="center_ids" value="(\d+)"', form)}
    assert offered == _offering(app, "precheck")  # the others follow, by state


def test_a_waitlist_with_nothing_chosen_says_so_beside_each_field_and_keeps_what_was_typed(app, client):
    reference = _traveler(app, client, "empty@example.com")
    response = client.post(
        f"/applications/{reference}/waitlist?state=MA&zip=",
        data={"earliest": "soon", "latest": ""},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error(html, "center_ids") == "Choose at least one center."
    assert _error(html, "earliest") == "Enter a real date, with a 4-digit year, like 04/12/2024."
    assert _error(html, "latest") == "Enter the last day you could go."
    assert 'value="soon"' in _waitlist(html)
    assert '<option value="MA" selected>' in html  # the search the page showed, kept too
    assert f'action="/applications/{reference}/waitlist?state=MA&amp;zip=#waitlist"' in html
    summary = html.split("data-error-summary")[1].split("</ul>")[0]
    assert 'href="#center_ids"' in summary
    assert _entries(app) == 0


def test_a_center_that_stopped_offering_the_program_is_named_not_dropped(app, client):
    reference = _traveler(app, client, "gone@example.com")
    seattle_urban = 5040  # Global Entry only
    response = client.post(
        f"/applications/{reference}/waitlist",
        data={
            "center_ids": [str(BOSTON), str(seattle_urban)],
            "earliest": service_today().isoformat(),
            "latest": service_today().isoformat(),
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert _error(html, "center_ids") == (
        "A center you chose no longer takes appointments for TSA PreCheck. Check your choices."
    )
    assert re.search(rf'value="{BOSTON}" checked', _waitlist(html)) and _entries(app) == 0


# 3. The search starts from the traveler's home ZIP code


def _rows(html: str) -> list[str]:
    table = html.split('data-testid="centers"')[1].split("</table>")[0]
    return re.findall(r'<th scope="row"[^>]*>([^<]*)</th>', table)


def test_the_center_search_starts_from_the_home_zip_code_nearest_first_and_can_be_changed(app, client):
    """José lives in Austin (78701-1234): the page starts there, the ZIP code filled in and said to be his home's,
    Houston's center first. He can search from another ZIP code, or from none."""
    reference = _traveler(app, client, "jose@example.com", home_zip="78701-1234")
    html = client.get(f"/applications/{reference}/appointment").get_data(as_text=True)
    assert 'id="zip" name="zip" value="78701"' in html
    assert "From your home address. Change it to search near another place." in html
    assert 'data-testid="distance"' in html
    assert _rows(html)[0] == "George Bush Intercontinental Enrollment Center"  # Houston, about 150 miles
    chicago = client.get(f"/applications/{reference}/appointment?zip=60601").get_data(as_text=True)
    assert 'value="60601"' in chicago and "From your home address" not in chicago
    assert _rows(chicago)[0] == "Chicago O&#39;Hare International Enrollment Center"
    cleared = client.get(f"/applications/{reference}/appointment?zip=").get_data(as_text=True)
    assert 'data-testid="distance"' not in cleared and 'name="zip" value=""' in cleared


@pytest.mark.parametrize("postal_code, country", [("M5V 2T6", "CA"), ("00000", "US")])
def test_a_home_address_abroad_or_an_unknown_zip_code_starts_the_search_without_one(app, client, postal_code, country):
    reference = _traveler(
        app, client, f"abroad.{country.lower()}@example.com", home_zip=postal_code, home_country=country
    )
    response = client.get(f"/applications/{reference}/appointment")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="zip" value=""' in html and "From your home address" not in html


# 4. A time that cannot be changed online is marked and confirmed; cancelling asks first


@pytest.fixture
def jfk_open(app):
    """JFK with times from three days on, and a telephone number for the test (put back afterwards)."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, JFK)
        saved = jfk.phone_number
        jfk.phone_number = "718-555-0100"
        generate_slots(jfk, start=service_today() + dt.timedelta(days=3), days=7)
        db.session.commit()
    yield
    with app.app_context():
        db.session.get(EnrollmentCenter, JFK).phone_number = saved
        db.session.commit()


def _times(client, reference) -> tuple[list[str], str]:
    html = client.get(f"/applications/{reference}/appointment/{JFK}").get_data(as_text=True)
    return re.findall(r'name="slot_id" value="(\d+)"', html), html


def _clock_before_first_time(app, monkeypatch, slot_id: str, before: dt.timedelta) -> dt.datetime:
    from trusted_traveler.scheduling.models import Slot

    with app.app_context():
        starts_at = db.session.get(Slot, int(slot_id)).starts_at
    monkeypatch.setattr("trusted_traveler.web.portal.appointments.utcnow", lambda: starts_at - before)
    return starts_at - before


def test_a_time_inside_the_cut_off_is_marked_and_booked_only_once_confirmed(app, client, jfk_open, monkeypatch):
    reference = _traveler(app, client, "final@example.com")
    slots, html = _times(client, reference)
    assert 'data-testid="final-time"' not in html  # three days away: all can be changed online
    _clock_before_first_time(app, monkeypatch, slots[0], dt.timedelta(hours=20))
    slots, html = _times(client, reference)
    marked = re.findall(r'id="final-(\d+)" data-testid="final-time">([^<]*)<', html)
    assert marked and marked[0] == (slots[0], "You can't change or cancel this time online.")
    assert {slot for slot, _ in marked} < set(slots)  # the later times of the day are not marked
    assert f'aria-describedby="final-{slots[0]}"' in html

    review = client.post(f"/applications/{reference}/appointment/book", data={"slot_id": slots[0]})
    page = review.get_data(as_text=True)
    assert review.status_code == 200 and "Check this time before you book it" in page
    warning = html_lib.unescape(page.split('data-testid="final-warning"')[1].split("</div></div>")[0])
    assert "You can't change or cancel this time online" in warning
    assert "To change it, contact John F. Kennedy International Enrollment Center at 718-555-0100." in warning
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0  # nothing booked yet
    booked = client.post(f"/applications/{reference}/appointment/book", data={"slot_id": slots[0], "confirm": "yes"})
    assert booked.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Appointment.slot_id)) == int(slots[0])


def test_a_time_outside_the_cut_off_books_with_one_press(app, client, jfk_open):
    reference = _traveler(app, client, "quick@example.com")
    slots, _ = _times(client, reference)
    assert client.post(f"/applications/{reference}/appointment/book", data={"slot_id": slots[0]}).status_code == 302


def test_inside_the_cut_off_the_status_page_gives_the_centers_telephone(app, client, jfk_open):
    reference = _traveler(app, client, "late@example.com")
    slots, _ = _times(client, reference)
    client.post(f"/applications/{reference}/appointment/book", data={"slot_id": slots[0]})
    with app.app_context():
        appointment = db.session.scalar(select(Appointment))
        appointment.slot.starts_at = dt.datetime.now(dt.UTC) + dt.timedelta(hours=5)
        db.session.commit()
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert (
        "Online changes close 24 hours before the appointment. "
        "To change it, contact John F. Kennedy International Enrollment Center at 718-555-0100."
    ) in page


def test_cancelling_asks_for_confirmation_first(app, client, jfk_open):
    reference = _traveler(app, client, "cancel@example.com")
    slots, _ = _times(client, reference)
    client.post(f"/applications/{reference}/appointment/book", data={"slot_id": slots[0]})
    status = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert f'href="/applications/{reference}/appointment/cancel">Cancel this appointment</a>' in status

    ask = client.get(f"/applications/{reference}/appointment/cancel")
    page = ask.get_data(as_text=True)
    assert ask.status_code == 200 and "Cancel your appointment?" in page
    assert "Yes, cancel my appointment" in page and 'name="confirm" value="yes"' in page and "No, keep it" in page

    unconfirmed = client.post(f"/applications/{reference}/appointment/cancel")  # an old page's one-click button
    assert unconfirmed.status_code == 302 and unconfirmed.location.endswith(
        f"/applications/{reference}/appointment/cancel"
    )
    with app.app_context():
        assert db.session.scalar(select(Appointment.status)) == "booked"

    done = client.post(f"/applications/{reference}/appointment/cancel", data={"confirm": "yes"})
    assert done.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Appointment.status)) == "cancelled"
    assert "Your appointment is cancelled" in client.get(f"/applications/{reference}").get_data(as_text=True)


# 5. The cut-off note does not change with each reload


def test_the_cut_off_note_reads_the_same_minute_after_minute(app, client, jfk_open, monkeypatch):
    reference = _traveler(app, client, "stable@example.com")
    slots, _ = _times(client, reference)
    at = _clock_before_first_time(app, monkeypatch, slots[0], dt.timedelta(hours=20))
    notes = []
    for minutes in (0, 7, 13):
        monkeypatch.setattr(
            "trusted_traveler.web.portal.appointments.utcnow", lambda m=minutes: at + dt.timedelta(minutes=m)
        )
        html = _times(client, reference)[1]
        notes.append(html.split('data-testid="cutoff-note"')[1].split("</p>")[0])
    assert notes[0] == notes[1] == notes[2]
    assert "Times less than 24 hours away can&#39;t be changed or cancelled online once you book them." in notes[0]
