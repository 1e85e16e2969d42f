"""Shared OpenAPI response declarations (drf-spectacular), so each endpoint names its status codes
once: ``responses=with_errors(ContractSerializer, 400, 404, 409)``.

401 and 403 are added to every declaration, since every endpoint needs credentials and declares
the roles that may use it (docs/architecture.md, Access policy).
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse

UNAUTHORISED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="Your role may not use this endpoint.")
NOT_FOUND = OpenApiResponse(description="No such object, or not one you may see.")
BAD_REQUEST = OpenApiResponse(description="Invalid input: `{field: [messages]}`.")
CONFLICT = OpenApiResponse(description="The current state does not allow this change.")

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
