"""The waitlist: a freed seat is offered in joining order and held for that person; accepting books it; expiry
passes it on; the state lives in the database, so a worker restart changes nothing."""

import datetime as dt

import pytest
from sqlalchemy import select

from tests.factories import create_account, create_application, create_profile
from trusted_traveler.casework.states import Status
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.notifications.models import OutboxMessage
from trusted_traveler.scheduling import service as scheduling
from trusted_traveler.scheduling import waitlist
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot

pytestmark = pytest.mark.usefixtures("app_ctx")


def _slot(now: dt.datetime, hours, capacity=1):
    slot = Slot(center_id=8001, starts_at=now + dt.timedelta(hours=hours), capacity=capacity)
    db.session.add(slot)
    db.session.flush()
    return slot


def _person(name):
    return create_application("precheck", submitted=True, profile=create_profile(create_account(f"{name}@example.com")))


def _join(now: dt.datetime, application):
    jfk = db.session.get(EnrollmentCenter, 8001)
    return waitlist.join(
        application,
        [jfk],
        earliest=service_today(),  # JFK's today (New York's, the service's), whatever the hour in UTC
        latest=now.date() + dt.timedelta(days=30),
        by=application.profile.account,
    )


def test_a_freed_seat_is_offered_to_the_first_to_join_and_held_from_everyone_else(now):
    soon = _slot(now, 48)
    holder = _person("holder")
    appointment = scheduling.book(holder, soon, by=holder.profile.account, now=now)
    first, second, outsider = _person("first"), _person("second"), _person("outsider")
    first_entry, second_entry = _join(now, first), _join(now, second)
    scheduling.cancel(appointment, by=holder.profile.account, now=now)  # the seat frees up
    assert (first_entry.status, second_entry.status) == ("offered", "waiting")
    assert soon.held == 1 and soon.booked == 0
    with pytest.raises(scheduling.SlotTaken):
        scheduling.book(outsider, soon, by=outsider.profile.account, now=now)  # held for the first in line
    offers = db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "email.waitlist_offer")).all()
    assert [m.recipient for m in offers] == ["first@example.com"]
    scheduling.accept_offer(first_entry, by=first.profile.account, now=now)
    assert first.status == Status.ENROLLMENT_SCHEDULED and soon.booked == 1 and soon.held == 0
    assert first_entry.status == "booked"


def test_an_expired_offer_passes_to_the_next_person_even_after_a_worker_restart(app, now):
    soon = _slot(now, 48)
    holder = _person("holder")
    appointment = scheduling.book(holder, soon, by=holder.profile.account, now=now)
    first, second = _person("first"), _person("second")
    first_entry, second_entry = _join(now, first), _join(now, second)
    scheduling.cancel(appointment, by=holder.profile.account, now=now)
    db.session.commit()  # the worker that made the offer stops here
    first_id, second_id, slot_id = first_entry.id, second_entry.id, soon.id
    db.session.remove()

    later = now + dt.timedelta(minutes=31)  # past the 30-minute hold
    with app.app_context():  # a new worker process
        assert waitlist.expire_offers(later) == 1
        db.session.commit()
        from trusted_traveler.scheduling.models import WaitlistEntry

        first_entry, second_entry = db.session.get(WaitlistEntry, first_id), db.session.get(WaitlistEntry, second_id)
        assert (first_entry.status, second_entry.status) == ("expired", "offered")
        with pytest.raises(BusinessRuleViolation, match="expired"):
            waitlist.take_held_seat(first_entry, now=later)
        assert waitlist.expire_offers(later) == 0  # nothing offered twice
        assert db.session.get(Slot, slot_id).held == 1


def test_only_an_earlier_time_is_offered_to_someone_who_already_has_one(now):
    early, late = _slot(now, 40), _slot(now, 200)
    booked = _person("booked")
    scheduling.book(booked, early, by=booked.profile.account, now=now)
    entry = _join(now, booked)
    other = _person("other")
    appointment = scheduling.book(other, late, by=other.profile.account, now=now)
    scheduling.cancel(appointment, by=other.profile.account, now=now)
    assert entry.status == "waiting" and late.held == 0


def test_a_freed_seat_is_offered_with_the_same_queries_for_3_or_30_people_waiting(app, now):
    """Each waiting person is judged (their dates, any earlier appointment they hold) without queries of their own:
    a popular center's waitlist runs to hundreds, and the traveler who cancels waits for this."""
    from tests.support.queries import count_queries

    def freed_with_waiting(count: int, tag: str, hours: int):
        for n in range(count - 1):  # each already holds a time earlier than the one that frees up
            person = _person(f"{tag}{n}")
            scheduling.book(person, _slot(now, hours + n), by=person.profile.account, now=now)
            _join(now, person)
        last = _join(now, _person(f"{tag}-last"))  # the one who wants it, last in the queue
        holder = _person(f"{tag}-holder")
        appointment = scheduling.book(holder, _slot(now, hours + 200), by=holder.profile.account, now=now)
        db.session.flush()
        with count_queries(app) as seen:
            scheduling.cancel(appointment, by=holder.profile.account, now=now)
            db.session.flush()
        assert last.status == "offered"
        return seen

    few, many = freed_with_waiting(3, "few", 30), freed_with_waiting(30, "many", 100)
    assert len(many) == len(few), many


def test_one_place_in_the_queue_per_application_and_leaving_releases_a_hold(now):
    application = _person("twice")
    entry = _join(now, application)
    with pytest.raises(BusinessRuleViolation, match="already on the waitlist"):
        _join(now, application)
    waitlist.leave(entry, now=now)
    assert entry.status == "cancelled"


def test_the_traveler_who_cancels_is_not_offered_back_the_seat_they_let_go(now):
    soon = _slot(now, 48)
    canceller, next_in_line = _person("canceller"), _person("next")
    appointment = scheduling.book(canceller, soon, by=canceller.profile.account, now=now)
    own_entry = _join(now, canceller)  # joined first, hoping for something earlier still
    next_entry = _join(now, next_in_line)
    scheduling.cancel(appointment, by=canceller.profile.account, now=now)
    assert (own_entry.status, next_entry.status) == ("waiting", "offered")


def test_a_traveler_whose_application_moved_on_leaves_the_queue_instead_of_being_offered(now):
    soon = _slot(now, 48)
    holder, moved_on, waiting = _person("holder"), _person("moved-on"), _person("waiting")
    appointment = scheduling.book(holder, soon, by=holder.profile.account, now=now)
    moved_on_entry, waiting_entry = _join(now, moved_on), _join(now, waiting)
    moved_on.status = Status.WITHDRAWN  # withdrawn (or visited, or decided) since joining
    scheduling.cancel(appointment, by=holder.profile.account, now=now)
    assert (moved_on_entry.status, waiting_entry.status) == ("cancelled", "offered")


def test_no_offer_to_someone_who_could_not_move_their_appointment_online(now):
    soon = _slot(now, 10)
    holder = _person("holder")
    appointment = scheduling.book(holder, soon, by=holder.profile.account, now=now)
    inside_cutoff = _person("inside-cutoff")  # their visit is 20 hours away: online changes close 24 hours before
    scheduling.book(inside_cutoff, _slot(now, 20), by=inside_cutoff.profile.account, now=now)
    moved_enough = _person("moved-three-times")
    theirs = scheduling.book(moved_enough, _slot(now, 30), by=moved_enough.profile.account, now=now)
    theirs.reschedule_count = 3  # the most JFK allows online
    free = _person("free")  # nothing booked yet
    entries = [_join(now, inside_cutoff), _join(now, moved_enough), _join(now, free)]
    officer = create_account("center.officer@example.com", roles=("officer",))  # inside the cut-off: staff cancel
    scheduling.cancel(appointment, by=officer, now=now)
    assert [e.status for e in entries] == ["waiting", "waiting", "offered"]


def test_an_offer_ends_by_the_centers_minimum_notice_and_a_seat_too_close_is_not_offered(now):
    holder, waiting = _person("holder"), _person("waiting")
    entry = _join(now, waiting)
    close = _slot(now, 2 + 1 / 3)  # JFK's minimum notice is 2 hours: 20 minutes left to accept
    appointment = scheduling.book(holder, close, by=holder.profile.account, now=now - dt.timedelta(hours=1))
    scheduling.cancel(appointment, by=create_account("staff.canceller@example.com", roles=("officer",)), now=now)
    assert entry.status == "offered"
    assert entry.offer_expires_at == close.starts_at - dt.timedelta(hours=2)  # not the 30-minute hold
    waitlist.leave(entry, now=now)

    other = _person("other")
    other_entry = _join(now, other)
    too_close = _slot(now, 2 + 0.2)  # 12 minutes to accept: no offer
    appointment = scheduling.book(holder, too_close, by=holder.profile.account, now=now - dt.timedelta(hours=1))
    scheduling.cancel(appointment, by=create_account("staff.two@example.com", roles=("officer",)), now=now)
    assert other_entry.status == "waiting" and too_close.held == 0


def test_leaving_while_an_offer_is_held_passes_the_seat_to_the_next_person(now):
    soon = _slot(now, 48)
    holder = _person("holder")
    appointment = scheduling.book(holder, soon, by=holder.profile.account, now=now)
    first, second = _person("first"), _person("second")
    first_entry, second_entry = _join(now, first), _join(now, second)
    scheduling.cancel(appointment, by=holder.profile.account, now=now)
    assert first_entry.status == "offered"
    waitlist.leave(first_entry, now=now + dt.timedelta(minutes=5))
    assert (first_entry.status, second_entry.status) == ("cancelled", "offered")
    assert (soon.booked, soon.held) == (0, 1)
    offers = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "email.waitlist_offer").order_by(OutboxMessage.id)
    ).all()
    assert [m.recipient for m in offers] == ["first@example.com", "second@example.com"]


def _two_offers_and_one_waiting(hold_ends: dt.datetime, now: dt.datetime):
    """A slot with 2 seats, both held: for `first` (whose hold ends at `hold_ends`) and `second` (whose hold ends
    later); `third` waits. Committed, for other sessions to read. Returns the ids (slot, first, second, third)."""
    soon = _slot(now, 48, capacity=2)
    holders = [_person("holder1"), _person("holder2")]
    appointments = [scheduling.book(h, soon, by=h.profile.account, now=now) for h in holders]
    entries = [_join(now, _person(name)) for name in ("first", "second", "third")]
    for holder, appointment in zip(holders, appointments, strict=True):
        scheduling.cancel(appointment, by=holder.profile.account, now=now)
    assert [e.status for e in entries] == ["offered", "offered", "waiting"] and soon.held == 2
    entries[0].offer_expires_at = hold_ends
    db.session.commit()
    return soon.id, *(e.id for e in entries)


def _seats_and_offers(slot_id):
    from trusted_traveler.scheduling.models import WaitlistEntry

    slot = db.session.get(Slot, slot_id)
    db.session.refresh(slot)
    statuses = db.session.scalars(select(WaitlistEntry.status).order_by(WaitlistEntry.id)).all()
    return (slot.booked, slot.held), statuses


def test_an_offer_the_worker_expired_a_moment_ago_is_not_booked_from_a_page_read_before(app, now):
    """The traveler's accept request read the offer as still held; the worker expired it at that moment (and
    passed the seat on) and committed first. The traveler is told it expired; the seat is not booked on top of the
    two still held, and no one's hold is released in its place."""
    from trusted_traveler.scheduling.models import WaitlistEntry

    hold_ends = now + dt.timedelta(minutes=10)
    slot_id, first_id, _, _ = _two_offers_and_one_waiting(hold_ends, now)
    with app.app_context():  # the traveler's request
        entry = db.session.get(WaitlistEntry, first_id)
        assert entry.status == "offered"
        with app.app_context():  # the worker, a moment later, past the hold
            assert waitlist.expire_offers(hold_ends + dt.timedelta(seconds=1)) == 1
            db.session.commit()
        with pytest.raises(BusinessRuleViolation, match="This offer has expired and went to the next person"):
            scheduling.accept_offer(entry, by=entry.application.profile.account, now=hold_ends)
        db.session.rollback()
    assert _seats_and_offers(slot_id) == ((0, 2), ["expired", "offered", "offered"])


def test_an_offer_accepted_as_the_worker_expires_it_stays_booked_and_its_seat_is_not_released_twice(app, now):
    """The worker read the offer as past its hold while the traveler's accept, sent just in time, was being
    committed. The traveler keeps the seat; the worker releases nothing and passes nothing on (the other hold on
    the slot is still counted, and the third person still waits). Two threads, each with its own session."""
    import threading

    from sqlalchemy import event

    from trusted_traveler.scheduling.models import WaitlistEntry

    hold_ends = now + dt.timedelta(minutes=10)
    slot_id, first_id, _, _ = _two_offers_and_one_waiting(hold_ends, now)
    accepted, worker_read = threading.Event(), threading.Event()
    expired = []

    def traveler():
        with app.app_context():
            entry = db.session.get(WaitlistEntry, first_id)
            scheduling.accept_offer(entry, by=entry.application.profile.account, now=hold_ends)
            accepted.set()
            worker_read.wait(30)  # commits once the worker has read the offer as still outstanding
            db.session.commit()

    def worker():
        accepted.wait(30)
        with app.app_context():
            expired.append(waitlist.expire_offers(hold_ends + dt.timedelta(seconds=1)))
            db.session.commit()

    threads = [threading.Thread(target=traveler), threading.Thread(target=worker)]

    def read_by_worker(conn, cursor, statement, parameters, context, executemany):
        if threading.current_thread() is threads[1] and statement.lstrip().upper().startswith("SELECT"):
            if "waitlist_entries" in statement:
                worker_read.set()

    event.listen(db.engine, "after_cursor_execute", read_by_worker)
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        event.remove(db.engine, "after_cursor_execute", read_by_worker)
    assert worker_read.is_set() and expired == [0]
    assert _seats_and_offers(slot_id) == ((1, 1), ["booked", "offered", "waiting"])
