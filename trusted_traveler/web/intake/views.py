"""The guided intake: one topic per page, saved on the server at every step, resumable anywhere.

Each step maps its form to the profile (`load` for showing, `save` for storing). Rows of a list are added and
removed with buttons that post the whole page, so nothing typed is lost and no JavaScript is needed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework.changes import under_way
from trusted_traveler.db import service_today, utcnow
from trusted_traveler.errors import BusinessRuleViolation
from trusted_traveler.extensions import db
from trusted_traveler.i18n import format_day
from trusted_traveler.profiles import service as profiles
from trusted_traveler.web.auth.views import safe_next
from trusted_traveler.web.forms import apply_list_action, country_name
from trusted_traveler.web.intake import bp
from trusted_traveler.web.intake import forms as f

TITLES = {
    "names": _l("Your name"),
    "birth": _l("Birth and description"),
    "citizenship": _l("Citizenship"),
    "documents": _l("Identity documents"),
    "contact": _l("Contact details"),
    "addresses": _l("Where you have lived"),
    "employment": _l("Work and study"),
    "travel": _l("Travel abroad"),
    "background": _l("Background questions"),
    "guardian": _l("Parent or guardian"),
}


def _yes(value: bool | None) -> str | None:
    return None if value is None else ("yes" if value else "no")


def _doc_rows(profile, kind):
    return [d for d in profile.documents if d.kind == kind]


@dataclass
class Step:
    form: type
    load: Any  # profile -> form data
    save: Any  # (profile, form) -> (fields, collections) or raises ValueError(field, message)
    lists: tuple[str, ...] = ()
    store: Any = None  # (profile, by, fields, collections, today) -> None; profiles.save_step when None
    facts: Any = None  # profile -> the form's keyword arguments: what it checks answers against (no facts when None)

    def make_form(self, profile, **kwargs):
        return self.form(**kwargs, **(self.facts(profile) if self.facts else {}))


def _born_on(p):
    """A history's periods and the offenses cannot start before the person was born."""
    return {"born_on": p.date_of_birth}


def _green_card_answer(p):
    """The citizenship page's answer, which the card's number on the documents page must agree with (None before
    that page is answered: it is saved with at least one citizenship)."""
    return {"holds_green_card": bool(p.lawful_permanent_resident) if p.citizenships else None}


def _load_names(p):
    return {
        "given_names": p.given_names,
        "middle_names": p.middle_names,
        "surname": p.surname,
        "other_names": [{"given_names": o.given_names, "surname": o.surname, "kind": o.kind} for o in p.other_names],
    }


def _save_names(p, form):
    rows = [
        {"given_names": e.given_names.data or None, "surname": e.surname.data, "kind": e.kind.data}
        for e in form.other_names
    ]
    fields = {
        "given_names": form.given_names.data,
        "middle_names": form.middle_names.data or None,
        "surname": form.surname.data,
    }
    return fields, {"other_names": rows}


def _load_birth(p):
    feet, inches = p.height_feet_inches or (None, None)
    return {
        "date_of_birth": p.date_of_birth,
        "birth_city": p.birth_city,
        "birth_region": p.birth_region,
        "birth_country": p.birth_country,
        "sex": p.sex,
        "height_feet": feet,
        "height_inches": inches,
        "eye_color": p.eye_color,
    }


def _save_birth(p, form):
    height_cm = round((form.height_feet.data * 12 + form.height_inches.data) * 2.54)
    return {
        "date_of_birth": form.date_of_birth.data,
        "birth_city": form.birth_city.data,
        "birth_region": form.birth_region.data or None,
        "birth_country": form.birth_country.data,
        "sex": form.sex.data,
        "height_cm": height_cm,
        "eye_color": form.eye_color.data,
    }, {}


def _load_citizenship(p):
    return {
        "citizenships": [{"country": c.country_code} for c in p.citizenships] or [{}],
        "lawful_permanent_resident": _yes(p.lawful_permanent_resident) if p.citizenships else None,
    }


def _save_citizenship(p, form):
    codes = [e.country.data for e in form.citizenships if e.country.data]
    return (
        {"lawful_permanent_resident": form.lawful_permanent_resident.data == "yes"},
        {"citizenships": [{"country_code": c} for c in codes]},
    )


def _load_documents(p):
    green = next(iter(_doc_rows(p, "permanent_resident_card")), None)
    lic = next(iter(_doc_rows(p, "drivers_license")), None)
    return {
        "passports": [
            {"issuing_country": d.issuing_country, "number": d.number, "expires_on": d.expires_on}
            for d in _doc_rows(p, "passport")
        ],
        "green_card_number": green.number if green else None,
        "green_card_expires": green.expires_on if green else None,
        "license_state": lic.issuing_region if lic else "",
        "license_number": lic.number if lic else None,
        "license_expires": lic.expires_on if lic else None,
        "license_enhanced": lic.enhanced if lic else False,
    }


def _document(kind, country, number, expires, region=None, enhanced=False):
    return {
        "kind": kind,
        "issuing_country": country,
        "issuing_region": region,
        "number": number,
        "number_last4": number[-4:],
        "expires_on": expires,
        "enhanced": enhanced,
    }


def _save_documents(p, form):
    rows = [_document("passport", e.issuing_country.data, e.number.data, e.expires_on.data) for e in form.passports]
    if form.green_card():  # asked, and given (after a "No" on the citizenship page it is not asked, nor kept)
        rows.append(
            _document("permanent_resident_card", "US", form.green_card_number.data, form.green_card_expires.data)
        )
    if form.license_number.data:
        rows.append(
            _document(
                "drivers_license",
                "US",
                form.license_number.data,
                form.license_expires.data,
                form.license_state.data,
                bool(form.license_enhanced.data),
            )
        )
    return {}, {"documents": rows}


MAILING = f.MAILING_FIELDS


def _home_address(p):
    """The address the person lives at now, written out, which the mailing address question names (None while the
    page "Where you have lived" does not give one)."""
    home = profiles.home_address(p)
    if home is None:
        return {"home_address": None}
    parts = [home.line1, home.line2, home.city, " ".join(filter(None, [home.region, home.postal_code]))]
    return {"home_address": ", ".join(filter(None, [*parts, country_name(home.country)]))}


def _load_contact(p):
    data = {name: getattr(p, name) for name in MAILING}
    data.update(
        {
            "email": p.email,
            "phone": p.phone,
            "mailing_same_as_residential": _yes(p.mailing_same_as_residential) if p.phone else None,
        }
    )
    return data


def _save_contact(p, form):
    same = form.mailing_same_as_residential.data == "yes"
    fields = {"email": form.email.data, "phone": form.phone.data, "mailing_same_as_residential": same}
    fields.update({name: None if same else (getattr(form, name).data or None) for name in MAILING})
    return fields, {}


def _load_periods(rows, names):
    return [{name: getattr(r, name) for name in names} for r in rows]


ADDRESS_FIELDS = ("from_month", "to_month", "line1", "line2", "city", "region", "postal_code", "country")
EMPLOYMENT_FIELDS = ("from_month", "to_month", "status", "employer", "occupation", "city", "country", "phone")


def _period_rows(entries, names):
    """The rows of a history as the person gave them, in their order (profiles.models keeps it)."""
    return [
        {
            name: (getattr(e, name).month if name.endswith("_month") else (getattr(e, name).data or None))
            for name in names
        }
        for e in entries
    ]


def _load_addresses(p):
    return {"addresses": _load_periods(p.addresses, ADDRESS_FIELDS) or [{}]}


def _save_addresses(p, form):
    return {}, {"addresses": _period_rows(form.addresses, ADDRESS_FIELDS)}


def _load_employment(p):
    return {"employment": _load_periods(p.employment, EMPLOYMENT_FIELDS) or [{}]}


def _save_employment(p, form):
    return {}, {"employment": _period_rows(form.employment, EMPLOYMENT_FIELDS)}


def _load_travel(p):
    saved = "travel" in (p.intake_progress or {}).get("saved", [])
    return {
        "travelled": _yes(bool(p.countries_visited)) if saved else None,
        "countries": [{"country": c.country_code} for c in p.countries_visited],
    }


def _save_travel(p, form):
    codes = [e.country.data for e in form.countries if e.country.data] if form.travelled.data == "yes" else []
    return {}, {"countries_visited": [{"country_code": c} for c in codes]}


def _load_background(p):
    answered = p.background_answered_at is not None
    return {
        "has_offenses": _yes(bool(p.offenses)) if answered else None,
        "offenses": [
            {
                "category": o.category,
                "status": o.status,
                "date": o.date,
                "released_on": o.released_on,
                "details": o.details,
            }
            for o in p.offenses
        ],
        "customs_immigration_violation": _yes(p.customs_immigration_violation),
        "under_investigation": _yes(p.under_investigation),
        "inadmissible_or_waiver": _yes(p.inadmissible_or_waiver),
        "background_details": p.background_details,
    }


def _save_background(p, form):
    offenses = (
        []
        if form.has_offenses.data == "no"
        else [
            {
                "category": e.category.data,
                "status": e.status.data,
                "date": e.date.data,
                "released_on": e.released_on.data,
                "details": e.details.data or None,
            }
            for e in form.offenses
        ]
    )
    fields = {
        name: getattr(form, name).data == "yes"
        for name in ("customs_immigration_violation", "under_investigation", "inadmissible_or_waiver")
    }
    fields["background_details"] = form.background_details.data or None
    fields["background_answered_at"] = utcnow()
    return fields, {"offenses": offenses}


def _load_guardian(p):
    return {
        "guardian_given_names": p.guardian_given_names,
        "guardian_surname": p.guardian_surname,
        "guardian_relationship": p.guardian_relationship,
        "guardian_email": p.guardian_email,
        "guardian_reference": p.guardian_reference,
        "consent": p.guardian_consent_at is not None,
    }


def _save_guardian(p, form):
    reference = form.guardian_reference.data or None
    try:
        guardian = profiles.guardian_for(p, reference, service_today(), surname=form.guardian_surname.data)
    except BusinessRuleViolation as exc:
        raise ValueError("guardian_reference", exc.message) from None
    return {
        "guardian_given_names": form.guardian_given_names.data,
        "guardian_surname": form.guardian_surname.data,
        "guardian_relationship": form.guardian_relationship.data,
        "guardian_email": form.guardian_email.data,
        "guardian_reference": reference,
        "guardian_profile_id": guardian.id if guardian else None,
    }, {}


def _store_guardian(profile, by, fields, _collections, today):
    """Consent is taken afresh, audited and the guardian told, whenever who the guardian is changes."""
    profiles.save_guardian(profile, by=by, fields=fields, today=today)


STEPS: dict[str, Step] = {
    "names": Step(f.NamesForm, _load_names, _save_names, ("other_names",)),
    "birth": Step(f.BirthForm, _load_birth, _save_birth),
    "citizenship": Step(f.CitizenshipForm, _load_citizenship, _save_citizenship, ("citizenships",)),
    "documents": Step(f.DocumentsForm, _load_documents, _save_documents, ("passports",), facts=_green_card_answer),
    "contact": Step(f.ContactForm, _load_contact, _save_contact, facts=_home_address),
    "addresses": Step(f.AddressesForm, _load_addresses, _save_addresses, ("addresses",), facts=_born_on),
    "employment": Step(f.EmploymentForm, _load_employment, _save_employment, ("employment",), facts=_born_on),
    "travel": Step(f.TravelForm, _load_travel, _save_travel, ("countries",)),
    "background": Step(f.BackgroundForm, _load_background, _save_background, ("offenses",), facts=_born_on),
    "guardian": Step(f.GuardianForm, _load_guardian, _save_guardian, store=_store_guardian),
}


def _progress(profile, today):
    steps = profiles.applicable_steps(profile, today) if profile else list(profiles.STEPS[:-1])
    return [(s, TITLES[s], profile is not None and profiles.step_complete(profile, s, today)) for s in steps]


@bp.get("")
@signed_in
def start():
    """Resume where the person stopped: the first unfinished step, or the summary when all are done."""
    profile = profiles.profile_for(current_user)
    missing = profiles.missing_steps(profile, service_today())
    if missing:
        return redirect(url_for("intake.step", name=missing[0]))
    return redirect(url_for("intake.summary"))


@bp.route("/<name>", methods=["GET", "POST"])
@signed_in
def step(name: str):
    if name not in STEPS:
        abort(404)
    today = service_today()
    profile = profiles.get_or_create_profile(current_user)
    if name not in profiles.applicable_steps(profile, today):
        return redirect(url_for("intake.start"))
    spec = STEPS[name]
    return_to = request.values.get("return_to")
    status = 200
    if request.method == "POST":
        form = spec.make_form(profile)
        if apply_list_action(form, spec.lists, request.form.get("action", "")):
            return _render(name, form, profile, today, return_to)
        if form.validate_on_submit():
            try:
                fields, collections = spec.save(profile, form)
            except ValueError as exc:
                field_name, message = exc.args
                getattr(form, field_name).errors = [message]
            else:
                if spec.store is not None:
                    spec.store(profile, current_user, fields, collections, today)
                else:
                    profiles.save_step(profile, name, by=current_user, fields=fields, collections=collections)
                db.session.commit()
                if request.form.get("later"):  # even with months still missing: they are named when they return
                    flash(_("Your answers are saved. Come back any time to carry on."), "success")
                    return redirect(url_for("portal.dashboard"))
                gaps = _gaps_for(name, profile, today)
                if gaps:  # saved, but the history is not whole yet: say which months are missing
                    saved = spec.make_form(profile, data=spec.load(profile))
                    return _render(name, saved, profile, today, return_to, gaps=gaps)
                return redirect(_next_url(profile, name, today, return_to))
        status = 400
    else:
        db.session.commit()  # a new profile is created on the first visit
        form = spec.make_form(profile, data=spec.load(profile))
        notice = _mark_out_of_date(name, form, profile, today)
        return _render(name, form, profile, today, return_to, notice=notice)
    return _render(name, form, profile, today, return_to, status=status)


def _mark_out_of_date(name, form, profile, today) -> str | None:
    """Answers saved once that no longer stand are shown with what to do, as errors on their fields: an expired
    identity document, a Permanent Resident Card the citizenship answer changed against since
    (profiles.green_card_disagrees), and countries visited answered too long ago (profiles.travel_answer_stale).
    A card saved before the answer became "No" has no field now: what becomes of it is returned, for the page to
    say above the form."""
    if name == "documents":
        expired = _l("This document has expired. Enter a document that is still valid.")
        dates = [e.expires_on for e in form.passports] + [form.green_card_expires, form.license_expires]
        for field in filter(None, dates):  # no card's date after a "No" on the citizenship page: it is not asked
            if field.data is not None and field.data <= today:
                field.errors = [expired]
        if profiles.green_card_disagrees(profile):
            form.green_card_agrees()  # says which answer it is, and where to change it
            if not form.asks_green_card:  # a card saved before a "No": not asked now, so not kept once saved
                return _(
                    "You said you do not hold a Permanent Resident Card (on the Citizenship page), so the card you "
                    "gave before will be removed when you save this page. If you do hold one, change that answer."
                )
    elif name == "travel" and profiles.travel_answer_stale(profile, today):
        day = profiles.saved_on(profile, "travel")
        form.travelled.errors = [
            _(
                "You answered this on %(day)s. Check the countries you have visited in the last 5 years, then save "
                "this page again.",
                day=format_day(day),
            )
            if day
            else _("Check the countries you have visited in the last 5 years, then save this page again.")
        ]
    return None


def _gaps_for(name, profile, today):
    if name == "addresses":
        return profiles.address_gaps(profile, today)
    if name == "employment":
        return profiles.employment_gaps(profile, today)
    return []


def _next_url(profile, current: str, today, return_to: str | None) -> str:
    if return_to:
        return safe_next(return_to)
    steps = profiles.applicable_steps(profile, today)
    later = steps[steps.index(current) + 1 :]
    for candidate in later:
        if not profiles.step_complete(profile, candidate, today):
            return url_for("intake.step", name=candidate)
    missing = profiles.missing_steps(profile, today)
    return url_for("intake.step", name=missing[0]) if missing else url_for("intake.summary")


def _render(name, form, profile, today, return_to, *, gaps=(), notice=None, status=200):
    progress = _progress(profile, today)
    names = [s for s, _title, _done in progress]
    return render_template(
        "intake/step.html",
        step=name,
        title=TITLES[name],
        form=form,
        progress=progress,
        number=names.index(name) + 1,
        total=len(names),
        return_to=return_to,
        gaps=gaps,
        notice=notice,
        profile=profile,
        lists=STEPS[name].lists,
        under_way=under_way(profile.id),  # submitted and open: a change reaches the officer handling each
    ), status


def answer_labels() -> dict[str, dict]:
    """The names of coded answers (sex, eye color, kinds of names, offense categories and statuses, what someone was
    doing, a guardian's relationship) in the reader's language, as the intake's own pages name them: what the profile's
    summary (templates/intake/_summary_rows.html) shows instead of codes."""
    return {
        "sexes": dict(f.SEXES),
        "eye_colors": f.EYE_COLORS,
        "other_names": dict(f.OTHER_NAME_KINDS),
        "offenses": f.CATEGORY_LABELS,
        "offense_statuses": dict(f.OFFENSE_STATUSES),
        "statuses": dict(f.EMPLOYMENT_STATUSES),
        "relationships": dict(f.GUARDIAN_RELATIONSHIPS),
    }


def summary_context(profile, today) -> dict:
    """What the profile's summary needs besides the profile: the labels of coded answers, and the months each
    five-year history leaves out (shown in its group, as its step shows them). Computed from the rows loaded for the
    page: no query."""
    return {
        "labels": answer_labels(),
        "gaps": {step: _gaps_for(step, profile, today) for step in ("addresses", "employment")},
    }


@bp.get("/summary")
@signed_in
def summary():
    today = service_today()
    profile = profiles.profile_for(current_user)
    if profile is None:
        return redirect(url_for("intake.start"))
    return render_template(
        "intake/summary.html",
        profile=profile,
        missing=profiles.missing_steps(profile, today),
        titles=TITLES,
        progress=_progress(profile, today),
        under_way=under_way(profile.id),
        **summary_context(profile, today),
    )
