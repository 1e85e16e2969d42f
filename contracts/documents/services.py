"""Writes of documents stored with a contract: keyword-only functions, atomic, audit-logged; side
effects run after commit. ``ValidationError`` for bad input (400 in the API), ``StateConflict`` when
the state forbids the change (409)."""

from __future__ import annotations

import hashlib
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from rohstoff.core.audit import audit_record

from ..models import (
    ContractDocument,
    OfftakeContract,
)

PDF, XLSX, DOCX = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
EXTENSIONS = {PDF: ".pdf", XLSX: ".xlsx", DOCX: ".docx"}


def sniff_document(upload) -> str | None:
    """The type of an uploaded file by its content (not its name): PDF, XLSX or DOCX, else None."""
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, ValueError):
            return None
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
            return XLSX
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
    return None


@transaction.atomic
def document_upload(*, contract: OfftakeContract, actor, upload, kind: str) -> ContractDocument:
    limit = settings.CONTRACT_DOCUMENT_MAX_BYTES
    if upload.size > limit:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; at most %(limit)s MB are accepted.")
                % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576)}
            }
        )
    if upload.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    content_type = sniff_document(upload)
    if content_type is None:
        raise ValidationError(
            {
                "file": _(
                    "Only PDF, XLSX and DOCX files are accepted; this file is none of them, whatever its name says."
                )
            }
        )
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    name = (upload.name or "document").rsplit("/", 1)[-1][:200]
    stem = name.rsplit(".", 1)[0] if "." in name else name
    document = ContractDocument(
        contract=contract,
        kind=kind,
        original_name=stem + EXTENSIONS[content_type],
        content_type=content_type,
        size=upload.size,
        sha256=digest.hexdigest(),
        uploaded_by=actor,
    )
    document.file.save(
        f"{contract.pk}-{digest.hexdigest()[:16]}{EXTENSIONS[content_type]}", upload, save=False
    )
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
