"""The API keeps its schema: schemathesis calls every operation with a token of each role (and
none), with generated input and with the ids of real objects, and fails on any 5xx, any status the
operation does not declare, and any body that does not match the declared schema.

Bounded and deterministic: a fixed number of examples per operation, derandomized, no example
database, so a run cannot find something the previous one did not. The counts of calls per status
are printed at the end of the run (tests/api/conftest.py).
"""

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from rohstoff.wsgi import application
from tests.api.conftest import object_ids

MAX_EXAMPLES = 2
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]

schema = schemathesis.openapi.from_wsgi("/api/schema/", application)
# Positive input only: every call is one a correct client could make, so a 4xx must be declared
# and a 5xx is always a bug. (Malformed paths would only meet Django's HTML 404 page.)
schema.config.generation.update(
    modes=[GenerationMode.POSITIVE],
    max_examples=MAX_EXAMPLES,
    deterministic=True,
    database="none",
    no_shrink=True,
)

# Known today in apps that are being reworked (contracts): these operations fail, and the test
# fails with them until the owning app is fixed. Listed so that the failure says why, never to
# skip them.
KNOWN_MISMATCHES: dict[str, str] = {
    "GET /api/v1/contracts/": "contracts: ?round=<unknown id> answers 400, not declared; "
    "quotational_period '' outside its enum for fixed-price contracts",
    "GET /api/v1/deliveries/": "contracts: ?contract=<unknown id> answers 400, not declared",
    "GET /api/v1/allocations/": "contracts: ?contract=<unknown id> answers 400, not declared",
    "POST /api/v1/contracts/{id}/schedule/generate/": "contracts: answers a plain list of "
    "schedule rows, declared as a paginated page",
    "GET /api/v1/contracts/{id}/schedule/": "contracts: declared paginated, answers a plain list",
}


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_as_its_schema_says(case, api_world, record_property):
    variants = [case]
    if case.path_parameters:  # the same input once more against real objects
        variants.append(
            case.operation.Case(
                path_parameters=object_ids(api_world, case.path),
                query=case.query,
                headers=case.headers,
                body=case.body,
                media_type=case.media_type,
            )
        )
    statuses = Counter()
    for role, key in [(None, None), *api_world["tokens"].items()]:
        for call in variants:
            headers = {"Authorization": f"Token {key}"} if key else {}
            response = call.call(headers=headers)
            statuses[response.status_code] += 1
            try:
                call.validate_response(response, checks=CHECKS)
            except AssertionError as exc:
                known = KNOWN_MISMATCHES.get(f"{case.method} {case.path}")
                note = f" [known: {known}]" if known else ""
                raise AssertionError(f"as {role or 'anonymous'}{note}: {exc}") from exc
    for status, n in sorted(statuses.items()):
        record_property(f"api-calls-{status}", n)
