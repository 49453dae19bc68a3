from __future__ import annotations

from marshmallow import Schema, fields

from trusted_traveler.api import bp
from trusted_traveler.api.common import operation_ref
from trusted_traveler.auth.policy import public
from trusted_traveler.db import service_today
from trusted_traveler.extensions import limiter
from trusted_traveler.programs.service import fee_for, list_programs


class ProgramSchema(Schema):
    code = fields.String(required=True)
    name = fields.String(required=True)
    agency = fields.String(required=True)
    interview_required = fields.Boolean(required=True)
    includes = fields.List(fields.String(), required=True)
    fee = fields.String(required=True, metadata={"description": "new-enrollment fee in force today, U.S. dollars"})


@bp.route("/programs")
@limiter.limit("60/minute")
@bp.response(200, ProgramSchema(many=True))
@bp.doc(
    responses={
        200: {
            "links": {
                "ApplyForFirstProgram": {
                    "operationRef": operation_ref("/applications", "post"),
                    "requestBody": {"programs": ["$response.body#/0/code"]},
                    "description": "Start an application for the first program listed (signed in)",
                }
            }
        }
    }
)
@bp.alt_response(429, description="Too many requests; see Retry-After")
@public
def programs():
    """The programs, what each includes and the fee in force today."""
    today = service_today()
    return [
        {
            "code": p.code,
            "name": p.name,
            "agency": p.agency,
            "interview_required": p.interview_required,
            "includes": [i.code for i in p.includes],
            "fee": str(fee_for(p, today)),
        }
        for p in list_programs()
    ]
