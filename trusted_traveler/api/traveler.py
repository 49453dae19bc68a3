"""The traveler's own records as JSON: profile, applications and status. A traveler reaches only their own
records; anyone else's answer 404, exactly like a record that does not exist."""

from __future__ import annotations

from flask_babel import gettext
from flask_login import current_user
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select

from trusted_traveler.api import bp
from trusted_traveler.api.common import ErrorsSchema, bad_request, operation_ref, read_json_body
from trusted_traveler.auth.policy import signed_in
from trusted_traveler.casework import service as casework
from trusted_traveler.casework.models import Application
from trusted_traveler.casework.states import NEXT_STEPS, public_label
from trusted_traveler.db import service_today
from trusted_traveler.errors import NotFound
from trusted_traveler.extensions import db
from trusted_traveler.memberships.service import memberships_for, pending_renewals
from trusted_traveler.profiles import service as profiles
from trusted_traveler.rules.conditions import flatten_errors


class PeriodSchema(Schema):
    from_month = fields.Date(required=True)
    to_month = fields.Date(allow_none=True, metadata={"description": "null: to the present"})


class AddressSchema(PeriodSchema):
    line1 = fields.String()
    line2 = fields.String(allow_none=True)
    city = fields.String()
    region = fields.String(allow_none=True)
    postal_code = fields.String(allow_none=True)
    country = fields.String()


class EmploymentSchema(PeriodSchema):
    status = fields.String()
    employer = fields.String(allow_none=True)
    occupation = fields.String(allow_none=True)


class DocumentSchema(Schema):
    kind = fields.String()
    issuing_country = fields.String()
    issuing_region = fields.String(allow_none=True)
    number_last4 = fields.String(metadata={"description": "only the last four characters are ever returned"})
    expires_on = fields.Date(allow_none=True)
    enhanced = fields.Boolean()


class GapSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    description = fields.String()


class ProfileSchema(Schema):
    given_names = fields.String(allow_none=True)
    middle_names = fields.String(allow_none=True)
    surname = fields.String(allow_none=True)
    date_of_birth = fields.Date(allow_none=True)
    birth_city = fields.String(allow_none=True)
    birth_country = fields.String(allow_none=True)
    sex = fields.String(allow_none=True)
    height_cm = fields.Integer(allow_none=True)
    eye_color = fields.String(allow_none=True)
    citizenships = fields.List(fields.String())
    lawful_permanent_resident = fields.Boolean()
    email = fields.String(allow_none=True)
    phone = fields.String(allow_none=True)
    documents = fields.List(fields.Nested(DocumentSchema))
    addresses = fields.List(fields.Nested(AddressSchema))
    employment = fields.List(fields.Nested(EmploymentSchema))
    countries_visited = fields.List(fields.String())
    address_gaps = fields.List(fields.Nested(GapSchema))
    employment_gaps = fields.List(fields.Nested(GapSchema))
    missing_steps = fields.List(fields.String(), metadata={"description": "intake topics still to answer"})
    complete = fields.Boolean()
    last_saved = fields.DateTime(allow_none=True)


class TimelineStepSchema(Schema):
    label = fields.String()
    status = fields.String()
    at = fields.DateTime()
    explanation = fields.String()


class MembershipSchema(Schema):
    known_traveler_number = fields.String(attribute="ktn")
    valid_from = fields.Date()
    valid_until = fields.Date()
    status = fields.String(metadata={"description": "active, expired or revoked"})
    renewal_pending = fields.String(
        allow_none=True,
        metadata={
            "description": "the reference of a renewal filed before valid_until and still pending: the membership "
            "stays active while it is, until it is decided or benefits_continue_until, whichever comes first"
        },
    )
    benefits_continue_until = fields.Date(
        allow_none=True,
        metadata={"description": "with renewal_pending: the end of the grace period, the last day benefits can last"},
    )


class ApplicationSchema(Schema):
    reference = fields.String()
    program = fields.String(attribute="program.code")
    kind = fields.String()
    status = fields.String(metadata={"description": "internal status"})
    public_status = fields.String(metadata={"description": "the label the traveler sees"})
    fee = fields.Decimal(as_string=True, places=2, metadata={"type": "string", "format": "decimal", "example": "78.00"})
    submitted_at = fields.DateTime(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)


class ApplicationDetailSchema(ApplicationSchema):
    next_step = fields.String()
    timeline = fields.List(fields.Nested(TimelineStepSchema))
    eligibility = fields.Dict(attribute="eligibility_snapshot", allow_none=True)
    membership = fields.Nested(MembershipSchema, allow_none=True)


class ApplyRequestSchema(Schema):
    programs = fields.List(
        fields.String(validate=validate.OneOf(["precheck", "global_entry"])),
        required=True,
        validate=validate.Length(min=1, max=2),
    )


# OpenAPI links: where a response hands the client an application reference, the document says which operation
# takes it, so a client (or schemathesis' stateful run) can follow it.
APPLICATION_LINK = {
    "operationRef": operation_ref("/applications/{reference}", "get"),
    "parameters": {"reference": "$response.body#/0/reference"},
}


def _gaps(gaps):
    return [{"start": g.start, "end": g.end, "description": g.describe()} for g in gaps]


def _profile_or_404():
    profile = profiles.profile_for(current_user)
    if profile is None:
        raise NotFound("You have no profile yet. Start one at /profile.")
    return profile


def _application_json(application: Application, *, detail: bool = False) -> dict:
    data = {
        "reference": application.reference,
        "program": application.program,
        "kind": application.kind,
        "status": application.status,
        "public_status": gettext(public_label(application.program.code, application.status)),
        "fee": application.fee,
        "submitted_at": application.submitted_at,
        "decided_at": application.decided_at,
    }
    if detail:
        data["next_step"] = gettext(NEXT_STEPS[application.program.code][application.status_enum])
        data["timeline"] = [
            {**step, "label": gettext(step["label"]), "explanation": gettext(step["explanation"])}
            for step in casework.public_timeline(application)
        ]
        data["eligibility_snapshot"] = application.eligibility_snapshot
        membership = next(
            (m for m in memberships_for(application.profile_id) if m.application_id == application.id), None
        )
        data["membership"] = None
        if membership is not None:
            pending = pending_renewals([membership], service_today()).get(membership.id)
            data["membership"] = {
                **{key: getattr(membership, key) for key in ("ktn", "valid_from", "valid_until", "status")},
                "renewal_pending": pending.reference if pending else None,
                "benefits_continue_until": pending.until if pending else None,
            }
    return data


@bp.route("/profile")
@bp.response(200, ProfileSchema)
@bp.alt_response(404, schema=ErrorsSchema, description="No profile yet")
@signed_in
def get_profile():
    """The signed-in traveler's profile, with what is still missing and any gaps in the five-year histories."""
    today = service_today()
    profile = _profile_or_404()
    return {
        **{c.key: getattr(profile, c.key) for c in profile.__mapper__.column_attrs},
        "citizenships": profile.citizenship_codes,
        "documents": profile.documents,
        "addresses": profile.addresses,
        "employment": profile.employment,
        "countries_visited": [c.country_code for c in profile.countries_visited],
        "address_gaps": _gaps(profiles.address_gaps(profile, today)),
        "employment_gaps": _gaps(profiles.employment_gaps(profile, today)),
        "missing_steps": profiles.missing_steps(profile, today),
        "complete": profiles.profile_complete(profile, today),
        "last_saved": profile.updated_at,
    }


@bp.route("/applications")
@bp.response(200, ApplicationSchema(many=True))
@bp.doc(
    responses={
        200: {"links": {"GetNewestApplication": {**APPLICATION_LINK, "description": "The newest application listed"}}}
    }
)
@signed_in
def list_applications():
    """The signed-in traveler's applications, newest first."""
    profile = profiles.profile_for(current_user)
    if profile is None:
        return []
    applications = db.session.scalars(
        select(Application).where(Application.profile_id == profile.id).order_by(Application.id.desc())
    )
    return [_application_json(a) for a in applications]


@bp.route("/applications", methods=["POST"])
@bp.doc(
    summary="Start applications (drafts) for one or both programs",
    description="Judged by the rules in force today; refused with 409 and the reasons when the traveler cannot "
    "apply. Send the CSRF token of the signed-in session in the X-CSRFToken header.",
    requestBody={"required": True, "content": {"application/json": {"schema": ApplyRequestSchema}}},
    responses={
        201: {"links": {"GetFirstApplication": {**APPLICATION_LINK, "description": "The first application started"}}}
    },
)
@bp.response(201, ApplicationDetailSchema(many=True))
@bp.alt_response(400, schema=ErrorsSchema, description="Bad input: every bad field is named")
@bp.alt_response(409, description="The traveler cannot apply for a chosen program now (the message says why)")
@signed_in
def start_applications():
    body = read_json_body()
    if not isinstance(body, dict):
        return bad_request(
            {"body": [gettext("Send a JSON object like %(example)s.", example='{"programs": ["precheck"]}')]}
        )
    try:
        data = ApplyRequestSchema().load(body)
    except ValidationError as err:
        errors: dict[str, list[str]] = {}
        for path, message in flatten_errors(err.messages):
            errors.setdefault(path or "body", []).append(message)
        return bad_request(errors)
    profile = _profile_or_404()
    today = service_today()
    if not profiles.profile_complete(profile, today):
        return bad_request(
            {
                "programs": [
                    gettext(
                        "Finish your profile first: %(steps)s.",
                        steps=", ".join(profiles.missing_steps(profile, today)),
                    )
                ]
            }
        )
    drafts = casework.apply_for(profile, data["programs"], by=current_user, today=today)
    db.session.commit()
    return [_application_json(a, detail=True) for a in drafts], 201


@bp.route("/applications/<reference>")
@bp.response(200, ApplicationDetailSchema)
@bp.alt_response(404, schema=ErrorsSchema, description="No such application for this traveler")
@signed_in
def get_application(reference: str):
    """One application with its status timeline, what to do next and, once approved, the Known Traveler Number."""
    return _application_json(casework.get_application_for_traveler(reference, current_user), detail=True)
