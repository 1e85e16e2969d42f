"""Forms of documents stored with a contract: parse and check single fields; the rules live in the
services."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ..models import (
    DocumentKind,
)


class DocumentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=DocumentKind.choices)
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.xlsx,.docx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        limit = settings.CONTRACT_DOCUMENT_MAX_BYTES // (1024 * 1024)
        self.fields["file"].help_text = _("PDF, XLSX or DOCX, up to %(limit)s MB.") % {
            "limit": limit
        }
