"""The public "Which program is right for me?" page: no sign-in, plain questions, the same rules and reasons as
the API and the application flow."""

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


def test_someone_who_does_not_travel_is_recommended_precheck(client):
    html = client.post("/which-program", data={**CLEAN, "travels_internationally": "no"}).get_data(as_text=True)
    assert "We suggest: TSA PreCheck." in html


def test_a_dual_canadian_and_british_citizen_qualifies_for_global_entry_through_britain(client):
    html = client.post("/which-program", data={**CLEAN, "citizenship": "CA", "second_citizenship": "GB"}).get_data(
        as_text=True
    )
    assert "We suggest: Global Entry." in html
    assert html.count("you cannot apply now") == 1  # PreCheck needs U.S. citizenship or a green card


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
        "Add each arrest, charge or conviction.",
    ):
        assert message in html
    assert 'value="1985-03-02"' in html


def test_spanish_reasons_for_a_spanish_speaker(client):
    html = client.post(
        "/which-program", data={**CLEAN, "citizenship": "CA"}, headers={"Accept-Language": "es"}
    ).get_data(as_text=True)
    assert "NEXUS" in html and "ciudadan" in html
