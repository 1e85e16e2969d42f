"""Reads of documents stored with a contract that have rules. Every function that takes the acting
user scopes to what that user may see; anything else raises Http404, exactly like something
missing."""

from __future__ import annotations

from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    ContractDocument,
)


def document_get(*, user, pk) -> ContractDocument:
    return get_visible_or_404(policy.documents_visible_to(user).select_related("contract"), pk=pk)
