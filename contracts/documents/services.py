"""Writes of documents stored with a contract: keyword-only functions, atomic, audit-logged; side
effects run after commit. ``ValidationError`` for bad input (400 in the API), ``StateConflict`` when
the state forbids the change (409)."""

from __future__ import annotations

from django.db import transaction

from rohstoff.core.audit import audit_record
from rohstoff.core.documents import document_check

from ..models import (
    ContractDocument,
    OfftakeContract,
)


@transaction.atomic
def document_upload(*, contract: OfftakeContract, actor, upload, kind: str) -> ContractDocument:
    checked = document_check(upload)
    document = ContractDocument(
        contract=contract,
        kind=kind,
        original_name=checked.original_name,
        content_type=checked.content_type,
        size=checked.size,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document.file.save(checked.storage_name(contract.pk), upload, save=False)
    document.save()
    audit_record(
        actor=actor,
        action="contract.document",
        obj=contract,
        after={
            "document": document.pk,
            "name": document.original_name,
            "sha256": document.sha256,
            "kind": kind,
        },
    )
    return document
