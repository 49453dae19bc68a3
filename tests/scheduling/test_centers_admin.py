"""Administrators and program leads edit centers; cutting hours or adding a closure never drops a booking silently:
the affected appointments are counted by time for whoever made the change, listed with their travelers for a
supervisor (each view audited), and their travelers are told."""

import datetime as dt
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests.factories import change_hours, create_account, create_application, create_profile, sign_in
from trusted_traveler.audit.models import AuditEvent
from trusted_traveler.auth.models import Account
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import Notification
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling.lookups import describe_time
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot
from trusted_traveler.scheduling.slots import generate_slots, local_time


def _hours(open_="08:00", close="16:00", seats="2"):
    data = {}
    for d in range(7):
        weekday_open = d < 5
        data.update(
            {
                f"days-{d}-weekday": str(d),
                f"days-{d}-opens_at": open_ if weekday_open else "",
                f"days-{d}-closes_at": close if weekday_open else "",
                f"days-{d}-slot_minutes": "15",
                f"days-{d}-seats": seats,
            }
        )
    return data


@pytest.fixture
def booked(app, today, now):
    """A traveler booked at JFK at the first slot of a day a week from now."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=today + dt.timedelta(days=7), days=3)
        application = create_application("precheck", submitted=True)
        slot = db.session.scalars(select(Slot).where(Slot.center_id == 8001).order_by(Slot.starts_at)).first()
        scheduling.book(application, slot, by=application.profile.account, now=now)
        create_account("centers.admin@example.com", roles=("admin",))
        create_account("super@example.com", roles=("supervisor",))
        db.session.commit()
        return application.reference, local_time(slot.starts_at, jfk).date()


def test_a_program_lead_and_an_admin_can_edit_but_an_officer_cannot(app, client):
    with app.app_context():
        create_account("o@example.com", roles=("officer",))
        create_account("pl@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "o@example.com")
    assert client.get("/admin/centers/8001").status_code == 403
    sign_in(client, "pl@example.com")
    assert "Weekly hours" in client.get("/admin/centers/8001").get_data(as_text=True)


def test_details_are_validated_and_saved(client, booked):
    sign_in(client, "centers.admin@example.com")
    page = client.get("/admin/centers/8001").get_data(as_text=True)
    assert "America/New_York" in page
    data = {
        "name": "JFK Terminal 4",
        "short_name": "JFK",
        "location_type": "AIR",
        "address": "Terminal 4",
        "city": "Jamaica",
        "state": "NY",
        "postal_code": "11430",
        "country_code": "US",
        "tz_name": "Mars/Olympus",
        "service_ids": ["1", "101"],
        "operational": "y",
        "enrollment_on_arrival": "y",
        "min_notice_hours": "2",
        "cancel_cutoff_hours": "24",
        "max_reschedules": "3",
    }
    bad = client.post("/admin/centers/8001", data=data)
    assert bad.status_code == 400 and "That is not a time zone name" in bad.get_data(as_text=True)
    assert 'value="JFK Terminal 4"' in bad.get_data(as_text=True)
    good = client.post("/admin/centers/8001", data={**data, "tz_name": "America/New_York"})
    assert good.status_code == 302
    assert "JFK Terminal 4" in client.get("/admin/centers").get_data(as_text=True)


def test_notes_longer_than_their_limit_are_refused_whole_not_cut_by_the_browser(client, booked):
    """The center's text fields set no maxlength (a browser would cut a longer paste of the travelers' notes without a
    word): a longer text is refused with its length and shown again whole."""
    sign_in(client, "centers.admin@example.com")
    page = client.get("/admin/centers/8001").get_data(as_text=True)
    assert "maxlength" not in page[page.index('name="notes"') - 200 : page.index('name="notes"') + 200]
    notes = "Bring every passport you hold. " * 140  # 4,340 characters
    form = _details(notes=notes)
    refused = client.post("/admin/centers/8001", data=form)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert f"Shorten this to 4,000 characters or fewer: it has {len(notes):,}." in html and notes.strip() in html


def test_shorter_hours_keep_the_booking_list_it_for_a_supervisor_and_tell_the_traveler(app, client, booked, today):
    reference, day = booked
    sign_in(client, "centers.admin@example.com")
    response = change_hours(client, 8001, _hours(open_="12:00"), today, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 booked appointment no longer fits" in html
    with app.app_context():
        notes = db.session.scalars(select(Notification.kind).where(Notification.kind == "appointment_affected")).all()
        assert notes == ["appointment_affected"]
        morning = db.session.scalars(select(Slot).where(Slot.center_id == 8001)).all()
        jfk = db.session.get(EnrollmentCenter, 8001)
        assert all(local_time(s.starts_at, jfk).hour >= 12 or s.booked for s in morning)  # only the booked one stays
    sign_in(client, "super@example.com")
    assert reference in client.get("/admin/centers/8001/conflicts").get_data(as_text=True)


def test_a_closure_on_the_booked_day_is_a_conflict_and_removing_it_resolves_it(app, client, booked):
    reference, day = booked
    sign_in(client, "centers.admin@example.com")
    bad = client.post(
        "/admin/centers/8001/closures",
        data={"starts_on": day.isoformat(), "ends_on": (day - dt.timedelta(days=1)).isoformat(), "reason": "Move"},
    )
    assert bad.status_code == 400 and "ends before it starts" in bad.get_data(as_text=True)
    html = client.post(
        "/admin/centers/8001/closures",
        data={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Power work"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "1 booked appointment no longer fits" in html
    with app.app_context():
        closure_id = db.session.get(EnrollmentCenter, 8001).closures[0].id
    html = client.post(f"/admin/centers/8001/closures/{closure_id}/remove", follow_redirects=True).get_data(
        as_text=True
    )
    assert "No booked appointment is affected" in html


def test_a_program_lead_sees_how_many_appointments_a_closure_affects_and_when_but_not_who(app, client, today, now):
    """A program lead manages capacity, not casework: the center page counts the appointments a closure affects at
    each time and says who will act on them, without the travelers' names or application references."""
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=today + dt.timedelta(days=7), days=3)
        first, second = db.session.scalars(
            select(Slot).where(Slot.center_id == 8001).order_by(Slot.starts_at).limit(2)
        ).all()
        references = []
        for slot in (first, first, second):  # JFK has two seats a slot
            application = create_application("precheck", profile=create_profile(surname="Okafor"), submitted=True)
            scheduling.book(application, slot, by=application.profile.account, now=now)
            references.append(application.reference)
        day, times = local_time(first.starts_at, jfk).date(), (describe_time(first), describe_time(second))
        create_account("lead@example.com", roles=("program_lead",))
        db.session.commit()
    sign_in(client, "lead@example.com")
    html = client.post(
        "/admin/centers/8001/closures",
        data={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Power work"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "3 booked appointments no longer fit the hours" in html
    assert f'<th scope="row">{times[0]}</th><td>2</td>' in html and f'<th scope="row">{times[1]}</th><td>1</td>' in html
    assert "or officers at the center will contact them to move or cancel the appointment" in html
    assert "Okafor" not in html and not any(reference in html for reference in references)
    assert "/admin/centers/8001/conflicts" not in html  # the travelers' names are for supervisors


def test_a_supervisor_who_opens_the_affected_appointments_is_recorded_for_each_traveler_named(app, client, booked):
    reference, day = booked
    sign_in(client, "centers.admin@example.com")
    client.post(
        "/admin/centers/8001/closures",
        data={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Power work"},
    )
    sign_in(client, "super@example.com")
    assert reference in client.get("/admin/centers/8001/conflicts").get_data(as_text=True)
    with app.app_context():
        supervisor = db.session.scalar(select(Account.id).where(Account.email == "super@example.com"))
        seen = db.session.execute(
            select(AuditEvent.actor_id, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.details).where(
                AuditEvent.action == "conflicts.viewed"
            )
        ).all()
    assert [tuple(row) for row in seen] == [(supervisor, "application", reference, {"center": 8001})]


def test_hours_must_make_sense(client, booked, today):
    sign_in(client, "centers.admin@example.com")
    data = {**_hours(), "effective_from": today.isoformat()}
    data.update({"days-0-opens_at": "17:00", "days-1-closes_at": "", "days-2-opens_at": "8am"})
    html = client.post("/admin/centers/8001/hours/preview", data=data).get_data(as_text=True)
    assert "Monday, closing time: Make it later than the opening time, 17:00." in html
    assert "Tuesday, closing time: Enter the closing time too, or leave both times empty to close the day." in html
    assert "Wednesday, opening time: Enter a time as HH:MM, like 08:00." in html
    # beside the opening time it is about, not the closing time
    error = html.index('id="days-2-opens_at-error"')
    assert "Enter a time as HH:MM" in html[error : error + 200]
    assert 'id="days-2-closes_at-error"' not in html


def test_closing_the_day_of_an_offer_withdraws_it_says_so_and_the_travelers_old_page_books_nothing(app, client, today):
    """The administrator is told how many offers went; the traveler is told in their notifications, and taking the
    time from the page they still have open is refused with a plain message, their place on the waitlist kept."""
    from trusted_traveler.scheduling import waitlist

    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        generate_slots(jfk, start=today + dt.timedelta(days=7), days=3)
        slot = db.session.scalars(select(Slot).where(Slot.center_id == 8001).order_by(Slot.starts_at)).first()
        day = local_time(slot.starts_at, jfk).date()
        waiting = create_application("precheck", submitted=True)
        waitlist.join(waiting, [jfk], earliest=day, latest=day, by=waiting.profile.account)
        now = dt.datetime.now(dt.UTC)
        other = create_application("precheck", submitted=True)  # books the time and lets it go: it is offered
        appointment = scheduling.book(other, slot, by=other.profile.account, now=now)
        scheduling.cancel(appointment, by=other.profile.account, now=now)
        email, reference, slot_id = waiting.profile.account.email, waiting.reference, slot.id
        create_account("centers.admin@example.com", roles=("admin",))
        db.session.commit()
    sign_in(client, email)
    page = client.get(f"/applications/{reference}").get_data(as_text=True)
    assert "An earlier time is held for you" in page and f'name="slot_id" value="{slot_id}"' in page

    admin = app.test_client()
    sign_in(admin, "centers.admin@example.com")
    html = admin.post(
        "/admin/centers/8001/closures",
        data={"starts_on": day.isoformat(), "ends_on": day.isoformat(), "reason": "Power work"},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "No booked appointment is affected. 1 waitlist offer for a time that no longer fits was withdrawn" in html

    response = client.post(f"/applications/{reference}/waitlist/accept", data={"slot_id": str(slot_id)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The time we offered you is no longer available. You keep your place on the waitlist" in page
    assert "You are on the waitlist" in page and "Your appointment" not in page
    notices = client.get("/notifications").get_data(as_text=True)
    assert "John F. Kennedy International Enrollment Center changed its hours: the time we offered you" in notices


def _details(**changes):
    data = {
        "name": "John F. Kennedy International Enrollment Center",
        "short_name": "JFK Airport",
        "location_type": "AIR",
        "address": "Terminal 4",
        "city": "Jamaica",
        "state": "NY",
        "postal_code": "11430",
        "country_code": "US",
        "tz_name": "America/New_York",
        "service_ids": ["1", "101"],
        "operational": "y",
        "min_notice_hours": "2",
        "cancel_cutoff_hours": "24",
        "max_reschedules": "3",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def test_a_new_time_zone_replans_the_slots_and_says_so(app, client, booked):
    """The booking at 8:00 New York time is 5:00 in Los Angeles, before the center opens there: a conflict its
    traveler is told about; the free times are the hours in the new zone."""
    reference, day = booked
    sign_in(client, "centers.admin@example.com")
    html = client.post(
        "/admin/centers/8001", data=_details(tz_name="America/Los_Angeles"), follow_redirects=True
    ).get_data(as_text=True)
    assert "1 booked appointment no longer fits; its traveler has been told" in html
    assert "its free times now follow the America/Los_Angeles time zone" in html
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        free = [s for s in db.session.scalars(select(Slot).where(Slot.center_id == 8001)) if not s.booked]
        assert free and {local_time(s.starts_at, jfk).hour for s in free} == set(range(8, 16))
        kinds = db.session.scalars(
            select(Notification.kind).where(Notification.kind.like("appointment_%")).order_by(Notification.id)
        ).all()
        assert kinds == ["appointment_booked", "appointment_affected"]  # booked first, then told of the change


def test_a_center_set_not_operational_tells_its_booked_travelers_and_the_administrator(app, client, booked):
    reference, day = booked
    sign_in(client, "centers.admin@example.com")
    html = client.post("/admin/centers/8001", data=_details(operational=None), follow_redirects=True).get_data(
        as_text=True
    )
    assert "1 booked appointment no longer fits; its traveler has been told" in html
    with app.app_context():
        (title,) = db.session.scalars(
            select(Notification.title).where(Notification.kind == "appointment_affected")
        ).all()
        assert title == "John F. Kennedy International Enrollment Center is not taking appointments now."
    html = client.post("/admin/centers/8001", data=_details(), follow_redirects=True).get_data(as_text=True)
    assert "No booked appointment is affected" in html  # open again: the booking stands, and its traveler hears so
    with app.app_context():
        assert db.session.scalars(
            select(Notification.kind).where(Notification.kind == "appointment_goes_ahead")
        ).all() == ["appointment_goes_ahead"]


def test_a_center_with_the_longest_name_set_not_operational_tells_its_travelers_in_a_title_that_fits(
    app, client, booked
):
    """The notice's title is made around the center's name (up to 200 characters), which can make it longer than a
    title holds: it is shortened at a word, and the change is saved (it was an error page on PostgreSQL)."""
    sign_in(client, "centers.admin@example.com")
    name = "John F. Kennedy International Airport Terminal Four Trusted Traveler Enrollment Center " * 3
    response = client.post("/admin/centers/8001", data=_details(name=name[:200].strip(), operational=None))
    assert response.status_code == 302
    with app.app_context():
        (title,) = db.session.scalars(
            select(Notification.title).where(Notification.kind == "appointment_affected")
        ).all()
        assert len(title) <= 200 and title.startswith("John F. Kennedy International Airport") and title[-1] == "…"


def test_a_closure_already_over_or_longer_than_a_year_is_refused_and_what_was_typed_kept(app, client, booked, today):
    """2001-01-01 to 2001-01-02 is over; 0001-01-01 to 9999-12-31 would close the center for good. Both are refused
    beside the last day, with the dates and the reason kept; a closure running today and one of a full year are not."""
    sign_in(client, "centers.admin@example.com")
    year_on = today + dt.timedelta(days=366)
    for starts, ends, message in (
        ("2001-01-01", "2001-01-02", f"The closure ends before today ({today}): add closures for days still to come."),
        ("0001-01-01", "9999-12-31", "A closure can last at most 366 days. To close the center for good, uncheck"),
        (today.isoformat(), year_on.isoformat(), "A closure can last at most 366 days."),
    ):
        response = client.post(
            "/admin/centers/8001/closures", data={"starts_on": starts, "ends_on": ends, "reason": "Renovation work"}
        )
        html = response.get_data(as_text=True)
        assert response.status_code == 400, (starts, ends)
        assert message in html and 'class="usa-error-message" id="ends_on-error"' in html
        assert f'value="{starts}"' in html and f'value="{ends}"' in html and 'value="Renovation work"' in html
    with app.app_context():
        assert db.session.get(EnrollmentCenter, 8001).closures == []

    for starts, ends in ((today - dt.timedelta(days=2), today), (today + dt.timedelta(days=1), year_on)):
        response = client.post(
            "/admin/centers/8001/closures",
            data={"starts_on": starts.isoformat(), "ends_on": ends.isoformat(), "reason": "Renovation work"},
        )
        assert response.status_code == 302
    with app.app_context():
        closures = db.session.get(EnrollmentCenter, 8001).closures
        assert sorted((c.starts_on, c.ends_on) for c in closures) == [
            (today - dt.timedelta(days=2), today),
            (today + dt.timedelta(days=1), year_on),
        ]


def test_an_administrator_gives_a_center_its_coordinates_and_bad_ones_are_explained(app, client, booked):
    """A center's latitude and longitude (which a traveler's ZIP code search sorts by) are edited with its details:
    a value that is not a number of degrees in range, or one without the other, is explained beside the field and
    everything typed kept; clearing both is allowed (the center is then listed last)."""
    from tests.test_hostile_staff_input import CENTER_DETAILS

    sign_in(client, "centers.admin@example.com")
    page = client.get("/admin/centers/8001").get_data(as_text=True)
    assert 'name="latitude"' in page and 'value="40.6' in page  # the seeded coordinates, to edit
    for latitude, longitude, message in (
        ("north", "-73.78", "Enter a number of degrees between -90 and 90, like 38.8871."),
        ("91", "-73.78", "Enter a number of degrees between -90 and 90, like 38.8871."),
        ("nan", "-73.78", "Enter a number of degrees between -90 and 90, like 38.8871."),
        ("40.64", "-inf", "Enter a number of degrees between -180 and 180, like -77.0932."),
        ("40.64", "", "Enter both the latitude and the longitude, or neither."),
    ):
        bad = client.post("/admin/centers/8001", data={**CENTER_DETAILS, "latitude": latitude, "longitude": longitude})
        html = bad.get_data(as_text=True)
        assert bad.status_code == 400 and message in html, (latitude, longitude)
        assert 'value="JFK Terminal 4"' in html  # what was typed is kept
    placed = {**CENTER_DETAILS, "latitude": " 40.6413 ", "longitude": "-73.7781"}
    saved = client.post("/admin/centers/8001", data=placed)
    assert saved.status_code == 302
    with app.app_context():
        jfk = db.session.get(EnrollmentCenter, 8001)
        assert (jfk.latitude, jfk.longitude) == (40.6413, -73.7781)
    cleared = client.post("/admin/centers/8001", data={**CENTER_DETAILS, "latitude": "", "longitude": ""})
    assert cleared.status_code == 302
    with app.app_context():
        assert db.session.get(EnrollmentCenter, 8001).latitude is None


class _Form(HTMLParser):
    """What a browser would send from the page's form posting to `action`: its text fields and hidden inputs, the
    boxes that are ticked, each select's chosen option and each text area's text. `attrs` holds every input's
    attributes by id."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside = action, False
        self.data: list[tuple[str, str]] = []
        self.attrs: dict[str, dict] = {}
        self._select: str | None = None
        self._textarea: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.inside = attrs.get("action") == self.action
        if not self.inside:
            return
        if tag == "input":
            self.attrs[attrs.get("id") or attrs["name"]] = attrs
            if attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                self.data.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "select":
            self._select = attrs["name"]
        elif tag == "option" and self._select and "selected" in attrs:
            self.data.append((self._select, attrs["value"]))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.data.append((self._textarea[0], self._textarea[1].removeprefix("\n")))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data


def _form(html: str, action: str) -> _Form:
    parsed = _Form(action)
    parsed.feed(html)
    assert parsed.data, f"no form posting to {action}"
    return parsed


def _ticked(html: str) -> set[str]:
    """The details' boxes that are ticked on the page."""
    return {name for name, _value in _form(html, "/admin/centers/8001").data if name in SWITCHES}


SWITCHES = ("operational", "temporary", "invite_only", "enrollment_on_arrival")


def test_another_forms_errors_leave_the_details_and_the_other_forms_as_saved(client, booked, today):
    """JFK is operational with Enrollment on Arrival. Bad hours (previewed or saved), "Change the hours" from the
    preview, an empty closure, a change of hours that cannot be withdrawn: each shows the page again, with its own
    error if any, and the other forms show what is saved, not the request's fields of another form (a box absent from
    it read as unticked, and "Save details" then took the center offline)."""
    sign_in(client, "centers.admin@example.com")
    fresh = client.get("/admin/centers/8001").get_data(as_text=True)
    assert _ticked(fresh) == {"operational", "enrollment_on_arrival"}
    saved_hours = dict(_form(fresh, "/admin/centers/8001/hours/preview").data)
    assert saved_hours["days-0-opens_at"] == "08:00" and saved_hours["days-0-seats"] == "2"
    bad_hours = {**_hours(), "effective_from": today.isoformat(), "days-0-opens_at": "17:00"}
    for path, data, status in (
        ("/admin/centers/8001/hours/preview", bad_hours, 400),
        ("/admin/centers/8001/hours/preview", {**_hours(), "effective_from": today.isoformat(), "action": "edit"}, 200),
        ("/admin/centers/8001/hours", {**bad_hours, "hours_version": "1"}, 400),
        ("/admin/centers/8001/closures", {"starts_on": "", "ends_on": "", "reason": ""}, 400),
        ("/admin/centers/8001/hours/withdraw", {"starts_on": today.isoformat()}, 409),
    ):
        response = client.post(path, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == status, path
        assert _ticked(html) == {"operational", "enrollment_on_arrival"}, path
        details = dict(_form(html, "/admin/centers/8001").data)
        assert details["name"] == "John F. Kennedy International Enrollment Center" and details["min_notice_hours"]
        if "hours" not in path:
            assert dict(_form(html, "/admin/centers/8001/hours/preview").data) == saved_hours, path
        if "closures" not in path:
            closure = dict(_form(html, "/admin/centers/8001/closures").data)
            assert (closure["starts_on"], closure["ends_on"], closure["reason"]) == ("", "", ""), path
            assert "usa-input--error" not in html[html.index('action="/admin/centers/8001/closures"') :], path

    # the details' own error keeps what was typed there, and the hours and closure forms stay as saved
    response = client.post("/admin/centers/8001", data=_details(tz_name="Mars/Olympus", enrollment_on_arrival="y"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "That is not a time zone name" in html
    assert _ticked(html) == {"operational", "enrollment_on_arrival"}
    assert dict(_form(html, "/admin/centers/8001/hours/preview").data) == saved_hours


def test_save_details_right_after_another_forms_error_keeps_the_center_operational(app, client, booked, today):
    """The reviewer's path: bad hours, then "Save details" untouched, as the browser sends the form shown."""
    sign_in(client, "centers.admin@example.com")
    for path, data in (
        ("/admin/centers/8001/hours/preview", {**_hours(), "effective_from": today.isoformat(), "days-1-seats": "0"}),
        ("/admin/centers/8001/closures", {"starts_on": "", "ends_on": "", "reason": ""}),
    ):
        html = client.post(path, data=data).get_data(as_text=True)
        assert "There is a problem" in html
        response = client.post("/admin/centers/8001", data=MultiDict(_form(html, "/admin/centers/8001").data))
        assert response.status_code == 302, path
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Center details saved." in page and _ticked(page) == {"operational", "enrollment_on_arrival"}
        with app.app_context():
            jfk = db.session.get(EnrollmentCenter, 8001)
            assert (jfk.operational, jfk.enrollment_on_arrival) == (True, True), path


def test_hours_not_whole_numbers_keep_what_was_typed_and_are_marked_invalid(client, booked, today):
    """ "two" minutes or seats (a browser's number field forced to text) is explained and shown again as typed; every
    hours field with an error is aria-invalid, as every other field is (field_attrs), and the others are not."""
    sign_in(client, "centers.admin@example.com")
    data = {**_hours(), "effective_from": today.isoformat(), "days-0-slot_minutes": "two", "days-1-seats": "2.5"}
    data["days-2-closes_at"] = "7am"
    response = client.post("/admin/centers/8001/hours/preview", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Monday, minutes per slot: Enter a whole number of minutes from 5 to 240." in html
    assert "Tuesday, seats per slot: Enter a whole number of seats from 1 to 100." in html
    fields = _form(html, "/admin/centers/8001/hours/preview").attrs
    assert fields["days-0-slot_minutes"]["value"] == "two" and fields["days-1-seats"]["value"] == "2.5"
    # as text: a browser's number field would show "two" empty; the numbers that were read stay number fields
    assert fields["days-0-slot_minutes"]["type"] == fields["days-1-seats"]["type"] == "text"
    assert fields["days-0-seats"]["type"] == fields["days-1-slot_minutes"]["type"] == "number"
    invalid = {name for name, attrs in fields.items() if attrs.get("aria-invalid") == "true"}
    assert invalid == {"days-0-slot_minutes", "days-1-seats", "days-2-closes_at"}
    for name in sorted(invalid):
        assert fields[name]["aria-describedby"] == f"{name}-error"
        assert "usa-input--error" in fields[name]["class"]
    assert fields["days-0-opens_at"]["aria-label"] == "Opens (HH:MM), Monday"
