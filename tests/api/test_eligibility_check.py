"""Acceptance cases for POST /api/v1/eligibility/check, straight from CONTRACTS.md section 1."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.rules.conditions import INTERIM_OFFENSES, PERMANENT_OFFENSES
from trusted_traveler.rules.conditions import years_before as _years_before
from trusted_traveler.rules.models import Parameter

URL = "/api/v1/eligibility/check"
AS_OF = dt.date(2025, 6, 15)
ADULT_DOB = "1990-05-17"
GE_FLAGS = {
    "customs_immigration_violation": "global_entry.customs_immigration",
    "under_investigation": "global_entry.investigation",
    "inadmissible_or_waiver": "global_entry.inadmissible",
}


def ago(years: int = 0, days: int = 0, *, as_of: dt.date = AS_OF) -> str:
    return (_years_before(as_of, years) - dt.timedelta(days=days)).isoformat()


def check(client, headers=None, **body):
    body.setdefault("as_of", AS_OF.isoformat())
    body.setdefault("date_of_birth", ADULT_DOB)
    body.setdefault("citizenships", ["US"])
    response = client.post(URL, json=body, headers=headers or {})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def bad(client, body, headers=None):
    response = client.post(URL, json=body, headers=headers or {})
    assert response.status_code == 400, response.get_json()
    errors = response.get_json()["errors"]
    assert all(set(e) == {"field", "message"} and e["message"] for e in errors), errors
    return {e["field"]: e["message"] for e in errors}


def codes(result, program):
    return [r["code"] for r in result["programs"][program]["reasons"]]


def outcomes(result):
    return result["programs"]["precheck"]["outcome"], result["programs"]["global_entry"]["outcome"]


def offense(category, status="convicted", date=None, released_on=None):
    return {"category": category, "status": status, "date": date or ago(1), "released_on": released_on}


# --- citizenship and the recommendation -------------------------------------------------------------------------


def test_a_clean_us_citizen_is_eligible_for_both_and_global_entry_is_recommended(client):
    result = check(client)
    assert result == {
        "as_of": "2025-06-15",
        "programs": {
            "precheck": {"outcome": "eligible", "fee": "78.00", "reasons": [], "rule_set": "precheck-2026-11-01"},
            "global_entry": {
                "outcome": "eligible",
                "fee": "120.00",
                "reasons": [],
                "rule_set": "global_entry-2026-11-01",
            },
        },
        "recommended_program": "global_entry",
    }


def test_someone_who_does_not_travel_abroad_is_recommended_precheck(client):
    result = check(client, travels_internationally=False)
    assert outcomes(result) == ("eligible", "eligible")
    assert result["recommended_program"] == "precheck"


def test_a_lawful_permanent_resident_is_eligible_for_both(client):
    result = check(client, citizenships=["IE"], lawful_permanent_resident=True)
    assert outcomes(result) == ("eligible", "eligible")
    assert result["recommended_program"] == "global_entry"


def test_a_canadian_alone_is_ineligible_for_both_and_is_told_about_nexus(client):
    result = check(client, citizenships=["CA"])
    assert outcomes(result) == ("ineligible", "ineligible")
    assert codes(result, "global_entry") == ["global_entry.citizenship"]
    assert codes(result, "precheck") == ["precheck.citizenship"]
    reason = result["programs"]["global_entry"]["reasons"][0]
    assert reason["citation"] == "8 CFR 235.12(b)(1)"
    assert "NEXUS" in reason["message"]
    assert result["recommended_program"] is None


def test_a_canadian_lawful_permanent_resident_is_eligible(client):
    assert outcomes(check(client, citizenships=["CA"], lawful_permanent_resident=True)) == ("eligible", "eligible")


def test_a_dual_citizen_qualifies_through_any_one_citizenship(client):
    result = check(client, citizenships=["CA", "GB"])
    assert outcomes(result) == ("ineligible", "eligible")
    assert result["recommended_program"] == "global_entry"
    assert outcomes(check(client, citizenships=["CA", "US"])) == ("eligible", "eligible")


@pytest.mark.parametrize(
    "country", ["AR", "BH", "BR", "CH", "CO", "DE", "GB", "IN", "KR", "MX", "NL", "PA", "SG", "TW"]
)
def test_every_seeded_partner_country_qualifies_for_global_entry_only(client, country):
    assert outcomes(check(client, citizenships=[country])) == ("ineligible", "eligible")


@pytest.mark.parametrize("country", ["CA", "FR", "JP", "AU"])
def test_other_countries_do_not_qualify_for_global_entry(client, country):
    assert outcomes(check(client, citizenships=[country])) == ("ineligible", "ineligible")


@pytest.mark.parametrize("territory", ["PR", "GU", "VI", "AS", "MP"])
def test_a_us_territorys_own_code_counts_as_the_united_states(client, territory):
    """Puerto Rico, Guam, the U.S. Virgin Islands, American Samoa and the Northern Mariana Islands are the United
    States: their people are U.S. citizens or U.S. nationals, "US" in the contract."""
    assert check(client, citizenships=[territory]) == check(client, citizenships=["US"])


# --- PreCheck offenses ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("category", PERMANENT_OFFENSES)
def test_every_permanent_offense_makes_precheck_ineligible_at_any_date(client, category):
    for date in ("1970-01-01", ago(30), ago(1)):
        result = check(client, offenses=[offense(category, date=date)])
        assert result["programs"]["precheck"]["outcome"] == "ineligible"
        assert codes(result, "precheck") == ["precheck.permanent_offense"]
        assert result["programs"]["precheck"]["reasons"][0]["citation"] == "49 CFR 1572.103(a)"


@pytest.mark.parametrize("category", INTERIM_OFFENSES)
def test_an_interim_conviction_blocks_precheck_for_seven_years(client, category):
    result = check(client, offenses=[offense(category, date=ago(6, 364))])
    assert result["programs"]["precheck"]["outcome"] == "ineligible"
    assert codes(result, "precheck") == ["precheck.interim_offense"]
    assert result["programs"]["precheck"]["reasons"][0]["citation"] == "49 CFR 1572.103(b)"
    result = check(client, offenses=[offense(category, date=ago(7, 1))])
    assert result["programs"]["precheck"]["outcome"] == "eligible"
    assert result["programs"]["global_entry"]["outcome"] == "ineligible"
    assert result["recommended_program"] == "precheck"


def test_the_seven_year_window_edges(client):
    def precheck(date):
        return check(client, offenses=[offense("fraud", date=date)])["programs"]["precheck"]["outcome"]

    assert precheck(ago(7)) == "ineligible"  # exactly seven years: still within
    assert precheck(ago(7, 1)) == "eligible"
    assert precheck(AS_OF.isoformat()) == "ineligible"


def test_release_within_five_years_keeps_an_old_interim_conviction_disqualifying(client):
    old = ago(12)
    result = check(client, offenses=[offense("robbery", date=old, released_on=ago(4, 364))])
    assert result["programs"]["precheck"]["outcome"] == "ineligible"
    assert codes(result, "precheck") == ["precheck.interim_offense"]
    result = check(client, offenses=[offense("robbery", date=old, released_on=ago(5))])
    assert result["programs"]["precheck"]["outcome"] == "ineligible"
    result = check(client, offenses=[offense("robbery", date=old, released_on=ago(5, 1))])
    assert result["programs"]["precheck"]["outcome"] == "eligible"


@pytest.mark.parametrize("category", ["murder", "treason", "firearms", "drug_distribution"])
def test_a_pending_permanent_or_interim_charge_makes_precheck_ineligible(client, category):
    result = check(client, offenses=[offense(category, status="pending", date=ago(20))])
    assert result["programs"]["precheck"]["outcome"] == "ineligible"
    assert codes(result, "precheck") == ["precheck.pending_charge"]
    assert result["programs"]["precheck"]["reasons"][0]["citation"] == "49 CFR 1572.103(c)"


def test_other_felony_within_seven_years_needs_review(client):
    result = check(client, offenses=[offense("other_felony", date=ago(3))])
    assert outcomes(result) == ("needs_review", "ineligible")
    assert codes(result, "precheck") == ["precheck.other_felony_review"]
    assert result["recommended_program"] is None
    result = check(client, offenses=[offense("other_felony", date=ago(7, 1))])
    assert outcomes(result) == ("eligible", "ineligible")
    result = check(client, offenses=[offense("other_felony", status="pending", date=ago(1))])
    assert result["programs"]["precheck"]["outcome"] == "eligible"


def test_dui_leaves_precheck_eligible_but_global_entry_ineligible(client):
    result = check(client, offenses=[offense("dui", date=ago(1))])
    assert outcomes(result) == ("eligible", "ineligible")
    assert codes(result, "global_entry") == ["global_entry.criminal_history"]
    assert result["programs"]["global_entry"]["reasons"][0]["citation"] == "8 CFR 235.12(b)(2)"
    assert result["recommended_program"] == "precheck"


@pytest.mark.parametrize("status", ["convicted", "pending"])
@pytest.mark.parametrize("category", ["other_misdemeanor", "dui", "fraud", "murder"])
def test_any_offense_at_any_time_makes_global_entry_ineligible(client, category, status):
    result = check(client, offenses=[offense(category, status=status, date="1980-01-01")])
    assert result["programs"]["global_entry"]["outcome"] == "ineligible"
    assert "global_entry.criminal_history" in codes(result, "global_entry")


def test_every_rule_that_fired_is_listed_in_rule_order(client):
    result = check(
        client,
        citizenships=["FR"],
        offenses=[offense("murder"), offense("fraud"), offense("arson", status="pending"), offense("other_felony")],
        under_investigation=True,
    )
    assert codes(result, "precheck") == [
        "precheck.citizenship",
        "precheck.permanent_offense",
        "precheck.interim_offense",
        "precheck.pending_charge",
        "precheck.other_felony_review",
    ]
    assert codes(result, "global_entry") == [
        "global_entry.citizenship",
        "global_entry.criminal_history",
        "global_entry.investigation",
    ]


# --- Global Entry flags, minors and fees ---------------------------------------------------------------------------


@pytest.mark.parametrize(("flag", "code"), GE_FLAGS.items())
def test_each_global_entry_flag_makes_global_entry_ineligible(client, flag, code):
    result = check(client, **{flag: True})
    assert outcomes(result) == ("eligible", "ineligible")
    assert codes(result, "global_entry") == [code]
    assert result["programs"]["global_entry"]["reasons"][0]["citation"] == "8 CFR 235.12(b)(2)"


def test_a_minor_is_eligible_with_a_consent_reason_and_the_full_fee(client):
    dob = ago(17)
    result = check(client, date_of_birth=dob)
    ge = result["programs"]["global_entry"]
    assert ge["outcome"] == "eligible"
    assert [r["code"] for r in ge["reasons"]] == ["global_entry.minor_consent"]
    assert ge["fee"] == "120.00"
    assert result["programs"]["precheck"] == {
        "outcome": "eligible",
        "fee": "78.00",
        "reasons": [],
        "rule_set": "precheck-2026-11-01",
    }
    assert result["recommended_program"] == "global_entry"


def test_a_minor_with_a_member_parent_pays_nothing(client):
    ge = check(client, date_of_birth=ago(17), parent_member_or_applying=True)["programs"]["global_entry"]
    assert (ge["outcome"], ge["fee"]) == ("eligible", "0.00")


def test_the_eighteenth_birthday_ends_the_minor_rules(client):
    ge = check(client, date_of_birth=ago(18), parent_member_or_applying=True)["programs"]["global_entry"]
    assert (ge["outcome"], ge["reasons"], ge["fee"]) == ("eligible", [], "120.00")
    ge = check(client, date_of_birth=ago(18, -1), parent_member_or_applying=True)["programs"]["global_entry"]
    assert ge["fee"] == "0.00"  # one day before the 18th birthday


def test_fees_come_from_the_dated_parameters_in_force_on_as_of(client):
    result = check(client, as_of="2024-09-30")
    assert result["programs"]["global_entry"]["fee"] == "100.00"
    assert result["programs"]["precheck"]["fee"] == "78.00"
    assert check(client, as_of="2024-10-01")["programs"]["global_entry"]["fee"] == "120.00"
    assert check(client, as_of="2021-09-30")["programs"]["precheck"]["fee"] == "85.00"
    # before the minor waiver existed, a minor with a member parent paid the full fee
    ge = check(client, as_of="2024-09-30", date_of_birth="2010-01-01", parent_member_or_applying=True)
    assert ge["programs"]["global_entry"]["fee"] == "100.00"


def test_as_of_defaults_to_today(client):
    response = client.post(URL, json={"date_of_birth": ADULT_DOB, "citizenships": ["US"]})
    assert response.status_code == 200
    assert response.get_json()["as_of"] == service_today().isoformat()


def test_as_of_today_is_accepted(client):
    assert check(client, as_of=service_today().isoformat())["as_of"] == service_today().isoformat()


def test_optional_fields_may_be_null(client):
    result = check(client, offenses=None, lawful_permanent_resident=None, travels_internationally=None)
    assert result["recommended_program"] == "global_entry"
    assert outcomes(check(client, offenses=[offense("fraud", released_on=None)])) == ("ineligible", "ineligible")


# --- language ------------------------------------------------------------------------------------------------------


def test_spanish_messages_with_accept_language_es(client):
    body = {"citizenships": ["CA"], "date_of_birth": ago(10)}
    english = check(client, **body)
    spanish = check(client, headers={"Accept-Language": "es"}, **body)
    assert codes(spanish, "global_entry") == codes(english, "global_entry")
    es_messages = [r["message"] for r in spanish["programs"]["global_entry"]["reasons"]]
    en_messages = [r["message"] for r in english["programs"]["global_entry"]["reasons"]]
    assert es_messages != en_messages
    assert "Global Entry es para" in es_messages[0] and "NEXUS" in es_messages[0]
    assert "menor de 18" in es_messages[1]
    assert spanish["programs"]["precheck"]["reasons"][0]["message"].startswith("TSA PreCheck es solo para")
    regional = check(client, headers={"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}, **body)
    assert regional["programs"] == spanish["programs"]
    fallback = check(client, headers={"Accept-Language": "fr-FR"}, **body)
    assert fallback["programs"] == english["programs"]


# --- bad input -----------------------------------------------------------------------------------------------------


def test_bad_input_is_explained_in_the_requests_language(client):
    """The 400's messages follow Accept-Language as the reasons do; the fields named and the envelope do not change."""
    from flask_babel import force_locale, gettext

    body = {
        "as_of": "2999-01-01",
        "date_of_birth": None,
        "citizenships": ["ZZ"],
        "under_investigation": "maybe",
        "offenses": [{"category": "x", "status": "done", "date": "2020-13-01"}, 7],
        "nickname": "Al",
    }
    english = bad(client, body)
    spanish = bad(client, body, headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert set(spanish) == set(english)
    for field, message in english.items():
        assert spanish[field] != message, field
    assert "ZZ" in spanish["citizenships"] and "'x'" in spanish["offenses[0].category"]
    with force_locale("es"):
        assert spanish["under_investigation"] == gettext("Use true or false.")
    assert bad(client, body, headers={"Accept-Language": "fr"}) == english
    spanish_body = bad(client, ["not", "an", "object"], headers={"Accept-Language": "es"})
    assert spanish_body["body"] != bad(client, ["not", "an", "object"])["body"]


def test_missing_required_fields_are_each_named(client):
    errors = bad(client, {})
    assert set(errors) == {"date_of_birth", "citizenships"}


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"date_of_birth": "17/05/1990", "citizenships": ["US"]}, {"date_of_birth"}),
        ({"date_of_birth": "1990-02-30", "citizenships": ["US"]}, {"date_of_birth"}),
        ({"date_of_birth": "1990-5-17", "citizenships": ["US"]}, {"date_of_birth"}),
        ({"date_of_birth": 19900517, "citizenships": ["US"]}, {"date_of_birth"}),
        ({"date_of_birth": None, "citizenships": ["US"]}, {"date_of_birth"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": []}, {"citizenships"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": "US"}, {"citizenships"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["XX"]}, {"citizenships"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["USA"]}, {"citizenships"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": [1]}, {"citizenships"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["US"], "as_of": "tomorrow"}, {"as_of"}),
        (
            {"date_of_birth": ADULT_DOB, "citizenships": ["US"], "lawful_permanent_resident": "yes"},
            {"lawful_permanent_resident"},
        ),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["US"], "under_investigation": 1}, {"under_investigation"}),
        (
            {"date_of_birth": ADULT_DOB, "citizenships": ["US"], "travels_internationally": "false"},
            {"travels_internationally"},
        ),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["US"], "offenses": {"category": "dui"}}, {"offenses"}),
        ({"date_of_birth": ADULT_DOB, "citizenships": ["US"], "offenses": ["dui"]}, {"offenses[0]"}),
        (
            {"date_of_birth": ADULT_DOB, "citizenships": ["US"], "lawfull_permanent_resident": True},
            {"lawfull_permanent_resident"},
        ),
    ],
)
def test_malformed_fields_are_named(client, body, fields):
    assert set(bad(client, body)) == fields


def test_an_unknown_country_is_named_in_the_message(client):
    errors = bad(client, {"date_of_birth": ADULT_DOB, "citizenships": ["US", "ZZ"]})
    assert "ZZ" in errors["citizenships"]


def test_bad_offense_fields_are_named_with_their_index(client):
    body = {
        "as_of": AS_OF.isoformat(),
        "date_of_birth": ADULT_DOB,
        "citizenships": ["US"],
        "offenses": [
            {"category": "dui", "status": "convicted", "date": "2020-01-01"},
            {"category": "jaywalking", "status": "acquitted", "date": "2020-13-01", "released_on": "soon"},
            {"status": "pending"},
            {"category": "fraud", "status": "convicted", "date": "2020-01-01", "released_on": "2019-12-31"},
            {"category": "fraud", "status": "convicted", "date": "2020-01-01", "notes": "x"},
        ],
    }
    errors = bad(client, body)
    assert set(errors) == {
        "offenses[1].category",
        "offenses[1].status",
        "offenses[1].date",
        "offenses[1].released_on",
        "offenses[2].category",
        "offenses[2].date",
        "offenses[3].released_on",
        "offenses[4].notes",
    }
    assert "jaywalking" in errors["offenses[1].category"]
    assert "before" in errors["offenses[3].released_on"]


def test_dates_in_the_future_are_refused(client):
    tomorrow = (service_today() + dt.timedelta(days=1)).isoformat()
    errors = bad(client, {"as_of": tomorrow, "date_of_birth": ADULT_DOB, "citizenships": ["US"]})
    assert set(errors) == {"as_of"}
    errors = bad(client, {"date_of_birth": tomorrow, "citizenships": ["US"]})
    assert set(errors) == {"date_of_birth"}
    after_as_of = (AS_OF + dt.timedelta(days=1)).isoformat()
    body = {
        "as_of": AS_OF.isoformat(),
        "date_of_birth": after_as_of,
        "citizenships": ["US"],
        "offenses": [
            {"category": "dui", "status": "convicted", "date": after_as_of},
            {"category": "dui", "status": "convicted", "date": "2020-01-01", "released_on": after_as_of},
        ],
    }
    assert set(bad(client, body)) == {"date_of_birth", "offenses[0].date", "offenses[1].released_on"}


def test_dates_in_the_future_are_named_even_beside_an_as_of_in_the_future(client):
    """A future as_of is refused, and every other future date is still named, at once (CONTRACTS.md section 1)."""
    later = (service_today() + dt.timedelta(days=30)).isoformat()
    body = {
        "as_of": (service_today() + dt.timedelta(days=365)).isoformat(),
        "date_of_birth": later,
        "citizenships": ["US"],
        "offenses": [{"category": "dui", "status": "convicted", "date": later, "released_on": later}],
    }
    errors = bad(client, body)
    assert set(errors) == {"as_of", "date_of_birth", "offenses[0].date", "offenses[0].released_on"}
    assert errors["date_of_birth"] == "date_of_birth cannot be after today."


@pytest.mark.parametrize("dob", ["0001-01-01", "1066-10-14", "1899-12-31"])
def test_an_implausible_date_of_birth_is_refused_naming_date_of_birth(client, dob):
    response = client.post(URL, json={"date_of_birth": dob, "citizenships": ["US"]})
    assert response.status_code == 400
    assert response.get_json() == {
        "errors": [{"field": "date_of_birth", "message": "date_of_birth cannot be before 1900-01-01. Check the year."}]
    }


def test_an_implausible_date_of_birth_is_named_beside_the_other_bad_fields(client):
    errors = bad(client, {"date_of_birth": "0001-01-01", "citizenships": ["ZZ"], "as_of": AS_OF.isoformat()})
    assert set(errors) == {"date_of_birth", "citizenships"}


def test_the_first_day_of_1900_is_a_plausible_date_of_birth(client):
    assert outcomes(check(client, date_of_birth="1900-01-01")) == ("eligible", "eligible")


def test_every_bad_field_is_named_at_once(client):
    body = {
        "as_of": "2999-01-01",
        "date_of_birth": "nope",
        "citizenships": ["QQ"],
        "under_investigation": "maybe",
        "offenses": [{"category": "x", "status": "convicted", "date": "2020-01-01"}],
    }
    assert set(bad(client, body)) == {
        "as_of",
        "date_of_birth",
        "citizenships",
        "under_investigation",
        "offenses[0].category",
    }


@pytest.mark.parametrize("raw", ["", "not json", "[1, 2]", '"text"', "null", "42", "{"])
def test_a_body_that_is_not_a_json_object_is_refused(client, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "body"


@pytest.mark.parametrize("raw", ["[" * 100_000, '{"a":' * 5_000 + "1" + "}" * 5_000, b"\xff\xfe{"])
def test_a_body_too_deep_or_undecodable_is_a_400_not_a_500(client, raw):
    response = client.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "body"


def test_too_many_offenses_is_refused(client):
    many = [offense("dui")] * 101
    assert set(bad(client, {"date_of_birth": ADULT_DOB, "citizenships": ["US"], "offenses": many})) == {"offenses"}


def test_a_body_without_a_json_content_type_is_still_read(client):
    response = client.post(URL, data='{"date_of_birth": "1990-05-17", "citizenships": ["US"]}')
    assert response.status_code == 200


def test_as_of_before_any_rule_set_is_refused_naming_as_of(client):
    errors = bad(client, {"as_of": "2008-06-09", "date_of_birth": "1950-01-01", "citizenships": ["US"]})
    assert set(errors) == {"as_of"}
    assert "2008-06-09" in errors["as_of"]
    errors = bad(client, {"as_of": "2010-01-01", "date_of_birth": "1950-01-01", "citizenships": ["US"]})
    assert set(errors) == {"as_of"}  # PreCheck started on 2013-12-04


def test_the_seeded_partner_countries_answer_for_any_date_of_global_entrys_rules(client):
    # CONTRACTS.md section 1: the partner countries as seeded, for every as_of the rule set is in force
    def global_entry(countries, as_of):
        body = client.post(URL, json={"as_of": as_of, "date_of_birth": ADULT_DOB, "citizenships": countries})
        assert body.status_code == 200, body.get_json()
        return body.get_json()["programs"]["global_entry"]["outcome"]

    for as_of in ("2015-06-01", "2020-06-01", "2021-06-01", AS_OF.isoformat()):
        assert [global_entry([c], as_of) for c in ("BR", "NL", "BH", "MX", "GB")] == ["eligible"] * 5
        assert global_entry(["CA"], as_of) == "ineligible"  # Canadians use NEXUS
        assert global_entry(["CA", "MX"], as_of) == "eligible"


def test_partner_countries_are_judged_by_the_list_in_force_on_as_of(app, client):
    # a program lead adds France from 2026-01-01 (a dated setting): earlier dates keep the list in force then
    with app.app_context():
        seeded = db.session.scalar(select(Parameter).where(Parameter.key == "partner_countries"))
        db.session.add(
            Parameter(
                program_id=seeded.program_id,
                key="partner_countries",
                value=[*seeded.value, "FR"],
                effective_from=dt.date(2026, 1, 1),
                reference="test",
            )
        )
        db.session.commit()

    def global_entry(country, as_of):
        body = client.post(URL, json={"as_of": as_of, "date_of_birth": ADULT_DOB, "citizenships": [country]})
        return body.get_json()["programs"]["global_entry"]["outcome"]

    assert global_entry("FR", "2025-12-31") == "ineligible"
    assert global_entry("FR", "2026-01-01") == "eligible"
    assert global_entry("GB", "2025-12-31") == "eligible"


def test_only_post_is_allowed(client):
    assert client.get(URL).status_code == 405


# --- the interface: public, no CSRF, rate-limited, documented ------------------------------------------------------


@pytest.mark.csrf
def test_no_csrf_token_or_sign_in_is_needed(client):
    response = client.post(URL, json={"as_of": AS_OF.isoformat(), "date_of_birth": ADULT_DOB, "citizenships": ["US"]})
    assert response.status_code == 200
    assert response.is_json


def test_the_check_is_rate_limited_at_60_a_minute(rate_limited_app):
    client = rate_limited_app.test_client()
    body = {"as_of": AS_OF.isoformat(), "date_of_birth": ADULT_DOB, "citizenships": ["US"]}
    statuses = [client.post(URL, json=body).status_code for _ in range(60)]
    assert statuses == [200] * 60
    response = client.post(URL, json=body)
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert response.get_json()["errors"]


def test_the_check_is_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/eligibility/check"]["post"]
    assert operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("/EligibilityCheck")
    assert {"200", "400", "429"} <= set(operation["responses"])
    schemas = spec["components"]["schemas"]
    assert {"date_of_birth", "citizenships", "offenses", "as_of"} <= set(schemas["EligibilityCheck"]["properties"])
    assert set(schemas["EligibilityCheck"]["required"]) == {"date_of_birth", "citizenships"}
    assert "murder" in schemas["Offense"]["properties"]["category"]["enum"]
    assert set(schemas["EligibilityResult"]["properties"]) == {"as_of", "programs", "recommended_program"}
