"""The rules of one demand line, shared by the forms, the API and the demand file."""

from __future__ import annotations

import functools

from django_countries import countries

from ..models import Commitment

GRADE_MAX_LENGTH = 200
MAX_INTEGER_DIGITS = 14  # quantity is numeric(20, 6)
MAX_DECIMAL_PLACES = 6

COMMITMENT_WORDS = {
    "": Commitment.INDICATIVE,
    "indicative": Commitment.INDICATIVE,
    "firm": Commitment.FIRM,
    "indikativ": Commitment.INDICATIVE,
    "verbindlich": Commitment.FIRM,
}


@functools.cache
def country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)
