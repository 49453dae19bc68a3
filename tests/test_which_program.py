"""The public "Which program is right for me?" page: no sign-in, plain questions, the same rules and reasons as
the API and the application flow."""

import datetime as dt

import pycountry
import pytest
from sqlalchemy import select

from seeds.rules import GLOBAL_ENTRY_RULES, PRECHECK_RULES
from tests.factories import create_account
from trusted_traveler.db import service_today
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program
from trusted_traveler.rules.conditions import US_TERRITORIES, years_before
from trusted_traveler.rules.models import Parameter, Rule, RuleSet, RuleSetVersion
from trusted_traveler.rules.service import check_eligibility

CLEAN = {
    "date_of_birth": "1985-03-02",
    "citizenship": "US",
    "second_citizenship": "",
    "lawful_permanent_resident": "no",
    "travels_internationally": "yes",
    "has_offenses": "no",
    "customs_immigration_violation": "no",
    "under_investigation": "no",
    "inadmissible_or_waiver": "no",
    "parent_member_or_applying": "no",
}


def test_the_page_is_public_and_linked_from_the_home_page(client):
    assert "/which-program" in client.get("/").get_data(as_text=True)
    assert client.get("/which-program").status_code == 200


def test_a_clean_us_citizen_who_travels_is_recommended_global_entry(client):
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert html.count("you can apply") == 2
    assert "We suggest: Global Entry." in html
    assert "$120.00" in html and "$78.00" in html


def test_the_anonymous_check_asks_only_what_the_rules_read_about_an_offense(client):
    """Nothing on the public check is saved, so it does not ask for an offense's details, as the profile does."""
    html = client.post("/which-program", data={**CLEAN, "has_offenses": "yes", "action": "add:offenses"}).get_data(
        as_text=True
    )
    assert 'name="offenses-0-category"' in html and 'name="offenses-0-date"' in html
    assert "offenses-0-details" not in html and "Details (optional)" not in html


def test_the_offense_question_warns_that_an_arrest_can_still_count_for_global_entry(client):
    html = client.get("/which-program").get_data(as_text=True)
    assert "answer No. For Global Entry, CBP can still refuse an applicant for any arrest" in html


def test_someone_who_does_not_travel_is_recommended_precheck(client):
    html = client.post("/which-program", data={**CLEAN, "travels_internationally": "no"}).get_data(as_text=True)
    assert "We suggest: TSA PreCheck." in html


def test_a_dual_canadian_and_british_citizen_qualifies_for_global_entry_through_britain(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "CA", "second_citizenship": "GB"}).get_data(
        as_text=True
    )
    assert "We suggest: Global Entry." in html
    # PreCheck on its own needs U.S. citizenship or a green card; Global Entry brings it
    assert "you cannot apply now" not in html
    assert "TSA PreCheck:\n            you cannot apply for it on its own, but you get it with Global Entry" in html


def test_a_recent_robbery_conviction_closes_both_with_the_citations(client):
    data = {
        **CLEAN,
        "has_offenses": "yes",
        "offenses-0-category": "robbery",
        "offenses-0-status": "convicted",
        "offenses-0-date": "2022-06-01",
    }
    html = client.post("/which-program", data=data).get_data(as_text=True)
    assert html.count("you cannot apply now") == 2
    assert "49 CFR 1572.103(b)" in html and "8 CFR 235.12(b)(2)" in html
    assert "We suggest" not in html


def test_missing_answers_are_each_named_and_the_answers_given_are_kept(client):
    response = client.post("/which-program", data={"date_of_birth": "1985-03-02", "has_offenses": "yes"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    for message in (
        "Choose your country of citizenship.",
        "Say whether you travel to other countries.",
        "Add each conviction or pending charge.",
    ):
        assert message in html
    assert 'value="1985-03-02"' in html


def test_spanish_reasons_for_a_spanish_speaker(client):
    html = client.post(
        "/which-program", data={**CLEAN, "citizenship": "CA"}, headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "NEXUS" in html and "ciudadan" in html


# --- people from the U.S. territories -------------------------------------------------------------------------------

TERRITORIES = {
    "PR": "Puerto Rico",
    "GU": "Guam",
    "VI": "U.S. Virgin Islands",
    "AS": "American Samoa",
    "MP": "Northern Mariana Islands",
}


def test_the_territories_are_not_offered_as_countries_of_citizenship_and_their_people_are_told_to_choose_the_us(
    client,
):
    """Puerto Rico, Guam, the U.S. Virgin Islands, the Northern Mariana Islands and American Samoa are the United
    States: someone from there who picked their island as a "country" was told they could apply for neither."""
    html = client.get("/which-program").get_data(as_text=True)
    for code in US_TERRITORIES:
        assert f'value="{code}"' not in html, code
    assert 'value="US"' in html
    assert (
        "Puerto Rico, Guam, the U.S. Virgin Islands, the Northern Mariana Islands and American Samoa are part of the "
        "United States. If you are a U.S. citizen or a U.S. national, choose United States."
    ) in html


@pytest.mark.parametrize("code", sorted(TERRITORIES))
def test_a_territory_is_no_answer_to_the_citizenship_question(client, code):
    response = client.post("/which-program", data={**CLEAN, "citizenship": code})
    assert response.status_code == 400
    assert 'data-testid="answer"' not in response.get_data(as_text=True)


def test_in_spanish_the_territories_are_the_estados_unidos_too(client):
    html = client.get("/which-program", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<option value="US">Estados Unidos</option>' in html
    for code in US_TERRITORIES:
        assert f'value="{code}"' not in html, code


def test_the_territories_are_one_list_with_the_us_states_and_territories_of_the_intake(app):
    """The territories left out as countries of citizenship are the U.S. subdivisions ISO 3166-2 calls outlying
    areas, and each of them is offered where the intake asks for a U.S. state (a driver's license's)."""
    from trusted_traveler.web.intake.forms import us_state_choices

    outlying = {
        s.code.split("-")[1] for s in pycountry.subdivisions.get(country_code="US") if s.type == "Outlying area"
    }
    assert set(US_TERRITORIES) == outlying >= set(TERRITORIES)
    with app.test_request_context("/"):
        states = {choice.value for choice in us_state_choices()}
    assert set(US_TERRITORIES) <= states


# --- the rules' citations ------------------------------------------------------------------------------------------


def test_every_reason_on_the_answer_shows_the_rule_it_rests_on(client):
    minor = (service_today() - dt.timedelta(days=365 * 10)).isoformat()
    data = {
        **CLEAN,
        "date_of_birth": minor,
        "citizenship": "CA",
        "customs_immigration_violation": "yes",
        "under_investigation": "yes",
        "inadmissible_or_waiver": "yes",
    }
    html = client.post("/which-program", data=data).get_data(as_text=True)
    fired = {
        "precheck.citizenship",
        "global_entry.citizenship",
        "global_entry.customs_immigration",
        "global_entry.investigation",
        "global_entry.inadmissible",
        "global_entry.minor_consent",
    }
    for rule in PRECHECK_RULES + GLOBAL_ENTRY_RULES:
        if rule["code"] in fired:
            assert f"({rule['citation']})" in html, rule["code"]


@pytest.fixture
def uncited_rule(app):
    """A PreCheck version in force from today whose one rule, as one written in the rules console may be, cites
    nothing (a version someone created: the per-test cleanup removes it)."""
    with app.app_context():
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == get_program("precheck").id))
        version = RuleSetVersion(
            rule_set=rule_set,
            number=900,
            label="precheck-uncited",
            status="published",
            effective_from=service_today(),
            published_at=dt.datetime.now(dt.UTC),
            created_by_id=create_account("lead@example.com").id,
        )
        version.rules.append(
            Rule(
                code="test.uncited",
                position=0,
                condition={"field": "age", "op": "gte", "value": 0},
                outcome="needs_review",
                message_en="An officer looks at every application this week.",
                message_es="Un funcionario revisa todas las solicitudes esta semana.",
                citation=None,
            )
        )
        db.session.add(version)
        db.session.commit()


@pytest.mark.usefixtures("uncited_rule")
def test_a_reason_whose_rule_cites_nothing_is_shown_without_a_citation(client):
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert "An officer looks at every application this week." in html
    assert "(None)" not in html


def test_the_arrests_list_answers_the_offenses_question_and_is_hidden_until_yes(client):
    html = client.get("/which-program").get_data(as_text=True)
    # shown without JavaScript (the "Add another" button posts the page); app.js hides it unless "Yes" is chosen
    assert 'id="offenses" data-shown-when="has_offenses=yes"' in html
    with client.application.open_resource("../static/js/app.js") as script:
        assert b"data-shown-when" in script.read()


def test_a_date_hint_gives_its_example_in_the_order_of_the_pages_language_as_its_message_does(client):
    html = client.get("/which-program").get_data(as_text=True)
    assert "For example, 04/12/2024" in html and "2024-04-12" not in html
    spanish = client.get("/which-program", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Por ejemplo, 12/04/2024" in spanish
    refused = client.post(
        "/which-program", data={"date_of_birth": "20245-04-12"}, headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "12/04/2024" in refused and "04/12/2024" not in refused


def _long(day: dt.date) -> str:
    return f"{day:%B} {day.day}, {day.year}"


def test_the_answer_says_since_when_the_rules_are_in_effect_not_their_version_labels(client):
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert "Rules in effect since October 1, 2024." in html  # the seeded Global Entry fee of $120.00
    assert "precheck-" not in html and "global_entry-" not in html
    spanish = client.post("/which-program", data=CLEAN, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "precheck-" not in spanish
    assert " de 2024" in spanish.split('data-testid="rules-since"')[1].split("</p>")[0]


# --- since when the answer's rules, fees and settings are in effect ------------------------------------------------


def test_the_date_is_the_newest_fee_not_the_day_the_first_rules_took_effect(client):
    """The seeded rule versions date from 2008 and 2013, but the fees the answer shows changed on October 1, 2024."""
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert "$120.00" in html
    assert "Rules in effect since December 4, 2013." not in html
    assert "Rules in effect since October 1, 2024." in html


def _dated_setting(program_code, key, value, effective_from):
    """A dated setting written as a program lead's change is (reference "test": the per-test cleanup removes it)."""
    program = get_program(program_code)
    db.session.add(
        Parameter(program_id=program.id, key=key, value=value, effective_from=effective_from, reference="test")
    )
    db.session.commit()


def test_a_newer_setting_the_rules_read_moves_the_date_and_a_future_fee_does_not(app, client, today):
    with app.app_context():
        _dated_setting("global_entry", "partner_countries", ["GB", "DE", "JP"], today - dt.timedelta(days=3))
        _dated_setting("precheck", "fee_new", "80.00", today + dt.timedelta(days=10))
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert f"Rules in effect since {_long(today - dt.timedelta(days=3))}." in html
    assert "$78.00" in html  # the future fee is not in force yet, nor its date


def test_a_fee_that_took_effect_today_moves_the_date_to_today(app, client, today):
    with app.app_context():
        _dated_setting("precheck", "fee_new", "80.00", today)
    html = client.post("/which-program", data=CLEAN).get_data(as_text=True)
    assert "$80.00" in html and f"Rules in effect since {_long(today)}." in html


# --- citizens of Global Entry partner countries --------------------------------------------------------------------


def test_a_partner_country_citizen_is_told_they_get_precheck_through_global_entry_and_their_next_step(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "DE"}).get_data(as_text=True)
    precheck = html.split('data-testid="answer-precheck"')[1].split('data-testid="answer-global_entry"')[0]
    assert "you cannot apply now" not in precheck
    assert "you cannot apply for it on its own, but you get it with Global Entry" in precheck
    assert "Global Entry is how you get TSA PreCheck" in precheck
    # nor the PreCheck rule's own words ("apply once you become a U.S. citizen"), nor a fee for what they cannot do
    assert "U.S. citizen" not in precheck and "$" not in precheck
    assert "We suggest: Global Entry." in html
    assert "so you do not need both" not in html  # they could not have both: PreCheck alone is closed to them
    step = html.split('data-testid="partner-next-step"')[1].split("</div>\n      </div>")[0]
    assert "Your next step: your own country's check" in step
    assert "your own government checks you first" in step
    assert 'href="https://www.cbp.gov/travel/trusted-traveler-programs/global-entry"' in step
    assert html.index('data-testid="partner-next-step"') < html.index("Sign in and apply")


def test_us_citizens_and_green_card_holders_get_no_partner_country_step(client):
    for data in (CLEAN, {**CLEAN, "citizenship": "DE", "lawful_permanent_resident": "yes"}):
        html = client.post("/which-program", data=data).get_data(as_text=True)
        assert 'data-testid="partner-next-step"' not in html
        assert "It includes TSA PreCheck, so you do not need both." in html


def test_a_partner_country_citizen_whom_global_entry_refuses_is_not_sent_to_their_own_countrys_check(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "DE", "under_investigation": "yes"}).get_data(
        as_text=True
    )
    assert 'data-testid="partner-next-step"' not in html
    assert html.count("you cannot apply now") == 2


# --- no dead ends ---------------------------------------------------------------------------------------------------


def _offense(category, *, convicted_on, released_on="", status="convicted"):
    return {
        "has_offenses": "yes",
        "offenses-0-category": category,
        "offenses-0-status": status,
        "offenses-0-date": convicted_on.isoformat(),
        "offenses-0-released_on": released_on and released_on.isoformat(),
    }


def test_an_answer_an_officer_must_review_offers_the_way_to_apply_and_says_so(client, today):
    data = {**CLEAN, **_offense("other_felony", convicted_on=today - dt.timedelta(days=700))}
    html = client.post("/which-program", data=data).get_data(as_text=True)
    assert "you can apply; an officer will look closely" in html  # PreCheck; Global Entry refuses any conviction
    assert "We suggest" not in html
    assert "An officer will review your answers before deciding. You can still apply" in html
    assert '<a class="usa-button" href="/apply">Sign in and apply</a>' in html


def test_nobody_who_can_apply_for_neither_is_offered_the_button(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "FR"}).get_data(as_text=True)
    assert "Sign in and apply" not in html


def test_nexus_is_linked_to_the_official_cbp_page(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "CA"}).get_data(as_text=True)
    assert "apply for NEXUS instead" in html
    assert 'href="https://www.cbp.gov/travel/trusted-traveler-programs/nexus"' in html


def test_a_waiting_period_gives_the_day_the_answers_allow_applying_again(client, today):
    """Convicted 6 years ago and released 4 years ago: closed until both the 7 and the 5 years have passed."""
    convicted, released = years_before(today, 6), years_before(today, 4)
    data = {**CLEAN, **_offense("robbery", convicted_on=convicted, released_on=released)}
    html = client.post("/which-program", data=data).get_data(as_text=True)
    opens = max(convicted.replace(year=convicted.year + 7), released.replace(year=released.year + 5))
    opens += dt.timedelta(days=1)  # the last day of a window still counts
    said = html.split('data-testid="apply-from-precheck"')[1].split("</p>")[0]
    assert f"By the answers you gave, you can apply from {_long(opens)}." in said
    assert 'data-testid="apply-from-global_entry"' not in html  # Global Entry refuses any conviction, at any time
    with client.application.app_context():
        facts = {
            "date_of_birth": dt.date(1985, 3, 2),
            "citizenships": ["US"],
            "offenses": [{"category": "robbery", "status": "convicted", "date": convicted, "released_on": released}],
        }
        assert check_eligibility(facts, as_of=opens - dt.timedelta(days=1))["programs"]["precheck"]["outcome"] == (
            "ineligible"
        )
        assert check_eligibility(facts, as_of=opens)["programs"]["precheck"]["outcome"] == "eligible"


def test_no_date_is_given_where_time_alone_does_not_open_the_program(client, today):
    for offense in (
        _offense("robbery", convicted_on=today - dt.timedelta(days=30), status="pending"),
        _offense("murder", convicted_on=years_before(today, 30)),
    ):
        html = client.post("/which-program", data={**CLEAN, **offense}).get_data(as_text=True)
        assert "you cannot apply now" in html
        assert "you can apply from" not in html


# --- families -------------------------------------------------------------------------------------------------------


def test_the_page_says_what_children_need_for_each_program(client):
    html = client.get("/which-program").get_data(as_text=True)
    children = html.split('data-testid="children"')[1].split("</section>")[0]
    assert (
        "Children 17 and under can go through the TSA PreCheck lane with a parent or guardian who has TSA PreCheck, "
        "when they are on the same reservation."
    ) in children
    assert "needs their own membership" in children
    assert "Each child needs their own Global Entry membership, even a baby." in children
    assert "Children under 18 need a parent or guardian to agree" in children
    assert "They pay no fee if a parent or guardian is a member or applies at the same time." in children


# --- dates of birth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["0001-01-01", "1899-12-31"])
def test_an_implausible_date_of_birth_is_refused_plainly_and_kept_as_typed(client, typed):
    response = client.post("/which-program", data={**CLEAN, "date_of_birth": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Check the year of your date of birth. It must be 1900 or later" in html
    assert f'value="{typed}"' in html
    assert 'data-testid="answer"' not in html


def test_a_date_of_birth_in_1900_is_accepted(client):
    response = client.post("/which-program", data={**CLEAN, "date_of_birth": "1900-01-01"})
    assert response.status_code == 200 and 'data-testid="answer"' in response.get_data(as_text=True)
