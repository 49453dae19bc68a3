"""The rules service over the database: the version in force, parameters, fees and the seeds."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, func, select

from seeds.rules import load_rules
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program, parameter_in_force_since
from trusted_traveler.rules.models import Parameter, Rule, RuleSet, RuleSetVersion
from trusted_traveler.rules.service import (
    InvalidFacts,
    NoRulesInForce,
    can_apply_from,
    check_eligibility,
    partner_country_citizen,
    rules_in_effect_since,
    version_in_force,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

AS_OF = dt.date(2025, 6, 15)
US_ADULT = {"date_of_birth": dt.date(1990, 5, 17), "citizenships": ["US"]}


@pytest.fixture
def extra_versions():
    """Versions a test adds to the seeded Global Entry rule set; removed afterwards (rule tables are reference data
    that the per-test cleanup keeps)."""
    created: list[int] = []

    def add(number, *, status="published", effective_from, effective_until=None, rules=()):
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == get_program("global_entry").id))
        version = RuleSetVersion(
            rule_set=rule_set,
            number=number,
            label=f"test-global_entry-{number}",
            status=status,
            effective_from=effective_from,
            effective_until=effective_until,
        )
        for position, (code, condition, outcome) in enumerate(rules):
            version.rules.append(
                Rule(
                    code=code,
                    position=position,
                    condition=condition,
                    outcome=outcome,
                    message_en=f"{code} en",
                    message_es=f"{code} es",
                    citation=None,
                )
            )
        db.session.add(version)
        db.session.flush()
        created.append(version.id)
        return version

    yield add
    db.session.rollback()
    if created:
        db.session.execute(delete(Rule).where(Rule.version_id.in_(created)))
        db.session.execute(delete(RuleSetVersion).where(RuleSetVersion.id.in_(created)))
        db.session.commit()


def test_the_seeds_are_one_published_version_per_program_and_idempotent():
    assert load_rules() == 0
    versions = db.session.scalars(select(RuleSetVersion).order_by(RuleSetVersion.label)).all()
    assert [(v.label, v.status, v.effective_from, v.effective_until) for v in versions] == [
        ("global_entry-2026-11-01", "published", dt.date(2008, 6, 10), None),
        ("precheck-2026-11-01", "published", dt.date(2013, 12, 4), None),
    ]
    assert all(v.published_at == dt.datetime(2026, 11, 1, tzinfo=dt.UTC) for v in versions)
    rules = {v.label: [r.code for r in v.rules] for v in versions}
    assert rules == {
        "precheck-2026-11-01": [
            "precheck.citizenship",
            "precheck.permanent_offense",
            "precheck.interim_offense",
            "precheck.pending_charge",
            "precheck.other_felony_review",
        ],
        "global_entry-2026-11-01": [
            "global_entry.citizenship",
            "global_entry.criminal_history",
            "global_entry.customs_immigration",
            "global_entry.investigation",
            "global_entry.inadmissible",
            "global_entry.minor_consent",
        ],
    }
    for rule in db.session.scalars(select(Rule)):
        assert rule.message_en and rule.message_es and rule.citation, rule.code
        assert rule.message_en != rule.message_es


def test_check_eligibility_takes_python_values_and_returns_the_contract_body():
    result = check_eligibility(
        {
            "date_of_birth": dt.date(2010, 1, 1),
            "citizenships": ["US"],
            "parent_member_or_applying": True,
            "offenses": [{"category": "dui", "status": "convicted", "date": dt.date(2024, 1, 1), "released_on": None}],
        },
        as_of=AS_OF,
        language="es",
    )
    assert set(result) == {"as_of", "programs", "recommended_program"}
    assert result["as_of"] == "2025-06-15"
    ge = result["programs"]["global_entry"]
    assert set(ge) == {"outcome", "fee", "reasons", "rule_set"}
    assert (ge["outcome"], ge["fee"]) == ("ineligible", "0.00")
    assert [r["code"] for r in ge["reasons"]] == ["global_entry.criminal_history", "global_entry.minor_consent"]
    assert ge["reasons"][1]["message"].startswith("Usted es menor")
    assert result["recommended_program"] == "precheck"
    assert check_eligibility(US_ADULT, as_of=AS_OF, language="es-MX")["recommended_program"] == "global_entry"


def test_no_rules_in_force_is_a_domain_error():
    with pytest.raises(NoRulesInForce) as caught:
        check_eligibility(US_ADULT, as_of=dt.date(2008, 6, 9))
    assert caught.value.as_of == dt.date(2008, 6, 9)
    assert caught.value.status_code == 400
    with pytest.raises(InvalidFacts):
        check_eligibility({"citizenships": ["US"]}, as_of=AS_OF)


def test_a_parameter_not_in_force_is_needed_only_when_a_rule_reaches_it():
    # a partner-country list that starts on 2018-11-01, after Global Entry's rule set (the seeded one is removed)
    for seeded in db.session.scalars(select(Parameter).where(Parameter.key == "partner_countries")).all():
        first = Parameter(
            program_id=seeded.program_id,
            key="partner_countries",
            value=seeded.value,
            effective_from=dt.date(2018, 11, 1),
            reference="test",
        )
        db.session.delete(seeded)
    db.session.add(first)
    db.session.flush()
    before = dt.date(2018, 10, 31)
    assert check_eligibility(US_ADULT, as_of=before)["programs"]["global_entry"]["outcome"] == "eligible"
    lpr = {"date_of_birth": dt.date(1990, 5, 17), "citizenships": ["FR"], "lawful_permanent_resident": True}
    assert check_eligibility(lpr, as_of=before)["programs"]["global_entry"]["outcome"] == "eligible"
    with pytest.raises(NoRulesInForce, match="partner_countries") as caught:
        check_eligibility({"date_of_birth": dt.date(1990, 5, 17), "citizenships": ["GB"]}, as_of=before)
    assert caught.value.program == "global_entry"


def test_the_latest_published_version_in_force_wins(extra_versions):
    global_entry = get_program("global_entry")
    block_all = ("test.block", {"field": "age", "op": "gte", "value": 0}, "ineligible")
    extra_versions(2, effective_from=dt.date(2025, 1, 1), effective_until=dt.date(2025, 7, 1), rules=[block_all])
    extra_versions(3, status="draft", effective_from=dt.date(2025, 3, 1), rules=[block_all])
    assert version_in_force(global_entry, dt.date(2024, 12, 31)).label == "global_entry-2026-11-01"
    assert version_in_force(global_entry, dt.date(2025, 1, 1)).label == "test-global_entry-2"
    assert version_in_force(global_entry, dt.date(2025, 6, 30)).label == "test-global_entry-2"
    assert version_in_force(global_entry, dt.date(2025, 7, 1)).label == "global_entry-2026-11-01"  # until: exclusive
    result = check_eligibility(US_ADULT, as_of=AS_OF)
    assert result["programs"]["global_entry"]["rule_set"] == "test-global_entry-2"
    assert result["programs"]["global_entry"]["outcome"] == "ineligible"
    assert result["programs"]["global_entry"]["reasons"] == [
        {"code": "test.block", "message": "test.block en", "citation": None}
    ]


def test_parameters_come_from_the_program_then_service_wide(extra_versions):
    minor = ("test.minor", {"field": "age", "op": "lt", "value": {"param": "age_of_majority"}}, "condition")
    extra_versions(2, effective_from=dt.date(2025, 1, 1), rules=[minor])
    global_entry = get_program("global_entry")
    db.session.add(Parameter(program_id=global_entry.id, key="age_of_majority", value=21, effective_from=AS_OF))
    db.session.flush()
    try:
        twenty = {"date_of_birth": dt.date(2005, 1, 1), "citizenships": ["US"]}
        assert check_eligibility(twenty, as_of=AS_OF)["programs"]["global_entry"]["reasons"][0]["code"] == "test.minor"
        yesterday = AS_OF - dt.timedelta(days=1)
        assert check_eligibility(twenty, as_of=yesterday)["programs"]["global_entry"]["reasons"] == []
    finally:
        db.session.rollback()
    program_rows = select(func.count()).where(
        Parameter.key == "age_of_majority", Parameter.program_id == global_entry.id
    )
    assert db.session.scalar(program_rows) == 0


def test_a_worker_reads_the_rules_once_and_answers_later_checks_without_a_query(app):
    from tests.support.queries import count_queries

    check_eligibility(US_ADULT, as_of=AS_OF)
    with count_queries(app) as seen:
        again = check_eligibility(US_ADULT | {"citizenships": ["MX"]}, as_of=AS_OF)
    assert seen == []
    assert again["programs"]["precheck"]["outcome"] == "ineligible"  # a fresh answer from the kept rules


def test_a_rule_change_counts_at_once_in_its_own_worker_and_a_rollback_takes_it_back(extra_versions):
    assert check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["global_entry"]["outcome"] == "eligible"
    block_all = ("test.block", {"field": "age", "op": "gte", "value": 0}, "ineligible")
    extra_versions(2, effective_from=dt.date(2025, 1, 1), rules=[block_all])  # flushed, not committed
    assert check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["global_entry"]["outcome"] == "ineligible"
    db.session.rollback()
    assert check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["global_entry"]["outcome"] == "eligible"


def test_a_change_made_by_another_worker_counts_within_a_minute(monkeypatch):
    from sqlalchemy import insert

    from trusted_traveler.rules import service

    now = [1000.0]
    monkeypatch.setattr(service._books, "_clock", lambda: now[0])
    before = check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["precheck"]["fee"]
    # Written without the ORM, as another process's change looks to this one: no flush here to forget the book by.
    precheck = get_program("precheck")
    db.session.execute(insert(Parameter).values(program_id=precheck.id, key="fee_new", value=99, effective_from=AS_OF))
    try:
        now[0] += service.BOOK_SECONDS - 1
        assert check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["precheck"]["fee"] == before
        now[0] += 2
        assert check_eligibility(US_ADULT, as_of=AS_OF)["programs"]["precheck"]["fee"] == "99.00"
    finally:
        db.session.rollback()


# --- since when the rules, fees and settings behind an answer are in effect ----------------------------------------


def _setting(program_code, key, value, effective_from, version=None):
    program = get_program(program_code) if program_code else None
    row = Parameter(
        program_id=program.id if program else None,
        key=key,
        value=value,
        effective_from=effective_from,
        version_id=version.id if version else None,
        reference="test",
    )
    db.session.add(row)
    db.session.flush()
    return row


def test_the_rules_are_in_effect_since_the_newest_version_fee_or_setting_in_force():
    assert rules_in_effect_since(dt.date(2020, 1, 1)) == dt.date(2013, 12, 4)  # PreCheck's first rules
    assert rules_in_effect_since(dt.date(2022, 1, 1)) == dt.date(2021, 10, 1)  # PreCheck's $78 fee
    assert rules_in_effect_since(AS_OF) == dt.date(2024, 10, 1)  # Global Entry's $120 fee and the minors' waiver


def test_a_change_to_a_setting_the_rules_read_counts_and_one_no_rule_reads_does_not():
    _setting("global_entry", "partner_countries", ["GB"], dt.date(2025, 3, 1))
    _setting(None, "waitlist_hold_minutes", 45, dt.date(2025, 5, 1))  # appointments, not eligibility
    try:
        assert rules_in_effect_since(AS_OF) == dt.date(2025, 3, 1)
    finally:
        db.session.rollback()


def test_a_page_names_the_other_settings_it_shows():
    """The apply page also shows renewal fees: PreCheck's renewal fee fell on November 12, 2024."""
    assert rules_in_effect_since(AS_OF, also=("fee_renewal",)) == dt.date(2024, 11, 12)


def test_rules_back_in_force_after_a_temporary_version_count_from_the_day_it_ended(extra_versions):
    extra_versions(2, effective_from=dt.date(2025, 1, 1), effective_until=dt.date(2025, 3, 1))
    assert rules_in_effect_since(dt.date(2025, 2, 1)) == dt.date(2025, 1, 1)
    assert rules_in_effect_since(AS_OF) == dt.date(2025, 3, 1)  # the seeded version again, from that day


def test_a_value_back_in_force_after_a_temporary_versions_own_value_counts_from_the_day_it_ended(extra_versions):
    temporary = extra_versions(2, effective_from=dt.date(2025, 1, 1), effective_until=dt.date(2025, 3, 1))
    _setting("global_entry", "fee_new", "150.00", dt.date(2025, 1, 1), version=temporary)
    try:
        global_entry = get_program("global_entry")
        assert parameter_in_force_since(global_entry, "fee_new", dt.date(2025, 2, 1)) == dt.date(2025, 1, 1)
        assert parameter_in_force_since(global_entry, "fee_new", AS_OF) == dt.date(2025, 3, 1)
        assert parameter_in_force_since(global_entry, "fee_new", dt.date(2024, 12, 31)) == dt.date(2024, 10, 1)
        assert parameter_in_force_since(global_entry, "fee_new", dt.date(2000, 1, 1)) is None
    finally:
        db.session.rollback()


# --- the day a waiting period ends ---------------------------------------------------------------------------------


def _convicted(category, date, released_on=None):
    offense = {"category": category, "status": "convicted", "date": date, "released_on": released_on}
    return US_ADULT | {"offenses": [offense]}


def test_an_interim_conviction_opens_precheck_the_day_after_seven_years_and_five_after_release():
    assert can_apply_from("precheck", _convicted("robbery", dt.date(2020, 2, 29)), as_of=AS_OF) == dt.date(2027, 3, 1)
    released = _convicted("robbery", dt.date(2020, 2, 29), released_on=dt.date(2024, 6, 1))
    assert can_apply_from("precheck", released, as_of=AS_OF) == dt.date(2029, 6, 2)


def test_no_day_is_given_when_time_alone_does_not_open_the_program():
    assert can_apply_from("precheck", _convicted("murder", dt.date(1990, 1, 1)), as_of=AS_OF) is None
    assert can_apply_from("global_entry", _convicted("dui", dt.date(2024, 1, 1)), as_of=AS_OF) is None
    assert can_apply_from("precheck", US_ADULT | {"citizenships": ["FR"]}, as_of=AS_OF) is None
    assert can_apply_from("precheck", US_ADULT, as_of=AS_OF) is None  # not closed at all


def test_partner_country_citizens_are_those_who_qualify_for_global_entry_only_through_that_country():
    assert partner_country_citizen({"citizenships": ["DE"]}, as_of=AS_OF)
    assert partner_country_citizen({"citizenships": ["CA", "GB"]}, as_of=AS_OF)
    assert not partner_country_citizen({"citizenships": ["US", "DE"]}, as_of=AS_OF)
    assert not partner_country_citizen({"citizenships": ["DE"], "lawful_permanent_resident": True}, as_of=AS_OF)
    assert not partner_country_citizen({"citizenships": ["FR"]}, as_of=AS_OF)
