"""Pages of the stockpile: the agency's overview (cover, holdings, targets, locations), its
movements and the releases waiting for approval; the ministry's bands. Thin: forms parse,
services write, selectors read (docs/stockpile.md)."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import AGENCY, AGENCY_APPROVERS, MINISTRY, allow
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.forms import add_service_errors

from ..four_eyes import services as four_eyes
from . import exports, selectors, services
from .forms import DecisionForm, LocationForm, MovementForm, ReleaseChangeForm, TargetForm
from .models import MovementKind, MovementState


def _overview_context(request, **forms):
    source, rows = selectors.cover_rows(user=request.user)
    return {
        "source": source,
        "rows": rows,
        "holdings": selectors.holdings(user=request.user),
        "target_form": forms.get("target_form") or TargetForm(),
        "location_form": forms.get("location_form") or LocationForm(),
        "in_review": selectors.releases_in_review(user=request.user).count(),
    }


@allow(AGENCY)
@require_GET
def overview(request):
    return render(request, "agency/stockpile/overview.html", _overview_context(request))


@allow(AGENCY)
@require_POST
def target_set(request):
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.target_set(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Target saved."))
            return redirect("agency:stockpile")
    return render(
        request,
        "agency/stockpile/overview.html",
        _overview_context(request, target_form=form),
        status=400,
    )


@allow(AGENCY)
@require_POST
def location_create(request):
    form = LocationForm(request.POST)
    if form.is_valid():
        try:
            services.location_create(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Location added."))
            return redirect("agency:stockpile")
    return render(
        request,
        "agency/stockpile/overview.html",
        _overview_context(request, location_form=form),
        status=400,
    )


@allow(AGENCY)
@require_http_methods(["GET", "POST"])
def movements(request):
    kind = request.GET.get("kind", "")
    form = MovementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            kind_chosen = data.pop("kind")
            replacement = data.pop("replacement_t")
            try:
                if kind_chosen == MovementKind.PURCHASE:
                    services.purchase_book(actor=request.user, **data)
                    messages.success(request, _("Purchase booked."))
                elif kind_chosen == MovementKind.ROTATION:
                    services.rotation_book(actor=request.user, replacement_t=replacement, **data)
                    messages.success(request, _("Rotation booked."))
                else:
                    release = services.release_propose(actor=request.user, **data)
                    messages.success(
                        request, _("Release proposed; it needs two approvals before it is booked.")
                    )
                    return redirect("agency:stockpile_release", pk=release.pk)
            except ValidationError as exc:
                add_service_errors(form, exc)
            except StateConflict as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("agency:stockpile_movements")
    return render(
        request,
        "agency/stockpile/movements.html",
        {
            "form": form,
            "movements": selectors.movement_list(user=request.user, kind=kind)[:200],
            "kind": kind,
            "kinds": MovementKind.choices,
        },
        status=status,
    )


@allow(AGENCY)
@require_GET
def releases(request):
    return render(
        request,
        "agency/stockpile/releases.html",
        {
            "in_review": selectors.releases_in_review(user=request.user),
            "decided": selectors.movement_list(
                user=request.user, kind=MovementKind.RELEASE
            ).exclude(state=MovementState.IN_REVIEW)[:50],
        },
    )


def _release_page(request, release, *, change_form=None, decision_form=None, status=200):
    decisions = list(four_eyes.decisions(release))
    current = [d for d in decisions if d.revision == release.revision and d.voided_at is None]
    return render(
        request,
        "agency/stockpile/release_detail.html",
        {
            "release": release,
            "decisions": decisions,
            "approvals": sum(1 for d in current if d.decision == "approve"),
            "required": four_eyes.REQUIRED_APPROVALS,
            "why_not": four_eyes.may_decide(release, request.user) if release.is_open else None,
            "decided_by_me": any(d.approver_id == request.user.pk for d in current),
            "change_form": change_form
            or ReleaseChangeForm(
                initial={"quantity_t": release.quantity_t, "reason": release.reason}
            ),
            "decision_form": decision_form or DecisionForm(initial={"revision": release.revision}),
        },
        status=status,
    )


@allow(AGENCY)
@require_GET
def release_detail(request, pk):
    return _release_page(request, selectors.release_get(user=request.user, pk=pk))


def _decide(request, pk, action):
    release = selectors.release_get(user=request.user, pk=pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _release_page(request, release, decision_form=form, status=400)
    try:
        if action == "approve":
            release = services.release_approve(
                release=release, actor=request.user, revision=form.cleaned_data["revision"]
            )
            if release.state == MovementState.BOOKED:
                messages.success(request, _("Second approval given: the release is booked."))
            else:
                messages.success(request, _("Approval recorded; a second approver is needed."))
        else:
            if form.cleaned_data["revision"] != release.revision:
                raise StateConflict(
                    _("The release has changed since you opened it; read the new version first.")
                )
            services.release_reject(
                release=release, actor=request.user, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("Release rejected."))
    except ValidationError as exc:
        add_service_errors(form, exc)
        return _release_page(request, release, decision_form=form, status=400)
    except StateConflict as exc:
        messages.error(request, exc.message)
    return redirect("agency:stockpile_release", pk=pk)


@allow(AGENCY_APPROVERS)
@require_POST
def release_approve(request, pk):
    return _decide(request, pk, "approve")


@allow(AGENCY_APPROVERS)
@require_POST
def release_reject(request, pk):
    return _decide(request, pk, "reject")


@allow(AGENCY)
@require_POST
def release_change(request, pk):
    release = selectors.release_get(user=request.user, pk=pk)
    form = ReleaseChangeForm(request.POST)
    if form.is_valid():
        try:
            services.release_change(release=release, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return redirect("agency:stockpile_release", pk=pk)
        else:
            messages.success(request, _("Release changed; approvals given before are void."))
            return redirect("agency:stockpile_release", pk=pk)
    return _release_page(request, release, change_form=form, status=400)


@allow(AGENCY)
@require_POST
def release_withdraw(request, pk):
    release = selectors.release_get(user=request.user, pk=pk)
    try:
        services.release_withdraw(
            release=release, actor=request.user, reason=request.POST.get("reason", "")[:4000]
        )
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Release withdrawn."))
    return redirect("agency:stockpile_release", pk=pk)


@allow(AGENCY | MINISTRY)
@require_GET
def bands(request):
    source, rows = selectors.band_rows(user=request.user)
    return render(request, "agency/stockpile/bands.html", {"source": source, "rows": rows})


@allow(AGENCY | MINISTRY)
@require_GET
def bands_export(request):
    _source, rows = selectors.band_rows(user=request.user)
    return exports.bands_csv(rows)
