"""The legal pages: Impressum, privacy notice and the Easy Read (Leichte Sprache) page.

Public, like the accessibility statement. Each page is written as a whole document per language
(``templates/legal/<page>.<language>.html``): legal text is reviewed as a document, and the
Leichte Sprache page is written for its readers rather than translated sentence by sentence. The
operator's own details come from settings read from the environment (``LEGAL_*``, see
docs/legal.md), so an operator fills them in without a code change.
"""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from .access import PUBLIC, allow
from .language import reader_language

# Details an Impressum cannot do without; a page that lacks one says so at the top.
REQUIRED_DETAILS = ("name", "address", "email")


def operator_details() -> dict[str, str]:
    """The operator's details as configured; empty strings for what is not set."""
    details = {
        "name": settings.LEGAL_OPERATOR_NAME,
        "address": settings.LEGAL_OPERATOR_ADDRESS,
        "representative": settings.LEGAL_REPRESENTATIVE,
        "email": settings.LEGAL_CONTACT_EMAIL,
        "phone": settings.LEGAL_CONTACT_PHONE,
        "register_entry": settings.LEGAL_REGISTER_ENTRY,
        "vat_id": settings.LEGAL_VAT_ID,
        "privacy_officer": settings.LEGAL_PRIVACY_OFFICER,
        "supervisory_authority": settings.LEGAL_SUPERVISORY_AUTHORITY,
    }
    return {key: (value or "").strip() for key, value in details.items()}


def _render(request, page: str):
    operator = operator_details()
    language = reader_language(request=request)
    return render(
        request,
        [f"legal/{page}.{language}.html", f"legal/{page}.{settings.LANGUAGE_CODE}.html"],
        {
            "operator": operator,
            "operator_incomplete": not all(operator[key] for key in REQUIRED_DETAILS),
            # Where readers of the Easy Read page write for help: the operator, else the
            # accessibility contact (always configured).
            "help_email": operator["email"] or settings.ACCESSIBILITY_CONTACT_EMAIL,
        },
    )


@allow(PUBLIC)
@require_GET
def imprint(request):
    return _render(request, "imprint")


@allow(PUBLIC)
@require_GET
def privacy(request):
    return _render(request, "privacy")


@allow(PUBLIC)
@require_GET
def easy_read(request):
    return _render(request, "easy_read")
