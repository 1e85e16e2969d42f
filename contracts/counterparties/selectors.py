"""Reads of counterparties (the suppliers the trading house contracts with) that have rules. Every
function that takes the acting user scopes to what that user may see; anything else raises Http404,
exactly like something missing."""

from __future__ import annotations

from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    Counterparty,
)


def counterparty_get(*, user, pk) -> Counterparty:
    return get_visible_or_404(policy.counterparties_visible_to(user), pk=pk)
