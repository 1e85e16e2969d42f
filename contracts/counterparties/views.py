"""Pages of counterparties (the suppliers the trading house contracts with). Thin: parse, call a
selector or service, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from rohstoff.core.access import CONTRACT_READERS, DESK, allow
from rohstoff.core.forms import add_service_errors

from .. import policy
from . import selectors, services
from .forms import CounterpartyForm


@allow(CONTRACT_READERS)
@require_GET
def counterparty_list(request):
    return render(
        request,
        "contracts/counterparty_list.html",
        {
            "counterparties": policy.counterparties_visible_to(request.user).order_by("name"),
        },
    )


@allow(DESK)
@require_http_methods(["GET", "POST"])
def counterparty_edit(request, pk=None):
    counterparty = selectors.counterparty_get(user=request.user, pk=pk) if pk else None
    form = CounterpartyForm(request.POST or None, instance=counterparty)
    if request.method == "POST" and form.is_valid():
        try:
            services.counterparty_save(
                actor=request.user, counterparty=counterparty, **form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, _("Counterparty %(name)s saved.") % {"name": form.cleaned_data["name"]}
            )
            return redirect("contracts:counterparties")
    return render(
        request, "contracts/counterparty_form.html", {"form": form, "counterparty": counterparty}
    )
