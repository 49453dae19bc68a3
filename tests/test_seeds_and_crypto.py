"""Seeds are real and idempotent; document numbers and the files travelers send are encrypted at rest and the keys
can be rotated."""

import datetime as dt
import zoneinfo

import pytest
from cryptography.fernet import Fernet
from flask import current_app
from sqlalchemy import func, select, text

from seeds import load_all
from seeds.rules import GLOBAL_ENTRY_RULES, PRECHECK_RULES
from tests.factories import create_profile
from trusted_traveler.crypto import EncryptedBytes, KeyringError, Rotated, keyring, rotate_all_document_numbers
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.profiles.models import IdentityDocument
from trusted_traveler.programs.service import fee_for, get_program, parameter_value
from trusted_traveler.rules.models import Rule
from trusted_traveler.scheduling import nearby
from trusted_traveler.scheduling.models import EnrollmentCenter, Slot

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_seeding_twice_changes_nothing_the_second_time():
    first = load_all()
    db.session.commit()
    second = load_all()
    assert first["personas"] == 10
    assert all(v == 0 for v in second.values()), second
    # the demo's openings are the booking window's weeks (BOOKING_WINDOW_WEEKS), as the worker keeps them open
    last_day = service_today() + dt.timedelta(days=7 * current_app.config["BOOKING_WINDOW_WEEKS"] - 1)
    furthest = db.session.scalar(select(func.max(Slot.starts_at)).where(Slot.center_id == 8008))  # O'Hare
    assert (
        last_day - dt.timedelta(days=7) < furthest.astimezone(zoneinfo.ZoneInfo("America/Chicago")).date() <= last_day
    )


def test_every_seeded_rule_cites_the_rule_it_rests_on():
    """BRIEF.md section 1.3: PreCheck's criminal lists follow 49 CFR 1572.103 (Parts A, B and C), Global Entry's
    disqualifying factors are 8 CFR 235.12(b); each program's rules cite its own agency's rule, never the other's."""
    seeded = {rule.code: rule.citation for rule in db.session.scalars(select(Rule))}
    assert set(seeded) == {rule["code"] for rule in PRECHECK_RULES + GLOBAL_ENTRY_RULES}
    assert all(citation and citation.strip() for citation in seeded.values()), seeded
    assert [seeded[f"precheck.{code}"] for code in ("permanent_offense", "interim_offense", "pending_charge")] == [
        "49 CFR 1572.103(a)",
        "49 CFR 1572.103(b)",
        "49 CFR 1572.103(c)",
    ]
    assert all(seeded[r["code"]].startswith("8 CFR 235.12(b)") for r in GLOBAL_ENTRY_RULES)
    assert not any("8 CFR" in seeded[r["code"]] for r in PRECHECK_RULES)


def test_at_least_25_real_centers_of_every_kind_with_valid_time_zones():
    centers = db.session.scalars(select(EnrollmentCenter)).all()
    assert len(centers) >= 25
    assert {c.location_type for c in centers} == {"AIR", "LND", "TSA"}
    for center in centers:
        zoneinfo.ZoneInfo(center.tz_name)  # raises for an unknown zone
        assert center.services, center.name
    nogales = db.session.get(EnrollmentCenter, 5007)
    assert nogales.tz_name == "America/Phoenix"  # Arizona keeps no daylight saving time


def test_no_seeded_centers_notes_say_both_no_walk_ins_and_walk_ins():
    """The notes reach travelers in the booking notice and on their page: an airport that enrolls PreCheck travelers
    on arrival said "no walk-ins" and "takes walk-ins" in one paragraph, and called a PreCheck visit an interview."""
    for center in db.session.scalars(select(EnrollmentCenter).order_by(EnrollmentCenter.id)):
        notes = center.notes or ""
        assert not ("no walk-ins" in notes and "takes walk-ins" in notes), center.name
        assert not notes.startswith("Interviews"), center.name
        if "takes walk-ins" in notes:
            assert notes.startswith("Global Entry interviews are by appointment only."), center.name


def test_every_seeded_center_has_coordinates_near_its_own_zip_code_and_a_name_without_its_address():
    """The "nearest first" ZIP code search measures to each center's latitude and longitude: every seeded center has
    them, a U.S. one within 25 miles of its ZIP code's location (an airport's ZIP code can be a post office box in
    town), so a typo or a swapped sign shows; and no name repeats the street address or city printed beside it."""
    centers = db.session.scalars(select(EnrollmentCenter)).all()
    for center in centers:
        assert -90 <= center.latitude <= 90 and -180 <= center.longitude <= 180, center.name
        if center.country_code == "US":
            assert nearby.miles_to(center, nearby.zip_location(center.postal_code[:5])) < 25, center.name
        assert center.address not in center.name and not center.name.endswith(f", {center.city}"), center.name


def test_fees_are_dated_parameters_with_history():
    precheck, global_entry = get_program("precheck"), get_program("global_entry")
    assert str(fee_for(global_entry, dt.date(2024, 9, 30))) == "100.00"
    assert str(fee_for(global_entry, dt.date(2024, 10, 1))) == "120.00"
    assert str(fee_for(precheck, dt.date(2026, 11, 22))) == "78.00"
    assert parameter_value(global_entry, "validity_years", dt.date(2026, 1, 1)) == 5
    assert [p.code for p in global_entry.includes] == ["precheck"]


def test_the_seeded_personas_are_at_different_points_of_their_journey():
    load_all()
    from trusted_traveler.casework.models import Application

    statuses = dict(db.session.execute(select(Application.status, func.count()).group_by(Application.status)).all())
    assert statuses == {"submitted": 1, "conditionally_approved": 1, "approved": 1, "officer_review": 1}


def test_document_numbers_are_encrypted_at_rest_and_keys_rotate():
    profile = create_profile(complete=False)
    profile.documents.append(
        IdentityDocument(kind="passport", issuing_country="US", number="X12345678", number_last4="5678")
    )
    db.session.commit()
    raw = db.session.execute(text("SELECT number FROM identity_documents")).scalar_one()
    assert "X12345678" not in raw

    old_keys = current_app.config["DOCUMENT_KEYS"]
    new_key = Fernet.generate_key().decode()
    try:
        keyring.configure(f"{new_key},{old_keys}")
        assert rotate_all_document_numbers(db.session) == Rotated(numbers=1, files=0)
        db.session.commit()
        keyring.configure(new_key)  # the old key is gone; the value still reads
        db.session.expire_all()
        assert db.session.scalars(select(IdentityDocument.number)).one() == "X12345678"
    finally:
        keyring.configure(old_keys)
        db.session.execute(text("DELETE FROM identity_documents"))
        db.session.commit()


def test_a_stored_file_no_configured_key_opens_is_an_error_that_says_so():
    column = EncryptedBytes()
    token = column.process_bind_param(b"%PDF-1.4 court record", None)
    assert b"court record" not in token
    assert column.process_result_value(token, None) == b"%PDF-1.4 court record"
    old_keys = current_app.config["DOCUMENT_KEYS"]
    try:
        keyring.configure(Fernet.generate_key().decode())
        with pytest.raises(KeyringError, match="a stored file cannot be decrypted with the configured keys"):
            column.process_result_value(token, None)
    finally:
        keyring.configure(old_keys)
