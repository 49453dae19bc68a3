"""The program lead's console: browse rules and settings; draft, edit, try, submit, approve, publish and retire."""

from __future__ import annotations

import json
import time

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.utils import secure_filename

from trusted_traveler.audit.record import record_views
from trusted_traveler.auth.models import Account, account_label
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.db import service_today
from trusted_traveler.errors import BusinessRuleViolation, DomainError
from trusted_traveler.extensions import db
from trusted_traveler.programs.service import get_program, list_programs
from trusted_traveler.rules import authoring, publication, trial
from trusted_traveler.rules.conditions import MissingParameter
from trusted_traveler.rules.describe import describe, describe_event
from trusted_traveler.rules.diff import changes
from trusted_traveler.rules.impact import affected, preview, shared_previews
from trusted_traveler.rules.models import Parameter, RuleSet, RuleSetVersion
from trusted_traveler.rules.service import check_eligibility_with, check_program, version_in_force
from trusted_traveler.spreadsheets import csv_text
from trusted_traveler.web.forms import apply_list_action, choices
from trusted_traveler.web.public.forms import WhichProgramForm
from trusted_traveler.web.rules_console import bp
from trusted_traveler.web.rules_console.forms import (
    FACT_ONLY,
    OFFENSE_ONLY,
    NoteForm,
    ParameterForm,
    PublishForm,
    RuleForm,
    SubmitForm,
    TrialForm,
    VersionActionForm,
    build_condition,
    clause_error_field,
    clauses_of,
    plain_clause_errors,
)

MANAGE = require(Permission.MANAGE_RULES)


def _changing(version, form, action):
    """Run `action`, a change to `version`, if the page `form` was sent from showed the version as it is now; else
    authoring.StaleVersion, also when another lead's save lands between this check and this save's own UPDATE."""
    authoring.check_revision(version, form.revision.data)
    try:
        return action()
    except StaleDataError:
        db.session.rollback()
        authoring.check_revision(version, form.revision.data)  # read again: names the lead whose save came first
        raise


def _typed_kept(version, form, exc: authoring.StaleVersion) -> None:
    """A form refused as stale keeps what was typed; it now carries the current revision, so that sending it again,
    once the lead has looked, saves it."""
    db.session.rollback()
    kept = _(
        "Nothing was saved. What you typed is kept below: compare it with the version as it is now, then save it again."
    )
    flash(f"{exc.changed} {kept}", "error")
    form.revision.data = str(version.revision)


@bp.errorhandler(BusinessRuleViolation)
def _refused(err: BusinessRuleViolation):
    """A refused action (a second lead's approval, a date that clashes, …) comes back with the reason."""
    db.session.rollback()
    flash(err.message, "error")
    label = (request.view_args or {}).get("label")
    return redirect(url_for("rules_console.version", label=label) if label else url_for("rules_console.overview"))


@bp.errorhandler(MissingParameter)
def _cannot_count(err: MissingParameter):
    """A rule compares with a setting that has no value in force for its program (a TSA PreCheck rule saved with
    Global Entry's partner countries before save_rule refused it): the impact and the publish page cannot count,
    and say which setting, on the version's page, rather than fail."""
    db.session.rollback()
    setting = authoring.setting_label(err.key)
    flash(
        f"The effect on pending applications cannot be counted: a rule uses the setting “{setting}”, which has no "
        "value in force for this program. Change that rule to compare with the values themselves.",
        "error",
    )
    label = (request.view_args or {}).get("label")
    return redirect(url_for("rules_console.version", label=label) if label else url_for("rules_console.overview"))


@bp.before_request
def _former_draft_label():
    """A page of a draft reached by its old label once it is published (the browser's Back after "Publish", a
    bookmark, a form sent twice): the version's page under its new label, saying what became of the draft, instead of
    "no such version". Nothing is done by a form sent so: the lead sees the version as it is now."""
    label = (request.view_args or {}).get("label")
    if not label or not current_user.is_authenticated or not current_user.can(Permission.MANAGE_RULES):
        return None  # MANAGE answers as for any page
    if db.session.scalar(select(RuleSetVersion.id).where(RuleSetVersion.label == label)) is not None:
        return None
    version = authoring.formerly(label)
    if version is None:
        return None
    flash(_became(label, version), "info")
    return redirect(url_for("rules_console.version", label=version.label), code=303)


def _became(label: str, version) -> str:
    if version.effective_from is None:  # not expected: only publication changes a label
        return f"{label} is now {version.label}; this is its page."
    when = f"{version.effective_from:%B %-d, %Y}"
    if version.status == "retired":
        return (
            f"{label} was published as {version.label} (to take effect on {when}) and has since been retired. "
            "This is its page now."
        )
    return (
        f"{label} was published as {version.label}; it takes effect on {when}. Nothing was lost: this is its page "
        "now, under its published label."
    )


@bp.get("/")
@MANAGE
def overview():
    today = service_today()
    programs = []
    for program in list_programs():
        rule_set = db.session.scalar(select(RuleSet).where(RuleSet.program_id == program.id))
        parameters = db.session.scalars(
            select(Parameter)
            .where((Parameter.program_id == program.id) | Parameter.program_id.is_(None))
            .where(Parameter.version_id.is_(None) | Parameter.version.has(status="published"))
            .order_by(Parameter.key, Parameter.effective_from.desc())
        ).all()
        history: dict[str, list[Parameter]] = {}
        for parameter in parameters:
            history.setdefault(parameter.key, []).append(parameter)
        versions = rule_set.versions if rule_set else []
        programs.append(
            {
                "program": program,
                "versions": versions,
                "periods": authoring.periods_in_force(versions),
                "in_force": version_in_force(program, today),
                "draft": authoring.open_draft(program),
                "parameters": history,
            }
        )
    return render_template("rules_console/overview.html", programs=programs, today=today, form=NoteForm())


@bp.post("/programs/<code>/drafts")
@MANAGE
def start_draft(code: str):
    draft = authoring.start_draft(get_program(code), by=current_user, today=service_today())
    db.session.commit()
    return redirect(url_for("rules_console.version", label=draft.label))


def _seen(form_class, version):
    """An empty form for the version's page, carrying the revision the page shows."""
    form = form_class(formdata=None)
    form.revision.data = str(version.revision)
    return form


def _version_page(version, *, status=200, **forms):
    """A version with what it changes: a draft or a version in review is compared with the version it replaces on
    its effective date (before it has one, the latest published version it was copied from), which is not today's
    when a future-dated version is published; the page says which, and on what date."""
    today = service_today()
    program = version.rule_set.program
    proposals = authoring.proposals(version)
    replaced, replaces_on, lines = None, None, []
    if version.status in ("draft", "in_review"):
        replaced, replaces_on = authoring.replaced_version(version, today=today)
        lines = changes(replaced, version, proposals, today=today, on=replaces_on)
    history = authoring.history(version)
    actor_ids = {e.actor_id for e in history if e.actor_id}
    who = {
        row.id: account_label(row.display_name, row.email)
        for row in db.session.execute(
            select(Account.id, Account.display_name, Account.email).where(Account.id.in_(actor_ids))
        )
    }
    in_force_today = version_in_force(program, today)
    context = {
        "version": version,
        "rules": [{"rule": r, "plain": describe(r.condition)} for r in version.rules],
        "proposals": proposals,
        "shared_keys": {p.key for p in proposals if p.key in authoring.SETTINGS and authoring.SETTINGS[p.key].shared},
        "inapplicable_keys": {p.key for p in proposals if not authoring.applies_to(p.key, program.code)},
        "shared_clashes": authoring.shared_setting_clashes(version, today=today)
        if version.status in ("draft", "in_review")
        else [],
        "changes": lines,
        "base": in_force_today,
        "replaced": replaced,
        "replaces_on": replaces_on,
        "today": today,
        "history": [
            {"event": e, "who": who.get(e.actor_id), "details": describe_event(e.action, e.details)} for e in history
        ],
        "approval_refused": authoring.approval_refusal(version, current_user)
        if version.status == "in_review"
        else None,
        "parameter_form": (forms.get("parameter_form") or _seen(ParameterForm, version)).for_program(program),
        "submit_form": forms.get("submit_form") or _seen(SubmitForm, version),
        "note_form": forms.get("note_form") or NoteForm(),
        "try_form": forms.get("try_form") or WhichProgramForm(),
        "trial": forms.get("trial"),
        "action_form": _seen(VersionActionForm, version),
        "can_try": trial.can_try(version, today=today, in_force=in_force_today),
    }
    return render_template("rules_console/version.html", **context), status


@bp.get("/versions/<label>")
@MANAGE
def version(label: str):
    return _version_page(authoring.get_version(label))


def _field_errors(form, exc: authoring.RuleError):
    errors = dict(exc.errors)
    if exc.condition_errors and hasattr(form, "clauses"):
        for field, message in plain_clause_errors(form):  # in plain words, beside the clause's field at fault
            field.errors = [*field.errors, message]
        unplaced = []
        for path, message in exc.condition_errors:  # anything the plain checks do not cover, still beside its field
            field = clause_error_field(form, path)
            if field is None:
                unplaced.append(f"{path}: {message}")
            elif not field.errors:
                field.errors = [*field.errors, message]
        errors.pop("condition", None)
        if unplaced:
            errors["condition"] = "; ".join(unplaced)
    for name, message in errors.items():
        field = getattr(form, "clauses" if name == "condition" else name, None)
        if field is not None:
            field.errors = [*field.errors, message]
        else:
            flash(message, "error")


def _save(version, form, form_name: str, success: str, action):
    """Validate `form`, run `action`; a refusal goes back onto the form's fields, success commits once. From a page
    older than the version: refused, with who changed it and when, and what was typed kept."""
    if form.validate_on_submit():
        try:
            _changing(version, form, action)
        except authoring.StaleVersion as exc:
            _typed_kept(version, form, exc)
            return _version_page(version, status=409, **{form_name: form})
        except authoring.RuleError as exc:
            db.session.rollback()
            _field_errors(form, exc)
        else:
            db.session.commit()
            flash(success, "success")
            return redirect(url_for("rules_console.version", label=version.label))
    return _version_page(version, status=400, **{form_name: form})


@bp.route("/versions/<label>/rules/new", methods=["GET", "POST"])
@bp.route("/versions/<label>/rules/<code>/edit", methods=["GET", "POST"])
@MANAGE
def edit_rule(label: str, code: str | None = None):
    version = authoring.get_version(label)
    if version.status != "draft":
        flash("Only a draft can be changed. Start a new draft from the latest published version.", "error")
        return redirect(url_for("rules_console.version", label=label))
    rule = next((r for r in version.rules if r.code == code), None) if code else None
    if code and rule is None and request.method == "GET":
        abort(404)  # (sent from a page that still had it: refused below as stale, with what was typed)
    fixed_condition = None
    if request.method == "GET":
        data = {"outcome": "ineligible", "negate": "no", "combine": "all", "clauses": [{}]}
        if rule is not None:
            structure = clauses_of(rule.condition)
            fixed_condition = None if structure else rule.condition
            data = {
                **(structure or data),
                "code": rule.code,
                "outcome": rule.outcome,
                "message_en": rule.message_en,
                "message_es": rule.message_es,
                "citation": rule.citation,
                "original_code": rule.code,
            }
        form = RuleForm(data={**data, "revision": str(version.revision)})
    else:
        form = RuleForm()
        if rule is not None and clauses_of(rule.condition) is None:
            fixed_condition = rule.condition
        if apply_list_action(form, ("clauses",), request.form.get("action", "")):
            return _render_rule(version, form, rule, fixed_condition)
        if form.validate_on_submit():

            def save():
                if code and rule is None:
                    abort(404)
                authoring.save_rule(
                    version,
                    by=current_user,
                    code=form.code.data,
                    condition=fixed_condition or build_condition(form),
                    outcome=form.outcome.data,
                    message_en=form.message_en.data,
                    message_es=form.message_es.data,
                    citation=form.citation.data,
                    replaces=rule.code if rule else None,
                    one_language_confirmed=form.one_language_only.data,
                )

            try:
                _changing(version, form, save)
            except authoring.StaleVersion as exc:
                _typed_kept(version, form, exc)
                return _render_rule(version, form, rule, fixed_condition, status=409, stale=True)
            except authoring.RuleError as exc:
                db.session.rollback()
                _field_errors(form, exc)
            else:
                db.session.commit()
                flash(f"Saved rule {form.code.data}.", "success")
                return redirect(url_for("rules_console.version", label=label))
        return _render_rule(version, form, rule, fixed_condition, status=400)
    return _render_rule(version, form, rule, fixed_condition)


def _render_rule(version, form, rule, fixed_condition, *, status=200, stale=False):
    """The rule's form. Refused as stale: the rule as it is saved now is shown above what the lead typed (a rule
    removed meanwhile is not, and saving the form adds it again)."""
    return render_template(
        "rules_console/rule.html",
        version=version,
        form=form,
        rule=rule,
        fixed_plain=describe(fixed_condition) if fixed_condition else None,
        fact_only=FACT_ONLY,
        offense_only=OFFENSE_ONLY,
        saved_plain=describe(rule.condition) if stale and rule is not None else None,
    ), status


@bp.post("/versions/<label>/rules/<code>/remove")
@MANAGE
def remove_rule(label: str, code: str):
    version = authoring.get_version(label)
    _changing(version, VersionActionForm(), lambda: authoring.remove_rule(version, code, by=current_user))
    db.session.commit()
    flash(f"Removed rule {code} from the draft.", "success")
    return redirect(url_for("rules_console.version", label=label))


@bp.post("/versions/<label>/parameters")
@MANAGE
def propose_parameter(label: str):
    version = authoring.get_version(label)
    form = ParameterForm()
    return _save(
        version,
        form,
        "parameter_form",
        "The new value is part of the draft.",
        lambda: authoring.propose_parameter(
            version, form.key.data, form.value.data, by=current_user, reference=form.reference.data
        ),
    )


@bp.post("/versions/<label>/parameters/<key>/withdraw")
@MANAGE
def withdraw_parameter(label: str, key: str):
    version = authoring.get_version(label)
    _changing(version, VersionActionForm(), lambda: authoring.withdraw_parameter(version, key, by=current_user))
    db.session.commit()
    return redirect(url_for("rules_console.version", label=label))


@bp.post("/versions/<label>/try")
@MANAGE
def try_sample(label: str):
    """Run the draft and the version in force on one sample person, side by side."""
    version = authoring.get_version(label)
    form = WhichProgramForm()
    if apply_list_action(form, ("offenses",), request.form.get("action", "")):
        return _version_page(version, try_form=form)
    if not form.validate_on_submit():
        return _version_page(version, status=400, try_form=form)
    today = service_today()
    program = version.rule_set.program
    overrides = {p.key: p.value for p in authoring.proposals(version)}
    facts = form.facts()
    try:
        side_by_side = {
            "now": check_program(program, facts, as_of=today, language="en"),
            "draft": check_program(program, facts, as_of=today, language="en", version=version, overrides=overrides),
        }
    except DomainError as exc:
        side_by_side = {"error": exc.message}
    return _version_page(version, try_form=form, trial=side_by_side)


@bp.route("/try", methods=["GET", "POST"])
@MANAGE
def try_answers():
    """The public check's answer under a chosen version (a draft, one in review, one published to take effect
    later, or today's), on a chosen day from today on: the same body, engine, fees and words as the public check
    (rules.service.check_eligibility_with, templates/public/_answer.html), in English or Spanish. Nothing is saved."""
    today = service_today()
    versions = {v.label: v for v in trial.versions_to_try(today)}
    form = TrialForm()
    form.version.choices = choices([(label, trial.choice_label(v, today)) for label, v in versions.items()])
    if request.method == "GET":
        wanted = request.args.get("version")
        renamed = authoring.formerly(wanted) if wanted and wanted not in versions else None
        if renamed is not None:  # a draft's old label, once published
            flash(_became(wanted, renamed), "info")
            wanted = renamed.label
        form.version.data = wanted if wanted in versions else next(iter(versions), None)
        return _trial_page(form)
    if apply_list_action(form, ("offenses",), request.form.get("action", "")):
        return _trial_page(form)
    if not form.validate_on_submit():
        return _trial_page(form, status=400)
    version = versions[form.version.data]
    as_of = form.as_of.data or trial.default_date(version, today)
    problem = trial.date_problem(version, as_of, today)
    if problem:
        form.as_of.errors = [*form.as_of.errors, problem]
        return _trial_page(form, status=400)
    language = form.language.data
    try:
        body, since = check_eligibility_with(version, form.facts(), as_of=as_of, language=language)
    except DomainError as exc:
        return _trial_page(form, result={"error": exc.message, "version": version, "as_of": as_of})
    with force_locale(language):  # the answer's words too, as the public reads them in that language
        answer_html = Markup(  # noqa: S704 - rendered by an autoescaping template
            render_template(
                "public/_answer.html", answer=body, programs=list_programs(), rules_since=since, show_apply=False
            )
        )
    result = {
        "version": version,
        "as_of": as_of,
        "language": language,
        "answer": body,
        "answer_html": answer_html,
        "json": json.dumps(body, indent=2, ensure_ascii=False),
        "instead": trial.in_force_instead(version, as_of),
    }
    return _trial_page(form, result=result)


def _trial_page(form, *, status=200, result=None):
    return render_template("rules_console/try.html", form=form, result=result, today=service_today()), status


def _open_change(label: str):
    """The version a change's impact is about: a draft, or one in review. Any other is sent to its own page (a
    published version changes nothing more)."""
    version = authoring.get_version(label)
    if version.status not in ("draft", "in_review"):
        abort(redirect(url_for("rules_console.version", label=label)))
    return version


@bp.get("/versions/<label>/impact")
@MANAGE
def impact(label: str):
    """How the draft would change the outcome of every pending application, counted in the database."""
    version = _open_change(label)
    started = time.perf_counter()
    result = preview(version, as_of=service_today())
    others = shared_previews(version, as_of=service_today())  # counts only: no applicant of theirs is named
    seconds = time.perf_counter() - started
    shown = [reference for references in result.samples.values() for reference in references]
    record_views("impact.viewed", "application", shown, by=current_user, version=version.label)
    page = render_template(
        "rules_console/impact.html",
        version=version,
        impact=result,
        others=others,
        seconds=seconds,
        shared_clashes=authoring.shared_setting_clashes(version, today=service_today()),
    )
    db.session.commit()  # the audit record of the examples shown
    return page


OUTCOME_CELLS = {None: "cannot_be_judged"}  # the rules cannot judge the profile (a missing fact): said, not blank


@bp.get("/versions/<label>/impact.csv")
@MANAGE
def impact_csv(label: str):
    """Every pending application the draft would change, to plan the notices: the rows the preview counts."""
    version = _open_change(label)
    rows = affected(version, as_of=service_today())
    record_views("impact.exported", "application", [row.reference for row in rows], by=current_user, version=label)
    body = csv_text(
        ["reference", "status", "enrollment_center", "outcome_now", "outcome_with_draft"],
        (
            (row.reference, row.status, row.center, *(OUTCOME_CELLS.get(o, o) for o in (row.before, row.after)))
            for row in rows
        ),
    )
    db.session.commit()  # the audit record of the list, before it is sent
    filename = secure_filename(f"impact-{label}.csv") or "impact.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@bp.post("/versions/<label>/submit")
@MANAGE
def submit(label: str):
    version = authoring.get_version(label)
    form = SubmitForm()
    return _save(
        version,
        form,
        "submit_form",
        "Sent for review. A second program lead must approve it.",
        lambda: authoring.submit_for_review(
            version,
            by=current_user,
            effective_from=form.effective_from.data,
            effective_until=form.effective_until.data,
            note=form.note.data,
            today=service_today(),
        ),
    )


def _confirmation_page(version, *, status=200, problem: str | None = None):
    """The confirmation page: what publishing `version` will do, in plain words, with "Publish" and "Go back". A
    version no longer in review, or one this lead may not approve, is sent to its own page with the reason."""
    found = publication.confirmation(version, by=current_user, today=service_today())
    form = _seen(PublishForm, version)
    form.replaced.data = found.replaced_token
    page = render_template("rules_console/publish.html", c=found, form=form, problem=problem)
    return page, status


@bp.get("/versions/<label>/publish")
@MANAGE
def confirm_publish(label: str):
    """Reached from "Approve and publish" on a version in review: nothing is published until the lead presses
    "Publish" here."""
    return _confirmation_page(authoring.get_version(label))


@bp.post("/versions/<label>/publish")
@MANAGE
def publish(label: str):
    """Publish what the confirmation page showed the approving lead, and only that: a version changed since (sent
    back, edited, sent again), or one that now replaces another version than the page compared it with, is refused
    and the page shown again as it is now; a press from any other page publishes nothing and shows this one."""
    version = authoring.get_version(label)
    form = PublishForm()
    try:
        _changing(
            version,
            form,
            lambda: publication.publish(
                version,
                by=current_user,
                today=service_today(),
                seen_revision=form.revision.data,
                seen_replaced=form.replaced.data,
            ),
        )
    except publication.NotConfirmed as exc:
        db.session.rollback()
        flash(exc.message, "info")
        return redirect(url_for("rules_console.confirm_publish", label=label), code=303)
    except authoring.StaleVersion as exc:
        db.session.rollback()
        if version.status != "in_review":  # sent back to the draft meanwhile: its own page says what it is now
            flash(exc.message, "error")
            return redirect(url_for("rules_console.version", label=label))
        return _confirmation_page(version, status=409, problem=exc.message)
    db.session.commit()
    flash(f"Published as {version.label}; it takes effect on {version.effective_from:%B %-d, %Y}.", "success")
    return redirect(url_for("rules_console.version", label=version.label))


@bp.post("/versions/<label>/return")
@MANAGE
def return_to_draft(label: str):
    form = VersionActionForm()
    version = authoring.get_version(label)
    _changing(version, form, lambda: authoring.return_to_draft(version, by=current_user, note=form.note.data or ""))
    db.session.commit()
    flash("Sent back to the draft.", "success")
    return redirect(url_for("rules_console.version", label=label))


@bp.post("/versions/<label>/retire")
@MANAGE
def retire(label: str):
    version = authoring.get_version(label)
    form = NoteForm()
    if not form.validate_on_submit():  # too long, or with control characters: said beside the reason
        return _version_page(version, status=400, note_form=form)
    try:
        authoring.retire(version, by=current_user, note=form.note.data or "", today=service_today())
    except authoring.RuleError as exc:
        db.session.rollback()
        _field_errors(form, exc)
        return _version_page(version, status=400, note_form=form)
    db.session.commit()
    flash(f"{label} is retired.", "success")
    return redirect(url_for("rules_console.version", label=label))
