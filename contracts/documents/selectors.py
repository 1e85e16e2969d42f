"""Reads of documents stored with a contract that have rules. Every function that takes the acting user scopes
to what that user may see; anything else raises Http404, exactly like something missing."""

from __future__ import annotations

from django.http import Http404

from ..models import (
    ContractDocument,
)
from ..offtakes.selectors import contracts_visible_to


def document_get(*, user, pk) -> ContractDocument:
    try:
        return ContractDocument.objects.select_related("contract").get(
            pk=pk, contract__in=contracts_visible_to(user).values("pk")
        )
    except (ContractDocument.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
