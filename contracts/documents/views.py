"""Pages of documents stored with a contract. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from rohstoff.core.access import CONTRACT_READERS, DESK, allow
from rohstoff.core.documents import document_response

from ..offtakes import selectors as offtake_selectors
from . import selectors, services
from .forms import DocumentForm


@allow(DESK)
@require_POST
def document_upload(request, pk):
    contract = offtake_selectors.contract_get(user=request.user, pk=pk)
    form = DocumentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            document = services.document_upload(
                contract=contract,
                actor=request.user,
                upload=form.cleaned_data["file"],
                kind=form.cleaned_data["kind"],
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, _("Document %(name)s stored.") % {"name": document.original_name}
            )
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(reverse("contracts:detail", args=[pk]) + "#documents")


@allow(CONTRACT_READERS)
@require_GET
def document_download(request, pk):
    document = selectors.document_get(user=request.user, pk=pk)
    return document_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )
