"""The eligibility rules as seeded (CONTRACTS.md section 1, "The rules as seeded"): one rule set per program and one
published version each. Published versions are immutable, so an existing label is left as it is. Idempotent.

Look-back windows (7 years from conviction, 5 from release) are literals in the conditions: they are part of the
versioned, dated rule set. Partner countries and the age of majority are dated parameters (seeds/reference.py).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from trusted_traveler.extensions import db
from trusted_traveler.programs.models import Program
from trusted_traveler.rules.conditions import INTERIM_OFFENSES, PERMANENT_OFFENSES, validate_condition
from trusted_traveler.rules.models import Rule, RuleSet, RuleSetVersion

PUBLISHED_AT = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
CHANGE_NOTE = "The rules the service started with; each cites the regulation it comes from."


def _convicted(*conditions: dict) -> dict:
    return {"all": [{"field": "status", "op": "eq", "value": "convicted"}, *conditions]}


def _flag(name: str) -> dict:
    return {"field": name, "op": "is_true"}


US_CITIZEN = {"field": "citizenships", "op": "contains_any", "value": ["US"]}
LPR = _flag("lawful_permanent_resident")

PRECHECK_RULES = [
    {
        "code": "precheck.citizenship",
        "outcome": "ineligible",
        "condition": {"not": {"any": [US_CITIZEN, LPR]}},
        "citation": "TSA PreCheck Application Program: U.S. citizens, U.S. nationals and lawful permanent residents",
        "message_en": (
            "TSA PreCheck is only for U.S. citizens, U.S. nationals and lawful permanent residents. "
            "You did not tell us you are one of these, so you cannot enroll now. "
            "You can apply once you become a U.S. citizen or get a Permanent Resident Card."
        ),
        "message_es": (
            "TSA PreCheck es solo para ciudadanos y nacionales de los Estados Unidos y para residentes permanentes "
            "legales. No nos indicó que usted sea uno de ellos, así que por ahora no puede inscribirse. "
            "Podrá solicitarlo cuando obtenga la ciudadanía estadounidense o la tarjeta de residente permanente."
        ),
    },
    {
        "code": "precheck.permanent_offense",
        "outcome": "ineligible",
        "condition": {
            "exists": "offenses",
            "where": _convicted({"field": "category", "op": "in", "value": list(PERMANENT_OFFENSES)}),
        },
        "citation": "49 CFR 1572.103(a)",
        "message_en": (
            "You reported a conviction for a crime that always blocks TSA PreCheck, no matter how long ago it "
            "happened. You cannot enroll. If you think the court record is wrong, ask the court for a corrected copy."
        ),
        "message_es": (
            "Usted indicó una condena por un delito que siempre impide obtener TSA PreCheck, sin importar cuándo "
            "ocurrió. No puede inscribirse. Si cree que el expediente judicial tiene un error, pida una copia "
            "corregida al tribunal."
        ),
    },
    {
        "code": "precheck.interim_offense",
        "outcome": "ineligible",
        "condition": {
            "exists": "offenses",
            "where": _convicted(
                {"field": "category", "op": "in", "value": list(INTERIM_OFFENSES)},
                {
                    "any": [
                        {"field": "date", "op": "within_years", "value": 7},
                        {"field": "released_on", "op": "within_years", "value": 5},
                    ]
                },
            ),
        },
        "citation": "49 CFR 1572.103(b)",
        "message_en": (
            "You reported a conviction for a crime that blocks TSA PreCheck for a time: 7 years after the "
            "conviction, and 5 years after release from jail or prison. You can apply once both times have passed."
        ),
        "message_es": (
            "Usted indicó una condena por un delito que impide obtener TSA PreCheck durante un tiempo: 7 años "
            "después de la condena y 5 años después de salir de la cárcel o de prisión. Podrá solicitarlo cuando "
            "hayan pasado ambos plazos."
        ),
    },
    {
        "code": "precheck.pending_charge",
        "outcome": "ineligible",
        "condition": {
            "exists": "offenses",
            "where": {
                "all": [
                    {"field": "status", "op": "eq", "value": "pending"},
                    {"field": "category", "op": "in", "value": list(PERMANENT_OFFENSES + INTERIM_OFFENSES)},
                ]
            },
        },
        "citation": "49 CFR 1572.103(c)",
        "message_en": (
            "You have a pending charge for a crime that blocks TSA PreCheck. You cannot enroll while the charge is "
            "open. You can apply once the charge is dropped or the case ends without a conviction that blocks you."
        ),
        "message_es": (
            "Usted tiene un cargo pendiente por un delito que impide obtener TSA PreCheck. No puede inscribirse "
            "mientras el cargo siga abierto. Podrá solicitarlo cuando retiren el cargo o cuando el caso termine sin "
            "una condena que se lo impida."
        ),
    },
    {
        "code": "precheck.other_felony_review",
        "outcome": "needs_review",
        "condition": {
            "exists": "offenses",
            "where": _convicted(
                {"field": "category", "op": "eq", "value": "other_felony"},
                {"field": "date", "op": "within_years", "value": 7},
            ),
        },
        "citation": "TSA, Disqualifying Offenses and Other Factors: other serious crimes",
        "message_en": (
            "You reported a felony conviction in the last 7 years. It is not on the list of crimes that block TSA "
            "PreCheck, but TSA will look at it before deciding. You can still apply. Keep your court papers ready."
        ),
        "message_es": (
            "Usted indicó una condena por un delito grave en los últimos 7 años. Ese delito no está en la lista de "
            "los que impiden obtener TSA PreCheck, pero la TSA lo revisará antes de decidir. Aun así, puede "
            "presentar su solicitud. Tenga a mano los documentos del tribunal."
        ),
    },
]

GLOBAL_ENTRY_RULES = [
    {
        "code": "global_entry.citizenship",
        "outcome": "ineligible",
        "condition": {
            "not": {
                "any": [
                    US_CITIZEN,
                    LPR,
                    {"field": "citizenships", "op": "contains_any", "value": {"param": "partner_countries"}},
                ]
            }
        },
        "citation": "8 CFR 235.12(b)(1)",
        "message_en": (
            "Global Entry is for U.S. citizens, U.S. lawful permanent residents and citizens of partner countries. "
            "None of your citizenships is on that list. If you are a Canadian citizen, apply for NEXUS instead. "
            "It gives you Global Entry benefits."
        ),
        "message_es": (
            "Global Entry es para ciudadanos estadounidenses, residentes permanentes legales de los Estados Unidos y "
            "ciudadanos de países socios. Ninguna de sus ciudadanías está en esa lista. Si usted es ciudadano "
            "canadiense, solicite NEXUS. Con NEXUS tiene los beneficios de Global Entry."
        ),
    },
    {
        "code": "global_entry.criminal_history",
        "outcome": "ineligible",
        "condition": {"exists": "offenses"},
        "citation": "8 CFR 235.12(b)(2)",
        "message_en": (
            "You reported a criminal conviction or a pending charge. Global Entry does not accept anyone with a "
            "conviction or an open charge in any country, and that includes DUI. You may still qualify for TSA "
            "PreCheck."
        ),
        "message_es": (
            "Usted indicó una condena penal o un cargo pendiente. Global Entry no acepta a nadie con una condena o "
            "un cargo abierto en ningún país, y eso incluye conducir bajo los efectos del alcohol (DUI). Es posible "
            "que aún pueda obtener TSA PreCheck."
        ),
    },
    {
        "code": "global_entry.customs_immigration",
        "outcome": "ineligible",
        "condition": _flag("customs_immigration_violation"),
        "citation": "8 CFR 235.12(b)(2)",
        "message_en": (
            "You told us you broke a customs, immigration or agriculture law, in any country. Global Entry does not "
            "accept people with these violations. You may still qualify for TSA PreCheck."
        ),
        "message_es": (
            "Usted nos indicó que infringió una ley de aduanas, inmigración o agricultura, en cualquier país. "
            "Global Entry no acepta a personas con este tipo de infracciones. Es posible que aún pueda obtener TSA "
            "PreCheck."
        ),
    },
    {
        "code": "global_entry.investigation",
        "outcome": "ineligible",
        "condition": _flag("under_investigation"),
        "citation": "8 CFR 235.12(b)(2)",
        "message_en": (
            "You told us a law enforcement agency is investigating you. Global Entry does not accept people under "
            "investigation in any country. You can apply after the investigation is closed."
        ),
        "message_es": (
            "Usted nos indicó que una agencia del orden público lo está investigando. Global Entry no acepta a "
            "personas bajo investigación en ningún país. Podrá solicitarlo cuando la investigación haya terminado."
        ),
    },
    {
        "code": "global_entry.inadmissible",
        "outcome": "ineligible",
        "condition": _flag("inadmissible_or_waiver"),
        "citation": "8 CFR 235.12(b)(2)",
        "message_en": (
            "You told us you cannot be admitted to the United States, or you were once given a waiver of "
            "inadmissibility or parole. Global Entry does not accept people in this situation."
        ),
        "message_es": (
            "Usted nos indicó que no puede ser admitido en los Estados Unidos, o que alguna vez recibió una exención "
            "de inadmisibilidad o un permiso de permanencia temporal (parole). Global Entry no acepta a personas en "
            "esta situación."
        ),
    },
    {
        "code": "global_entry.minor_consent",
        "outcome": "condition",
        "condition": {"field": "age", "op": "lt", "value": {"param": "age_of_majority"}},
        "citation": "8 CFR 235.12(b)(1)(iii)",
        "message_en": (
            "You are under 18, so a parent or legal guardian must agree to your application. A parent or guardian "
            "must also come with you to the interview. If a parent or guardian is a member or applies at the same "
            "time, you pay no fee."
        ),
        "message_es": (
            "Usted es menor de 18 años, así que su madre, su padre o su tutor legal debe dar su consentimiento para "
            "la solicitud. Uno de ellos también debe acompañarlo a la entrevista. Si su madre, su padre o su tutor "
            "es miembro o presenta su solicitud al mismo tiempo, usted no paga la tarifa."
        ),
    },
]

RULE_SETS = [
    {
        "program": "precheck",
        "name": "TSA PreCheck eligibility",
        "label": "precheck-2026-11-01",
        "effective_from": dt.date(2013, 12, 4),
        "rules": PRECHECK_RULES,
    },
    {
        "program": "global_entry",
        "name": "Global Entry eligibility",
        "label": "global_entry-2026-11-01",
        "effective_from": dt.date(2008, 6, 10),
        "rules": GLOBAL_ENTRY_RULES,
    },
]


def load_rules() -> int:
    """Seed the rule sets and their first published versions; return the number of rules added."""
    added = 0
    for spec in RULE_SETS:
        program = db.session.scalar(select(Program).where(Program.code == spec["program"]))
        if program is None:
            raise RuntimeError(f"program {spec['program']!r} is missing: run load_reference() first")
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == program.id))
        if rule_set is None:
            rule_set = RuleSet(program_id=program.id, name=spec["name"])
            db.session.add(rule_set)
            db.session.flush()
        if db.session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.label == spec["label"])) is not None:
            continue
        number = 1 + max((v.number for v in rule_set.versions), default=0)
        version = RuleSetVersion(
            rule_set=rule_set,
            number=number,
            label=spec["label"],
            status="published",
            effective_from=spec["effective_from"],
            change_note=CHANGE_NOTE,
            published_at=PUBLISHED_AT,
        )
        for position, rule in enumerate(spec["rules"]):
            version.rules.append(
                Rule(
                    code=rule["code"],
                    position=position,
                    condition=validate_condition(rule["condition"]),
                    outcome=rule["outcome"],
                    message_en=rule["message_en"],
                    message_es=rule["message_es"],
                    citation=rule["citation"],
                )
            )
            added += 1
        db.session.add(version)
    db.session.flush()
    return added
