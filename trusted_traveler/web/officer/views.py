"""Officer queues, bulk assignment and the supervisor's workload view."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from trusted_traveler.auth.models import Account
from trusted_traveler.auth.policy import require
from trusted_traveler.auth.roles import Permission
from trusted_traveler.caching import TTLCache
from trusted_traveler.casework import assignment
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.queues import (
    QUEUE_LABELS,
    SUPERVISOR_QUEUE_LABELS,
    QueueFilters,
    QueuePage,
    count_label,
    list_queue,
    officers_for_assignment,
    queue_counts,
    workload,
)
from trusted_traveler.casework.states import PUBLIC_LABELS, Status, public_label
from trusted_traveler.db import ID_MAX, service_date, service_today
from trusted_traveler.errors import PermissionDenied
from trusted_traveler.extensions import db
from trusted_traveler.scheduling.models import EnrollmentCenter
from trusted_traveler.web.forms import choices, search_args
from trusted_traveler.web.officer import bp
from trusted_traveler.web.officer.forms import BulkAssignForm, QueueFilterForm
from trusted_traveler.web.routing import row_id


def _account(text: str) -> Account | None:
    """The account a hidden id names, or None (an edited page)."""
    ident = row_id(text)
    return db.session.get(Account, ident) if ident else None


CENTER_CHOICES_SECONDS = 60  # a new or renamed center reaches every worker's filter within the minute
_center_choices = TTLCache(maxsize=1)


def status_choice_label(status: Status) -> str:
    """A status as the queue's rows show it (the programs' labels, Global Entry's first), with its internal name when
    that differs, so an officer can match the filter to the rows: "Pending Review / Background check in progress
    (officer review)"."""
    labels = list(dict.fromkeys(table[status] for table in PUBLIC_LABELS.values() if status in table))
    internal = status.value.replace("_", " ")
    shown = " / ".join(labels)
    return shown if shown.lower() == internal else f"{shown} ({internal})"


STATUS_CHOICES = choices(
    [
        ("", "Any"),
        *sorted(
            (
                (s.value, status_choice_label(s))
                for s in {s for table in PUBLIC_LABELS.values() for s in table} - {Status.DRAFT}
            ),
            key=lambda choice: choice[1].casefold(),
        ),
    ]
)


def _centers() -> list:
    """The center filter's choices, read once a minute per worker rather than on every queue page."""

    def read():
        rows = db.session.execute(select(EnrollmentCenter.id, EnrollmentCenter.name).order_by(EnrollmentCenter.name))
        return choices([("", "Any"), *[(str(i), n) for i, n in rows]])

    return _center_choices.get("centers", CENTER_CHOICES_SECONDS, read)


def _filter_form(officers: list[Account]) -> QueueFilterForm:
    """The queue's filters; whose cases to list only for a supervisor (`officers`: those they can choose)."""
    form = QueueFilterForm(request.args)
    form.center_id.choices = _centers()
    form.status.choices = STATUS_CHOICES
    if officers:
        form.officer_id.choices = choices([("", "Choose an officer"), *[(str(o.id), o.label) for o in officers]])
    else:
        del form.officer_id
    return form


@bp.get("/")
@require(Permission.WORK_CASES)
def queues():
    name = request.args.get("queue", "unassigned")
    supervising = current_user.can(Permission.SUPERVISE)
    labels = SUPERVISOR_QUEUE_LABELS if supervising else QUEUE_LABELS
    if name not in labels:
        abort(404)
    officers = officers_for_assignment() if supervising else []
    form = _filter_form(officers)
    valid = form.validate()  # bad filters are shown with their message; the list then ignores them
    filters = QueueFilters()
    if valid:
        filters = QueueFilters(
            program=form.program.data or None,
            center_id=int(form.center_id.data) if form.center_id.data else None,
            status=form.status.data or None,
            min_days=form.min_days.data,
            overdue_only=bool(form.overdue_only.data),
            officer_id=int(form.officer_id.data) if supervising and form.officer_id.data else None,
        )
    today = service_today()
    if name == "officer" and filters.officer_id is None:  # nobody chosen yet: the page asks, and lists nothing
        page = QueuePage([], None)
    else:
        page = list_queue(name, officer=current_user, filters=filters, today=today, cursor=request.args.get("after"))
    args = {**search_args(form), "queue": name}  # the filters as typed, never an earlier cursor
    html = render_template(
        "officer/queues.html",
        queue=name,
        labels=labels,
        counts={key: count_label(n) for key, n in queue_counts(officer=current_user, today=today).items()},
        page=page,
        form=form,
        next_url=url_for("officer.queues", **args, after=page.next_cursor) if page.next_cursor else None,
        first_url=url_for("officer.queues", **args) if request.args.get("after") else None,
        assign_form=BulkAssignForm(queue=name),
        officers=officers,
        chosen_officer=next((o for o in officers if o.id == filters.officer_id), None),
        public_label=public_label,
    )
    db.session.commit()  # the audit record of this view (list_queue's), once the page is rendered
    return html


@bp.get("/find")
@require(Permission.WORK_CASES)
def find_case():
    """Go straight to a case by its reference (a walk-in, a phone call); a typo gets a message, not a 404 page."""
    reference = (request.args.get("reference") or "").strip().upper().replace(" ", "")
    found = None
    if len(reference) <= 16 and reference.isprintable():  # longer, or with control characters, it is none
        found = db.session.scalar(
            select(Application.reference).where(Application.reference == reference, Application.status != "draft")
        )
    if found:
        return redirect(url_for("officer.case", reference=found))
    shown = reference if len(reference) <= 40 else f"{reference[:40]}…"  # the message travels in the session cookie
    flash(f"No submitted application has the reference {shown!r}. Check it and try again.", "error")
    return redirect(url_for("officer.queues", queue=request.args.get("queue", "unassigned")))


@bp.post("/assign")
@require(Permission.WORK_CASES)
def bulk_assign():
    form = BulkAssignForm()
    supervising = current_user.can(Permission.SUPERVISE)
    queue = form.queue.data if form.queue.data in (SUPERVISOR_QUEUE_LABELS if supervising else QUEUE_LABELS) else None
    listed = row_id(form.listed.data) if queue == "officer" else None  # whose list the page showed
    back = url_for("officer.queues", queue=queue or "unassigned", **({"officer_id": listed} if listed else {}))
    if not form.validate_on_submit():
        flash("Tick at least one case to assign.", "error")
        return redirect(back)
    if queue == "officer" and not form.officer_id.data:  # the list offers nobody by default: moving cases away
        flash("Nothing was assigned: choose the officer to give the ticked cases to.", "error")
        return redirect(back)
    officer = current_user
    if form.officer_id.data and form.officer_id.data != str(current_user.id):
        officer = _account(form.officer_id.data)
        if officer is None:
            flash("Nothing was assigned: there is no such officer. Choose one from the list.", "error")
            return redirect(back)
    ids = [i for i in form.application_ids.data if 0 < i <= ID_MAX]
    if len(ids) < len(form.application_ids.data):
        flash("A ticked row is not a case (the page may be out of date), so it was not assigned.", "error")
    try:
        result = assignment.bulk_assign(ids, officer, by=current_user)
    except PermissionDenied as exc:
        db.session.rollback()
        flash(f"Nothing was assigned: {exc.message}", "error")
        return redirect(back)
    db.session.commit()
    if result.assigned:
        flash(f"Assigned to {officer.label}: {', '.join(result.assigned)}.", "success")
    for reference, why in result.refused:
        flash(f"{reference} was not assigned: {why}.", "error")
    if officer.id == current_user.id:
        return redirect(url_for("officer.queues", queue="mine"))
    return redirect(url_for("officer.queues", queue="officer", officer_id=officer.id))  # a supervisor assigned them


@bp.get("/workload")
@require(Permission.SUPERVISE)
def workload_view():
    return render_template("officer/workload.html", rows=workload(), today=service_today(), service_date=service_date)
