"""The traveler's booking pages: find a center, choose a time, book, move, cancel, calendar file; the loser of a
race is told the time was just taken and shown the next openings."""

import datetime as dt
import re

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile, sign_in
from tests.test_hostile_staff_input import CENTER_DETAILS
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.scheduling.slots import generate_slots


@pytest.fixture
def conditionally_approved(app, client):
    with app.app_context():
        profile = create_profile(create_account("interview@example.com"))
        application = create_application("global_entry", profile=profile, submitted=True)
        for center_id in (8001, 8008):  # JFK (New York) and ORD (Chicago)
            generate_slots(
                db.session.get(EnrollmentCenter, center_id), start=service_today() + dt.timedelta(days=3), days=7
            )
        db.session.commit()
        reference = application.reference
    sign_in(client, "interview@example.com")
    return reference


def _table(response) -> str:
    return response.get_data(as_text=True).split('data-testid="centers"')[1].split("</table>")[0]


def _first_time(client, reference, center_id=8001):
    html = client.get(f"/applications/{reference}/appointment/{center_id}").get_data(as_text=True)
    return re.findall(r'name="slot_id" value="(\d+)"', html), html


def test_the_status_page_offers_booking_and_the_centers_list_soonest_first(client, conditionally_approved):
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Book your interview" in page
    html = client.get(f"/applications/{conditionally_approved}/appointment").get_data(as_text=True)
    assert "John F. Kennedy International Enrollment Center" in html and "EST" in html
    assert "Enrollment on Arrival" in html
    il = _table(client.get(f"/applications/{conditionally_approved}/appointment?state=IL"))
    assert "O&#39;Hare" in il and "Kennedy" not in il
    near = _table(client.get(f"/applications/{conditionally_approved}/appointment?zip=60601"))
    assert near.index("O&#39;Hare") < near.index("Kennedy")  # a Chicago ZIP lists Chicago first
    bad = client.get(f"/applications/{conditionally_approved}/appointment?zip=abc")
    assert bad.status_code == 400 and "Enter a 5-digit ZIP code" in bad.get_data(as_text=True)


def _rows(table: str) -> list[tuple[str, str]]:
    """(center, distance) for each row of the centers table searched by ZIP code."""
    return re.findall(r'<th scope="row"[^>]*>([^<]*)</th>.*?data-testid="distance">([^<]*)</td>', table, re.S)


def test_a_zip_code_lists_the_centers_nearest_first_with_their_distance_in_miles(app, client):
    """Requirement: "Your ZIP code (nearest first)" orders the centers by the real distance from the ZIP code to each
    center, and says how far each is. An Arlington, VA ZIP code (22201) lists the PreCheck site at the Vienna
    Staples and Washington Dulles first, then Newark and JFK, before Oswego, Boston, Atlanta, Nashville and Miami
    (once listed ahead of them by the closeness of the ZIP codes' first three digits)."""
    with app.app_context():
        profile = create_profile(create_account("arlington@example.com"))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        db.session.commit()
    sign_in(client, "arlington@example.com")
    response = client.get(f"/applications/{reference}/appointment?zip=22201")
    assert response.status_code == 200
    rows = _rows(_table(response))
    names = [name for name, _ in rows]
    assert names[:4] == [
        "IdentoGO – Staples",
        "Washington Dulles International Enrollment Center",
        "Newark Liberty International Enrollment Center",
        "John F. Kennedy International Enrollment Center",
    ]
    assert names.index("John F. Kennedy International Enrollment Center") < names.index(
        "IdentoGO – Universal Enrollment Services Center"  # Oswego, NY
    )
    for farther in ("Boston Logan", "Hartsfield-Jackson Atlanta", "Nashville International Airport", "Miami"):
        assert names.index("John F. Kennedy International Enrollment Center") < next(
            i for i, name in enumerate(names) if farther in name
        )
    miles = [int(distance.replace(",", "").split()[0]) for _, distance in rows]
    assert all(re.fullmatch(r"[\d,]+ miles", distance) for _, distance in rows), rows
    assert miles == sorted(miles) and len(set(miles)) > 10
    assert miles[0] < 15 and 15 < miles[1] < 30  # Vienna is about 8 miles from Arlington, Dulles about 20
    assert 180 < miles[2] < 210 and miles[-1] > 4000  # Newark; Honolulu
    assert "Distance from your ZIP code" in response.get_data(as_text=True)
    plain = _table(client.get(f"/applications/{reference}/appointment?zip="))  # the ZIP code cleared: no distances
    assert "miles" not in plain and 'data-testid="distance"' not in plain


def test_a_zip_code_we_do_not_know_is_named_beside_the_field_and_nothing_typed_is_lost(client, conditionally_approved):
    response = client.get(f"/applications/{conditionally_approved}/appointment?zip=00000&state=NY&city=Jam")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    error = html.split('id="zip-error">')[1].split("</span>")[0]
    assert error == "We do not know the ZIP code 00000. Check it, or search by state or city."
    assert 'value="00000"' in html and 'value="Jam"' in html and '<option value="NY" selected>' in html
    assert 'aria-invalid="true"' in html and "miles" not in _table(response)
    assert "Kennedy" in _table(response)  # the other filters still apply


def test_the_centers_notes_keep_their_paragraphs_on_the_status_page(app, client, conditionally_approved):
    """What an administrator wrote in the center's notes (a text area) is shown to the traveler with its paragraphs and
    line breaks, escaped."""
    with app.app_context():
        create_account("notes.admin@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, "notes.admin@example.com")
    notes = "Your passport.\r\nA <b>pen</b>.\r\n\r\nWalk-ins before 11:00."
    assert client.post("/admin/centers/8001", data={**CENTER_DETAILS, "notes": notes}).status_code == 302
    sign_in(client, "interview@example.com")
    slots, _ = _first_time(client, conditionally_approved)  # saving the center opened times from today on
    client.post(
        f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0], "confirm": "yes"}
    )
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    notes = '<div data-testid="what-to-bring"><p>Your passport.<br>A &lt;b&gt;pen&lt;/b&gt;.</p>'
    notes += "<p>Walk-ins before 11:00.</p>"
    assert f'<p class="text-bold margin-bottom-05">What to bring</p>{notes}' in page
    client.get("/language/es")  # written in English by the center's staff: a Spanish page says so, for screen readers
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert '<p class="text-bold margin-bottom-05">Qué debe traer</p><div data-testid="what-to-bring" lang="en">' in page


def test_book_move_calendar_and_cancel(client, conditionally_approved):
    slots, html = _first_time(client, conditionally_approved)
    assert "times are local" in html and slots
    response = client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0]})
    assert response.status_code == 302
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Your appointment" in page and "Interview scheduled" in page
    assert "Booked: " in page and " at John F. Kennedy International Enrollment Center." in page
    ics = client.get(f"/applications/{conditionally_approved}/appointment.ics")
    assert ics.mimetype == "text/calendar" and b"BEGIN:VEVENT" in ics.data
    client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[1]})  # move
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Moved: your appointment is now " in page and "Booked: " not in page
    assert "Your appointment moved" in client.get("/dashboard").get_data(as_text=True)
    client.post(f"/applications/{conditionally_approved}/appointment/cancel", data={"confirm": "yes"})
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Book your interview" in page and "Conditionally Approved" in page


def test_booking_and_moving_are_confirmed_in_spanish(client, conditionally_approved):
    client.get("/language/es")
    slots, _ = _first_time(client, conditionally_approved)
    client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0]})
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert re.search(r"Reservada: [a-zé]+, \d+ de [a-z]+ de \d{4}", page) and "Booked:" not in page
    client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[1]})
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Cambiada: su cita es ahora el " in page and "Moved:" not in page


def test_the_loser_of_a_race_is_told_and_shown_the_next_openings(app, client, conditionally_approved):
    slots, _ = _first_time(client, conditionally_approved, 8008)
    with app.app_context():
        from trusted_traveler.scheduling.models import Slot

        slot = db.session.get(Slot, int(slots[0]))
        slot.booked = slot.capacity  # everyone else got there first
        db.session.commit()
    response = client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0]})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "That time was just taken by someone else" in html
    assert f'value="{slots[1]}"' in html and f'value="{slots[0]}"' not in html


def test_someone_elses_application_and_bad_input_get_clear_answers(app, client, conditionally_approved):
    with app.app_context():
        other = create_application("precheck", submitted=True)
        db.session.commit()
        other_reference = other.reference
    assert client.get(f"/applications/{other_reference}/appointment").status_code == 404
    assert (
        client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": "x"}).status_code
        == 409
    )
    assert (
        client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": "999999"}).status_code
        == 404
    )
    assert client.get(f"/applications/{conditionally_approved}/appointment.ics").status_code == 404


def test_join_the_waitlist_get_an_offer_and_take_it(app, client, conditionally_approved):
    slots, _ = _first_time(client, conditionally_approved)
    today = service_today()
    response = client.post(
        f"/applications/{conditionally_approved}/waitlist",
        data={
            "center_ids": ["8001"],
            "earliest": today.isoformat(),
            "latest": (today + dt.timedelta(days=20)).isoformat(),
        },
    )
    assert response.status_code == 302
    assert "You are on the waitlist" in client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    with app.app_context():  # someone else cancels the first slot of the day: it frees up
        from trusted_traveler.scheduling import service as scheduling
        from trusted_traveler.scheduling.models import Slot

        other = create_application("global_entry", submitted=True)
        appointment = scheduling.book(
            other, db.session.get(Slot, int(slots[0])), by=other.profile.account, now=dt.datetime.now(dt.UTC)
        )
        scheduling.cancel(appointment, by=other.profile.account, now=dt.datetime.now(dt.UTC))
        db.session.commit()
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "An earlier time is held for you" in page
    with app.test_request_context("/"):  # the hold ends at the center's local time, as the traveler reads it
        from sqlalchemy import select

        from trusted_traveler.scheduling.lookups import describe_moment
        from trusted_traveler.scheduling.models import WaitlistEntry

        entry = db.session.scalar(select(WaitlistEntry).where(WaitlistEntry.status == "offered"))
        held = describe_moment(entry.offer_expires_at, db.session.get(EnrollmentCenter, 8001))
    assert held.endswith(("EST", "EDT")) and f"held for you until {held}" in page
    assert f"It is held for you until {held}. Accept it" in client.get("/notifications").get_data(as_text=True)
    client.post(f"/applications/{conditionally_approved}/waitlist/accept")
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Your appointment" in page and "Interview scheduled" in page


def test_a_center_not_taking_the_programs_appointments_shows_no_times_and_sends_the_traveler_to_find_one(app, client):
    """A PreCheck visit at a Global-Entry-only center, or at a center that stopped taking appointments: no times
    page (a booking there is refused anyway), but the find-a-center page, saying why."""
    from sqlalchemy import select

    from trusted_traveler.scheduling import centers
    from trusted_traveler.scheduling.models import Slot

    with app.app_context():
        profile = create_profile(create_account("visit@example.com"))
        reference = create_application("precheck", profile=profile, submitted=True).reference
        generate_slots(db.session.get(EnrollmentCenter, 5040), start=service_today() + dt.timedelta(days=3), days=7)
        slot_id = db.session.scalars(select(Slot.id).where(Slot.center_id == 5040)).first()  # Seattle: Global Entry
        db.session.commit()
    sign_in(client, "visit@example.com")
    find = f"/applications/{reference}/appointment"

    for request in (
        lambda: client.get(f"{find}/5040"),
        lambda: client.post(f"{find}/book", data={"slot_id": str(slot_id)}),
    ):
        response = request()
        assert response.status_code == 302 and response.headers["Location"] == find
        page = client.get(find).get_data(as_text=True)
        assert "Seattle Urban Enrollment Center does not offer TSA PreCheck. Choose another center." in page
        assert 'data-testid="centers"' in page and 'name="slot_id"' not in page
    assert "Book your enrollment visit" in client.get(f"/applications/{reference}").get_data(as_text=True)

    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        ids = [service.id for service in jfk.services]
        centers.update_details(
            jfk, by=None, fields={"operational": False}, service_ids=ids, now=dt.datetime.now(dt.UTC)
        )
        db.session.commit()
    response = client.get(f"{find}/8001")
    assert response.status_code == 302 and response.headers["Location"] == find
    page = client.get(find).get_data(as_text=True)
    assert "John F. Kennedy International Enrollment Center is not taking appointments now. Choose another" in page


def test_the_same_move_sent_twice_at_once_moves_once_and_the_second_is_told(app, client, conditionally_approved):
    """Two identical "move" requests (a double click, a second tab) that both read the appointment before either
    commits: one moves it; the other is refused with "This changed while you were working" and changes nothing.
    The seat left is freed once (another traveler's booking there still counts), the new one taken once, one notice.
    Each request in its own thread and database session (on PostgreSQL the second waits on the first's row lock)."""
    import threading

    from sqlalchemy import func, select

    from trusted_traveler.notifications.models import Notification
    from trusted_traveler.scheduling import service as scheduling
    from trusted_traveler.scheduling.models import Appointment, Slot

    slots, _ = _first_time(client, conditionally_approved)
    old, new = int(slots[0]), int(slots[1])
    booked = client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": old})
    assert booked.status_code == 302
    with app.app_context():  # someone else has the other seat at the old time
        other = create_application("global_entry", submitted=True)
        scheduling.book(other, db.session.get(Slot, old), by=other.profile.account, now=dt.datetime.now(dt.UTC))
        db.session.commit()
    tabs = [app.test_client(), app.test_client()]
    for tab in tabs:
        sign_in(tab, "interview@example.com")

    both_read = threading.Barrier(2, timeout=30)
    real = scheduling.active_appointment

    def read_together(application):
        found = real(application)
        both_read.wait()  # neither goes on until both have read the appointment as it was
        return found

    answers = []

    def move(tab):
        response = tab.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": new})
        answers.append((response.status_code, response.get_data(as_text=True)))

    scheduling.active_appointment = read_together
    try:
        threads = [threading.Thread(target=move, args=(tab,)) for tab in tabs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        scheduling.active_appointment = real
    assert sorted(code for code, _ in answers) == [302, 409]
    refused = next(html for code, html in answers if code == 409)
    assert "This changed while you were working" in refused and "Reload the page" in refused
    with app.app_context():
        assert db.session.get(Slot, old).booked == 1  # the other traveler's seat
        assert db.session.get(Slot, new).booked == 1
        moved = db.session.scalar(select(Appointment).where(Appointment.slot_id == new))
        assert moved.status == "booked" and moved.reschedule_count == 1
        notices = select(func.count()).select_from(Notification).where(Notification.kind == "appointment_moved")
        assert db.session.scalar(notices) == 1


def _booked_appointment(app, reference):
    from trusted_traveler.casework.models import Application
    from trusted_traveler.scheduling import service as scheduling

    with app.app_context():
        application = db.session.scalar(select(Application).where(Application.reference == reference))
        return scheduling.active_appointment(application).id


def _appointment_starts_in(app, appointment_id: int, hours: float, **fields) -> None:
    from trusted_traveler.db import utcnow
    from trusted_traveler.scheduling.models import Appointment

    with app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        appointment.slot.starts_at = utcnow() + dt.timedelta(hours=hours)
        for name, value in fields.items():
            setattr(appointment, name, value)
        db.session.commit()


def test_inside_the_cut_off_the_status_page_offers_no_move_or_cancel_and_says_whom_to_contact(
    app, client, conditionally_approved
):
    """Within 24 hours of the appointment a traveler can no longer change it online: the page says so and whom to
    contact instead of offering links that would be refused at the end; a cancel or move sent anyway (an old tab)
    brings the traveler back to the page with that message, the appointment unchanged."""
    slots, _ = _first_time(client, conditionally_approved)
    client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0]})
    appointment_id = _booked_appointment(app, conditionally_approved)
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert "Move it" in page and "Cancel this appointment" in page and "no-online-changes" not in page

    _appointment_starts_in(app, appointment_id, hours=5)
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    closed = (
        "Online changes close 24 hours before the appointment. "
        "To change it, contact John F. Kennedy International Enrollment Center at Terminal 4, Jamaica, NY 11430."
    )
    assert closed in page
    assert "Move it" not in page and "Cancel this appointment" not in page

    for method, path in (
        ("POST", f"/applications/{conditionally_approved}/appointment/cancel"),
        ("GET", f"/applications/{conditionally_approved}/appointment"),
        ("GET", f"/applications/{conditionally_approved}/appointment/8008"),
    ):
        sent = client.open(path, method=method)
        assert sent.status_code == 302 and sent.location.endswith(f"/applications/{conditionally_approved}")
        flashed = client.get(sent.location).get_data(as_text=True).split('role="alert"')
        assert len(flashed) == 2 and closed in flashed[1]  # the message, once, beside the appointment's own
    assert _booked_appointment(app, conditionally_approved) == appointment_id


def test_a_traveler_who_used_up_the_moves_may_still_cancel(app, client, conditionally_approved):
    slots, _ = _first_time(client, conditionally_approved)
    client.post(f"/applications/{conditionally_approved}/appointment/book", data={"slot_id": slots[0]})
    _appointment_starts_in(app, _booked_appointment(app, conditionally_approved), hours=72, reschedule_count=3)
    page = client.get(f"/applications/{conditionally_approved}").get_data(as_text=True)
    assert (
        "moved 3 times, the most allowed online. "
        "To change it, contact John F. Kennedy International Enrollment Center at Terminal 4, Jamaica"
    ) in page
    assert "Move it" not in page and "Cancel this appointment" in page
    assert client.get(f"/applications/{conditionally_approved}/appointment").status_code == 302


def test_times_inside_the_cut_off_are_announced_before_one_is_chosen(app, client, conditionally_approved, monkeypatch):
    """A time that cannot be changed online once booked is said to be so on the times page, before it is booked."""
    html = client.get(f"/applications/{conditionally_approved}/appointment/8001").get_data(as_text=True)
    assert 'data-testid="cutoff-note"' not in html  # the first times are three days away
    from trusted_traveler.scheduling import service as scheduling

    first = re.findall(r'name="slot_id" value="(\d+)"', html)[0]
    with app.app_context():
        starts_at = scheduling.get_slot(int(first)).starts_at
    monkeypatch.setattr(
        "trusted_traveler.web.portal.appointments.utcnow", lambda: starts_at - dt.timedelta(hours=23, minutes=30)
    )
    html = client.get(f"/applications/{conditionally_approved}/appointment/8001").get_data(as_text=True)
    note = html.split('data-testid="cutoff-note"')[1].split("</p>")[0]
    assert "Times less than 24 hours away can&#39;t be changed or cancelled online once you book them." in note
    assert (
        "To change one later, contact John F. Kennedy International Enrollment Center at Terminal 4, Jamaica, NY 11430."
        in note
    )
