"""Leaf module: the status machines of both programs (MODEL.md). Imports only the standard library.

Internal states are the same names across programs; each program has its own transition table and its own public
labels. Guards that need data (fee paid, appointment held, officer allowed) live in casework.service.transition.
"""

from __future__ import annotations

from enum import StrEnum


def N_(message: str) -> str:
    """Marks a traveler-facing string for translation (pybabel extracts it); shown translated with gettext."""
    return message


class Status(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ENROLLMENT_SCHEDULED = "enrollment_scheduled"
    BIOMETRICS_CAPTURED = "biometrics_captured"
    IN_VETTING = "in_vetting"
    OFFICER_REVIEW = "officer_review"
    INFO_REQUESTED = "info_requested"
    PRELIMINARY_INELIGIBLE = "preliminary_ineligible"
    CONDITIONALLY_APPROVED = "conditionally_approved"
    INTERVIEW_SCHEDULED = "interview_scheduled"
    INTERVIEW_COMPLETED = "interview_completed"
    APPROVED = "approved"
    DENIED = "denied"
    RECONSIDERATION_REQUESTED = "reconsideration_requested"
    REVOKED = "revoked"
    WITHDRAWN = "withdrawn"


S = Status

TRANSITIONS: dict[str, dict[Status, frozenset[Status]]] = {
    "global_entry": {
        S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
        S.SUBMITTED: frozenset({S.IN_VETTING}),
        S.IN_VETTING: frozenset({S.CONDITIONALLY_APPROVED, S.OFFICER_REVIEW}),
        # Withdrawn from a status under way: only while a revocation stands against it (OVER_REVOCATION).
        S.OFFICER_REVIEW: frozenset({S.CONDITIONALLY_APPROVED, S.INFO_REQUESTED, S.DENIED, S.WITHDRAWN}),
        # denied: only once overdue (the guard)
        S.INFO_REQUESTED: frozenset({S.OFFICER_REVIEW, S.DENIED, S.WITHDRAWN}),
        # officer_review: only while a revocation stands (OVER_REVOCATION)
        S.CONDITIONALLY_APPROVED: frozenset({S.INTERVIEW_SCHEDULED, S.INTERVIEW_COMPLETED, S.OFFICER_REVIEW}),
        S.INTERVIEW_SCHEDULED: frozenset({S.INTERVIEW_COMPLETED, S.CONDITIONALLY_APPROVED, S.OFFICER_REVIEW}),
        S.INTERVIEW_COMPLETED: frozenset({S.APPROVED, S.DENIED, S.WITHDRAWN}),
        S.APPROVED: frozenset({S.REVOKED}),
        S.DENIED: frozenset({S.RECONSIDERATION_REQUESTED}),
        S.RECONSIDERATION_REQUESTED: frozenset({S.OFFICER_REVIEW, S.WITHDRAWN}),
        S.REVOKED: frozenset({S.RECONSIDERATION_REQUESTED}),
        S.WITHDRAWN: frozenset(),
    },
    "precheck": {
        S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
        # Vetting runs on submission: a clean application goes on to its enrollment visit, a hit to an officer,
        # who may clear it to enroll (back to submitted) or act on it.
        # Withdrawn from a status under way: only while a revocation stands against it (OVER_REVOCATION).
        S.SUBMITTED: frozenset({S.ENROLLMENT_SCHEDULED, S.BIOMETRICS_CAPTURED, S.OFFICER_REVIEW, S.WITHDRAWN}),
        S.ENROLLMENT_SCHEDULED: frozenset({S.BIOMETRICS_CAPTURED, S.SUBMITTED, S.WITHDRAWN}),
        S.BIOMETRICS_CAPTURED: frozenset({S.IN_VETTING}),
        S.IN_VETTING: frozenset({S.APPROVED, S.OFFICER_REVIEW}),
        S.OFFICER_REVIEW: frozenset({S.APPROVED, S.INFO_REQUESTED, S.PRELIMINARY_INELIGIBLE, S.SUBMITTED, S.WITHDRAWN}),
        # An overdue request may close with a preliminary determination (reason no_response; the guard in
        # casework.transitions refuses it before the due date has passed).
        S.INFO_REQUESTED: frozenset({S.OFFICER_REVIEW, S.PRELIMINARY_INELIGIBLE, S.WITHDRAWN}),
        S.PRELIMINARY_INELIGIBLE: frozenset({S.OFFICER_REVIEW, S.DENIED, S.WITHDRAWN}),
        S.APPROVED: frozenset({S.REVOKED}),
        S.DENIED: frozenset({S.RECONSIDERATION_REQUESTED}),
        S.RECONSIDERATION_REQUESTED: frozenset({S.OFFICER_REVIEW, S.WITHDRAWN}),
        S.REVOKED: frozenset({S.RECONSIDERATION_REQUESTED}),
        S.WITHDRAWN: frozenset(),
    },
}

# Moves made only while a revocation of the member's number stands against the case
# (casework.transitions.revoked_standing: the guard refuses them otherwise). The system sends a Global Entry case
# that is conditionally approved or has its interview booked back to an officer, who turns it down (the interview is
# cancelled: it could not lead to an approval). A traveler who asks us to reconsider the revocation closes their
# application under way that it stands against: at most one application per program is open, and that one cannot be
# approved while the revocation stands (casework.decisions.request_reconsideration).
TO_OFFICER_OVER_REVOCATION = frozenset(
    {(S.CONDITIONALLY_APPROVED, S.OFFICER_REVIEW), (S.INTERVIEW_SCHEDULED, S.OFFICER_REVIEW)}
)
WITHDRAWN_OVER_REVOCATION = frozenset(
    (frm, S.WITHDRAWN)
    for frm in (
        S.SUBMITTED,
        S.ENROLLMENT_SCHEDULED,
        S.OFFICER_REVIEW,
        S.INFO_REQUESTED,
        S.PRELIMINARY_INELIGIBLE,
        S.INTERVIEW_COMPLETED,
        S.RECONSIDERATION_REQUESTED,
    )
)
OVER_REVOCATION = TO_OFFICER_OVER_REVOCATION | WITHDRAWN_OVER_REVOCATION

# Moves the system makes by itself; everything else needs a person.
AUTOMATIC = TO_OFFICER_OVER_REVOCATION | frozenset(
    {
        (S.SUBMITTED, S.IN_VETTING),
        (S.BIOMETRICS_CAPTURED, S.IN_VETTING),
        (S.IN_VETTING, S.CONDITIONALLY_APPROVED),
        (S.IN_VETTING, S.OFFICER_REVIEW),
        (S.IN_VETTING, S.APPROVED),
        (S.SUBMITTED, S.OFFICER_REVIEW),  # PreCheck: a vetting hit on submission
        (S.PRELIMINARY_INELIGIBLE, S.DENIED),  # no response within the 60 days
        (S.DRAFT, S.WITHDRAWN),  # an unsubmitted draft expires after the retention period
    }
)

# Moves a traveler makes on their own application; every other move in the tables needs an officer (or the system).
TRAVELER_MOVES = WITHDRAWN_OVER_REVOCATION | frozenset(
    {
        (S.DRAFT, S.SUBMITTED),
        (S.DRAFT, S.WITHDRAWN),
        (S.SUBMITTED, S.ENROLLMENT_SCHEDULED),  # booking an enrollment visit
        (S.ENROLLMENT_SCHEDULED, S.SUBMITTED),  # cancelling it
        (S.CONDITIONALLY_APPROVED, S.INTERVIEW_SCHEDULED),  # booking an interview
        (S.INTERVIEW_SCHEDULED, S.CONDITIONALLY_APPROVED),  # cancelling it
        (S.INFO_REQUESTED, S.OFFICER_REVIEW),  # answering a request for information
        (S.PRELIMINARY_INELIGIBLE, S.OFFICER_REVIEW),  # responding within 60 days
        (S.DENIED, S.RECONSIDERATION_REQUESTED),
        (S.REVOKED, S.RECONSIDERATION_REQUESTED),
    }
)

# Moves that carry a case on toward approval and a Known Traveler Number (PreCheck's officer_review -> submitted is
# clearing it to enroll). None is made while a revocation of the member's number stands against the case
# (casework.transitions.revoked_standing).
TOWARD_APPROVAL = frozenset(
    {
        (S.IN_VETTING, S.APPROVED),
        (S.OFFICER_REVIEW, S.APPROVED),
        (S.INTERVIEW_COMPLETED, S.APPROVED),
        (S.IN_VETTING, S.CONDITIONALLY_APPROVED),
        (S.OFFICER_REVIEW, S.CONDITIONALLY_APPROVED),
        (S.OFFICER_REVIEW, S.SUBMITTED),
    }
)

# Statuses in which an officer has something to decide (the work queues), and those waiting on the traveler.
NEEDS_OFFICER = frozenset({S.OFFICER_REVIEW, S.RECONSIDERATION_REQUESTED, S.INTERVIEW_COMPLETED})
AWAITING_APPLICANT = frozenset({S.INFO_REQUESTED, S.PRELIMINARY_INELIGIBLE})
# Decisions a traveler can ask us to look at again (a preliminary determination is answered the same way).
RECONSIDERABLE = frozenset({S.DENIED, S.REVOKED, S.PRELIMINARY_INELIGIBLE})

CLOSED = frozenset({S.APPROVED, S.DENIED, S.REVOKED, S.WITHDRAWN})
# Statuses that count as an open application (at most one per profile and program).
OPEN = frozenset(set(Status) - CLOSED)
# Open and past the draft: submitted, so paid for, and still under way.
UNDER_WAY = frozenset(OPEN - {S.DRAFT})

PUBLIC_LABELS: dict[str, dict[Status, str]] = {
    "global_entry": {
        S.DRAFT: N_("Draft"),
        S.SUBMITTED: N_("Pending Review"),
        S.IN_VETTING: N_("Pending Review"),
        S.OFFICER_REVIEW: N_("Pending Review"),
        S.INFO_REQUESTED: N_("Action needed"),
        S.CONDITIONALLY_APPROVED: N_("Conditionally Approved"),
        S.INTERVIEW_SCHEDULED: N_("Interview scheduled"),
        S.INTERVIEW_COMPLETED: N_("Interview completed"),
        S.APPROVED: N_("Approved"),
        S.DENIED: N_("Denied"),
        S.RECONSIDERATION_REQUESTED: N_("Reconsideration requested"),
        S.REVOKED: N_("Revoked"),
        S.WITHDRAWN: N_("Withdrawn"),
    },
    "precheck": {
        S.DRAFT: N_("Draft"),
        S.SUBMITTED: N_("Visit an enrollment center"),
        S.ENROLLMENT_SCHEDULED: N_("Enrollment visit scheduled"),
        S.BIOMETRICS_CAPTURED: N_("Background check in progress"),
        S.IN_VETTING: N_("Background check in progress"),
        S.OFFICER_REVIEW: N_("Background check in progress"),
        S.INFO_REQUESTED: N_("Action needed"),
        S.PRELIMINARY_INELIGIBLE: N_("Preliminary determination of ineligibility (60 days to respond)"),
        S.APPROVED: N_("Approved"),
        S.DENIED: N_("Denied"),
        S.RECONSIDERATION_REQUESTED: N_("Reconsideration requested"),
        S.REVOKED: N_("Revoked"),
        S.WITHDRAWN: N_("Withdrawn"),
    },
}

# What the traveler should do now, per state (plain language; later issues add timing and links).
NEXT_STEPS: dict[str, dict[Status, str]] = {
    "global_entry": {
        S.DRAFT: N_("Finish your application and pay the fee to submit it."),
        S.SUBMITTED: N_("Nothing to do now. We are checking your application."),
        S.IN_VETTING: N_("Nothing to do now. We are checking your background."),
        S.OFFICER_REVIEW: N_("Nothing to do now. An officer is reviewing your application."),
        S.INFO_REQUESTED: N_("We need more information from you. Answer the request below."),
        S.CONDITIONALLY_APPROVED: N_("Book an interview, or use Enrollment on Arrival when you next fly in."),
        S.INTERVIEW_SCHEDULED: N_("Go to your interview. Bring your passport and proof of address."),
        S.INTERVIEW_COMPLETED: N_("Nothing to do now. An officer will make a decision soon."),
        S.APPROVED: N_("You are a member. Use your Known Traveler Number when you book flights."),
        S.DENIED: N_("Read your decision letter. You can ask us to reconsider."),
        S.RECONSIDERATION_REQUESTED: N_("Nothing to do now. An officer will look at your request."),
        S.REVOKED: N_("Read your letter. You can ask us to reconsider."),
        S.WITHDRAWN: N_("This application is closed."),
    },
    "precheck": {
        S.DRAFT: N_("Finish your application and pay the fee to submit it."),
        S.SUBMITTED: N_("Visit an enrollment center for fingerprints and a document check."),
        S.ENROLLMENT_SCHEDULED: N_("Go to your enrollment visit. Bring your documents."),
        S.BIOMETRICS_CAPTURED: N_("Nothing to do now. We are running your background check."),
        S.IN_VETTING: N_("Nothing to do now. We are running your background check."),
        S.OFFICER_REVIEW: N_("Nothing to do now. We are running your background check."),
        S.INFO_REQUESTED: N_("We need more information from you. Answer the request below."),
        S.PRELIMINARY_INELIGIBLE: N_("You have 60 days to respond or send a corrected record."),
        S.APPROVED: N_("You are a member. Use your Known Traveler Number when you book flights."),
        S.DENIED: N_("Read your decision letter. You can ask us to reconsider."),
        S.RECONSIDERATION_REQUESTED: N_("Nothing to do now. An officer will look at your request."),
        S.REVOKED: N_("Read your letter. You can ask us to reconsider."),
        S.WITHDRAWN: N_("This application is closed."),
    },
}


# What each step means, in plain words, for the traveler's timeline.
EXPLANATIONS: dict[Status, str] = {
    S.SUBMITTED: N_("We received your application and your fee."),
    S.ENROLLMENT_SCHEDULED: N_("You booked your enrollment visit."),
    S.BIOMETRICS_CAPTURED: N_("We checked your documents and took your fingerprints."),
    S.IN_VETTING: N_("We are checking your background with law enforcement and security records."),
    S.OFFICER_REVIEW: N_("An officer is looking at your application more closely."),
    S.INFO_REQUESTED: N_("We asked you for more information."),
    S.PRELIMINARY_INELIGIBLE: N_("We found something that may make you ineligible. You can respond within 60 days."),
    S.CONDITIONALLY_APPROVED: N_("Your background check is clear. The last step is a short interview."),
    S.INTERVIEW_SCHEDULED: N_("You booked your interview."),
    S.INTERVIEW_COMPLETED: N_("You had your interview. An officer will decide soon."),
    S.APPROVED: N_("You are approved. Your Known Traveler Number is ready."),
    S.DENIED: N_("Your application was not approved. Your letter says why and how to ask us to reconsider."),
    S.RECONSIDERATION_REQUESTED: N_("You asked us to reconsider. An officer will review your case again."),
    S.REVOKED: N_("Your membership was taken away. Your letter says why and how to ask us to reconsider."),
    S.WITHDRAWN: N_("This application was closed."),
}


# Steps of the timeline named by what happened rather than by the status reached (reason code: label, explanation): a
# cancelled or missed appointment goes back to the status before booking, whose label would say "We received your
# application and your fee" again, and a moved one stays where it is, which the timeline would not show at all.
APPOINTMENT_MOVED = "appointment_moved"
TIMELINE_STEPS: dict[str, tuple[str, str]] = {
    "cancelled_by_applicant": (
        N_("Appointment cancelled"),
        N_("You cancelled your appointment. Book a new time whenever you are ready."),
    ),
    "no_show": (
        N_("Appointment missed"),
        N_("We did not see you at your appointment. Book a new time whenever you are ready."),
    ),
    APPOINTMENT_MOVED: (N_("Appointment moved"), N_("You moved your appointment to a new time.")),
    # TSA PreCheck after an officer cleared a hit (decisions.CLEARED_TO_ENROLL): back to the status after submission,
    # whose label ("Visit an enrollment center: We received your application and your fee") told it as new
    "cleared_to_enroll": (
        N_("Background check reviewed"),
        N_("An officer reviewed your background check. Book your enrollment visit."),
    ),
}


def allowed_moves(program_code: str, status: Status | str) -> frozenset[Status]:
    return TRANSITIONS[program_code][Status(status)]


def public_label(program_code: str, status: Status | str) -> str:
    return PUBLIC_LABELS[program_code][Status(status)]


def staff_label(program_code: str, status: Status | str) -> str:
    """A status as staff pages name it: the program's public label, with the internal state in words where the
    label alone does not say it ("Pending Review (officer review)")."""
    status = Status(status)
    shown = PUBLIC_LABELS[program_code].get(status) or status.value.replace("_", " ").capitalize()
    internal = status.value.replace("_", " ")
    return shown if shown.lower() == internal else f"{shown} ({internal})"
