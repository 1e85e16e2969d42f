"""Shared OpenAPI response declarations (drf-spectacular), so each endpoint names its status codes
once: ``responses=with_errors(ContractSerializer, 400, 404, 409)``.

401 and 403 are added to every declaration, since every endpoint needs credentials and declares
the roles that may use it (docs/architecture.md, Access policy).

Every error response has a body schema, so a client generated from the schema keeps the message:
``{"detail": "..."}`` (``Error``) for 401, 403, 404 and 409, and DRF's ``{field: [messages]}``
(``ValidationError``) for 400. ``postprocess_error_bodies`` gives the same bodies to any 4xx an
endpoint declared without one.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers


class ErrorSerializer(serializers.Serializer):
    """The body of every error that is not about a particular field."""

    detail = serializers.CharField(help_text="What went wrong, in the caller's language.")


VALIDATION_ERROR_REF = "#/components/schemas/ValidationError"
VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Invalid input: each field that failed names its messages, `{field: [messages]}`; errors "
        "about the input as a whole are under `non_field_errors`; a body that is not JSON at all "
        "answers `{detail: message}`. Errors inside a list or nested object are nested the same "
        "way (`{field: {index: [messages]}}`)."
    ),
    "properties": {
        "detail": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {
        "anyOf": [
            {"type": "array", "items": {"type": "string"}},
            {"type": "object", "additionalProperties": True},
        ]
    },
}

UNAUTHORISED = OpenApiResponse(ErrorSerializer, description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(ErrorSerializer, description="Your role may not use this endpoint.")
NOT_FOUND = OpenApiResponse(ErrorSerializer, description="No such object, or not one you may see.")
BAD_REQUEST = OpenApiResponse(
    {"$ref": VALIDATION_ERROR_REF}, description="Invalid input: `{field: [messages]}`."
)
CONFLICT = OpenApiResponse(
    ErrorSerializer, description="The current state does not allow this change."
)

ERROR_RESPONSES = {
    400: BAD_REQUEST,
    401: UNAUTHORISED,
    403: FORBIDDEN,
    404: NOT_FOUND,
    409: CONFLICT,
}


def with_errors(ok=None, *codes: int, ok_status: int = 200) -> dict:
    """``{ok_status: ok, 401: ..., 403: ..., <codes>: ...}`` for ``@extend_schema(responses=...)``.

    ``ok`` may be a serializer, an ``OpenApiResponse`` or ``None`` (no body, e.g. 204).
    """
    responses = {ok_status: ok, 401: UNAUTHORISED, 403: FORBIDDEN}
    for code in codes:
        responses[code] = ERROR_RESPONSES[code]
    return responses


class AutoSchema(openapi.AutoSchema):
    """drf-spectacular's schema, with every object id in a path typed as an integer.

    A scoped viewset has no class-level queryset to read the key's type from, so a route that
    admits only digits (``lookup_value_regex = "[0-9]+"``) would be documented as a string with a
    pattern, while ``<int:pk>`` routes say integer: one id, two types for a client.
    """

    def _resolve_path_parameters(self, variables):
        parameters = super()._resolve_path_parameters(variables)
        for parameter in parameters:
            schema = parameter["schema"]
            if schema.get("type") == "string" and schema.get("pattern") in (r"^[0-9]+$", r"^\d+$"):
                parameter["schema"] = {"type": "integer"}
        return parameters


def postprocess_error_bodies(result, generator, request, public):
    """Schema hook: the ``ValidationError`` component, and a body for every declared 4xx.

    A 4xx declared with a description only (``OpenApiResponse(description=...)``) would leave a
    generated client without the message; such a response gets the shared body: 400 the
    validation shape, any other 4xx ``{"detail": ...}``. A paginated list declares the 404 it
    answers for a page past the last one.
    """
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ValidationError", VALIDATION_ERROR_SCHEMA)
    error_ref = "#/components/schemas/Error"
    if "Error" not in schemas:
        schemas["Error"] = {
            "type": "object",
            "properties": {"detail": {"type": "string"}},
            "required": ["detail"],
        }
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.get("responses", {})
            if any(p.get("name") == "page" for p in operation.get("parameters", [])):
                responses.setdefault("404", {"description": "A page past the last one (`?page=`)."})
            for status, response in responses.items():
                if str(status).startswith("4") and not response.get("content"):
                    ref = VALIDATION_ERROR_REF if str(status) == "400" else error_ref
                    response["content"] = {"application/json": {"schema": {"$ref": ref}}}
    return result
