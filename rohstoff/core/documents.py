"""Uploaded documents (contract documents, stake proposal documents): one set of rules for every
app that stores files (docs/security.md): the type is read from the content, never the name (PDF,
XLSX or DOCX); a size limit (``settings.CONTRACT_DOCUMENT_MAX_BYTES``); a SHA-256 of the content;
the stored name carries the sniffed type's extension."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext as _

PDF, XLSX, DOCX = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
logger = logging.getLogger(__name__)

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


@dataclass(frozen=True)
class CheckedDocument:
    content_type: str
    sha256: str
    size: int
    original_name: str  # the uploaded name with the extension of its real type

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.content_type]

    def storage_name(self, prefix) -> str:
        return f"{prefix}-{self.sha256[:16]}{self.extension}"


def document_check(upload) -> CheckedDocument:
    """Check an uploaded file against the rules above; ValidationError keyed ``file`` if it fails."""
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
    return CheckedDocument(
        content_type=content_type,
        sha256=digest.hexdigest(),
        size=upload.size,
        original_name=stem + EXTENSIONS[content_type],
    )


class StoredFileMissing(Http404):
    """A stored document's row exists but its file is gone; its message may be shown (the API's
    handler passes it on, where other 404s say only "not found")."""


def document_response(stored_file, *, filename: str, content_type: str):
    """A download of a stored document: as an attachment, never sniffed, never cached.

    A document whose file is gone from storage (a lost volume, a restore without media) answers
    404, not a server error, and is logged as an error for the operators (docs/operations.md)."""
    from django.http import FileResponse

    try:
        handle = stored_file.open("rb")
    except FileNotFoundError:
        logger.error("stored document file missing: %s", stored_file.name)
        raise StoredFileMissing(_("The file of this document is missing from storage.")) from None
    response = FileResponse(
        handle, as_attachment=True, filename=filename, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
