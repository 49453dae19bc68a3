"""Pieces every /api/v1 endpoint shares: reading a JSON body and answering bad input with one envelope,
400 `{"errors": [{"field": ..., "message": ...}]}`, naming every bad field."""

from __future__ import annotations

import json

from flask import jsonify, make_response, request
from marshmallow import Schema, fields


class FieldErrorSchema(Schema):
    """One problem: bad input names its `field`; any other error (not found, not allowed, too many requests) gives
    a short `error` title instead."""

    field = fields.String(metadata={"example": "offenses[0].category", "description": "the field at fault"})
    error = fields.String(metadata={"example": "Not found", "description": "what went wrong, when no field did"})
    message = fields.String(required=True, metadata={"description": "plain words: what to do about it"})


class ErrorsSchema(Schema):
    errors = fields.List(fields.Nested(FieldErrorSchema), required=True)


def operation_ref(path: str, method: str) -> str:
    """An OpenAPI link's `operationRef` to one of this API's operations, e.g. ("/applications/{reference}", "get");
    the operations carry no operationId, so links point at them by their place in the document."""
    from trusted_traveler.api import bp

    pointer = f"{bp.url_prefix}{path}".replace("~", "~0").replace("/", "~1")
    return f"#/paths/{pointer}/{method}"


def read_json_body():
    """The request body parsed as JSON whatever its Content-Type, or None when it is not JSON (or nested too
    deeply to parse)."""
    try:
        return json.loads(request.get_data(cache=True) or b"null")
    except (ValueError, RecursionError):
        return None


def bad_request(errors: dict[str, list[str]], *, sort_key=None):
    """400 with one entry per field, duplicate messages merged, in `sort_key` order (default: as given)."""
    items = sorted(errors.items(), key=lambda item: sort_key(item[0])) if sort_key else errors.items()
    body = {"errors": [{"field": field, "message": " ".join(dict.fromkeys(messages))} for field, messages in items]}
    return make_response(jsonify(body), 400)
