"""Pages of stake proposals: the list, create and edit (with the cap table), one proposal with its
documents checklist, stage moves, notes and the committee's decisions; the desk's list of
approved stakes' offtake rights. Thin: parse, call a selector or service, render or redirect."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from rohstoff.core.access import allow
from rohstoff.core.documents import document_response
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.forms import add_service_errors
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..four_eyes import services as four_eyes
from ..models import REVIEW_PATH, DocumentItem, ProposalStage
from ..selectors import projects_visible_to
from . import selectors, services
from .forms import (
    CapTableFormSet,
    NoteForm,
    ProposalForm,
    ReasonForm,
    ReviewForm,
    UploadForm,
)


def _detail(proposal, anchor: str = ""):
    return redirect(reverse("agency:proposal", args=[proposal.pk]) + anchor)


def _outcome(request, call, success: str):
    """Run a service call from a POST; show its refusal as a message."""
    try:
        result = call()
    except (ValidationError, StateConflict) as exc:
        text = exc.message if isinstance(exc, StateConflict) else " ".join(exc.messages)
        messages.error(request, text)
        return None
    messages.success(request, success)
    return result


@allow(policy.PROPOSAL_READERS)
@require_GET
def proposal_list(request):
    stage = request.GET.get("stage", "")
    search = request.GET.get("q", "").strip()[:200]
    page = Paginator(
        selectors.proposal_list(user=request.user, stage=stage, search=search), 50
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "agency/proposals/list.html",
        {
            "page": page,
            "proposals": page.object_list,
            "stage": stage,
            "search": search,
            "stages": ProposalStage.choices,
        },
    )


def _cap_initial(proposal):
    return [
        {"shareholder": r.shareholder, "share_pct": r.share_pct, "is_agency": r.is_agency}
        for r in proposal.cap_table.all()
    ]


def _form_page(request, proposal=None):
    projects = projects_visible_to(request.user).order_by("name")
    initial = {}
    if proposal is not None:
        initial = {
            name: getattr(proposal, name)
            for name in services.PROPOSAL_FIELDS
            if name not in ("project", "offtake_material")
        }
        initial["project"] = proposal.project_id
        initial["offtake_material"] = proposal.offtake_material_id
    elif request.GET.get("project", "").isdigit():
        initial["project"] = int(request.GET["project"])
    form = ProposalForm(
        request.POST or None,
        initial=initial,
        projects=projects,
        fixed_project=proposal.project if proposal else None,
    )
    cap_table = CapTableFormSet(
        request.POST or None,
        prefix="cap",
        initial=_cap_initial(proposal) if proposal else [],
    )
    if request.method == "POST" and form.is_valid() and cap_table.is_valid():
        data = form.service_data()
        if proposal is not None:
            data.pop("project", None)
        try:
            if proposal is None:
                saved = services.proposal_create(
                    actor=request.user, cap_table=cap_table.shareholders(), **data
                )
            else:
                saved = services.proposal_update(
                    proposal=proposal,
                    actor=request.user,
                    cap_table=cap_table.shareholders(),
                    **data,
                )
        except ValidationError as exc:
            add_service_errors(form, exc)
            if "cap_table" in getattr(exc, "message_dict", {}):
                cap_errors = exc.message_dict["cap_table"]
                cap_table._non_form_errors = cap_table.error_class(cap_errors)
        except StateConflict as exc:
            messages.error(request, exc.message)
            return _detail(proposal)
        else:
            messages.success(
                request,
                _("Proposal saved.")
                if proposal
                else _("Proposal created. Next: upload its documents."),
            )
            return _detail(saved, "#documents")
    return render(
        request,
        "agency/proposals/form.html",
        {"form": form, "cap_table": cap_table, "proposal": proposal},
    )


@allow(policy.PROPOSAL_WRITERS)
@require_http_methods(["GET", "POST"])
def proposal_create(request):
    return _form_page(request)


@allow(policy.PROPOSAL_WRITERS)
@require_http_methods(["GET", "POST"])
def proposal_edit(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    if not proposal.is_open:
        messages.error(
            request,
            _("A %(stage)s proposal cannot change.") % {"stage": proposal.get_stage_display()},
        )
        return _detail(proposal)
    return _form_page(request, proposal)


# The proposal page's one-field action forms: context name -> (form, id prefix, label, required).
ACTION_FORMS = {
    "advance_form": (NoteForm, "advance", _lazy("Reviewer's note on this stage (optional)"), False),
    "withdraw_form": (ReasonForm, "withdraw", _lazy("Reason for the withdrawal"), True),
    "reject_form": (ReasonForm, "reject", _lazy("Reason for the rejection"), True),
    "note_form": (NoteForm, "note", _lazy("Add a note on the current stage"), True),
}


def _action_form(name: str, data=None):
    form_class, prefix, label, required = ACTION_FORMS[name]
    return form_class(data, auto_id=f"{prefix}-%s", label=label, required=required)


def _detail_page(request, proposal, *, bound: dict | None = None, status: int = 200):
    """The proposal's page; ``bound`` holds an action form sent with errors, shown in place of
    its empty form (the error summary lists its errors, docs/forms.md)."""
    review = selectors.review(proposal)
    order = {item: n for n, item in enumerate(DocumentItem.values)}
    documents = sorted(
        proposal.documents.select_related("uploaded_by"), key=lambda d: order.get(d.item, 99)
    )
    gate = {d.pk for d in review.gate_missing}
    path = [ProposalStage(stage) for stage in REVIEW_PATH]
    passed = set(path[: path.index(proposal.stage)]) if proposal.stage in path else set()
    forms = {name: _action_form(name) for name in ACTION_FORMS} | (bound or {})
    return render(
        request,
        "agency/proposals/detail.html",
        {
            "proposal": proposal,
            "review": review,
            "documents": documents,
            "gate": gate,
            "decided": any(a.approver_id == request.user.pk for a in review.approvals),
            "cannot_decide": four_eyes.may_decide(proposal, request.user),
            "stage_path": [(stage.value, stage.label) for stage in path],
            "passed": {stage.value for stage in passed},
            "cap_table": proposal.cap_table.all(),
            "notes": proposal.notes.select_related("reviewer"),
            "contract": getattr(proposal, "offtake_contract", None),
            "upload_form": UploadForm(),
            **forms,
            "next_stage_label": ProposalStage(review.next_stage).label
            if review.next_stage
            else None,
        },
        status=status,
    )


def _form_action(request, proposal, name: str, call, success: str, anchor: str = ""):
    """The one path of the proposal page's form actions: a form with errors (a missing reason)
    re-renders the page with the bound form and the error summary (400) and changes nothing;
    a valid one runs ``call(**cleaned_data)`` and returns to the page (a refusal of the service
    as a message)."""
    form = _action_form(name, request.POST)
    if not form.is_valid():
        return _detail_page(request, proposal, bound={name: form}, status=400)
    _outcome(request, lambda: call(**form.cleaned_data), success)
    return _detail(proposal, anchor)


@allow(policy.PROPOSAL_READERS)
@require_GET
def proposal_detail(request, pk):
    return _detail_page(request, selectors.proposal_get(user=request.user, pk=pk))


@allow(policy.PROPOSAL_WRITERS)
@require_POST
def proposal_advance(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    return _form_action(
        request,
        proposal,
        "advance_form",
        lambda note: services.proposal_advance(proposal=proposal, actor=request.user, note=note),
        _("The proposal moved on to the next stage."),
    )


@allow(policy.PROPOSAL_READERS)
@require_POST
def proposal_note(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    return _form_action(
        request,
        proposal,
        "note_form",
        lambda note: services.proposal_note_add(proposal=proposal, actor=request.user, note=note),
        _("Note saved."),
        "#notes",
    )


@allow(policy.PROPOSAL_WRITERS)
@require_POST
def proposal_withdraw(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    return _form_action(
        request,
        proposal,
        "withdraw_form",
        lambda reason: services.proposal_withdraw(
            proposal=proposal, actor=request.user, reason=reason
        ),
        _("The proposal was withdrawn."),
    )


@allow(policy.PROPOSAL_READERS)
@require_POST
def proposal_reject(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    return _form_action(
        request,
        proposal,
        "reject_form",
        lambda reason: services.proposal_reject(
            proposal=proposal, actor=request.user, reason=reason
        ),
        _("The proposal was rejected."),
    )


@allow(policy.PROPOSAL_DECIDERS)
@require_POST
def proposal_approve(request, pk):
    proposal = selectors.proposal_get(user=request.user, pk=pk)
    revision = request.POST.get("revision", "")
    result = _outcome(
        request,
        lambda: services.proposal_approve(
            proposal=proposal,
            actor=request.user,
            revision=int(revision) if revision.isdigit() else None,
        ),
        _("Your approval is recorded."),
    )
    if result is not None and result.stage == ProposalStage.APPROVED:
        messages.success(request, _("The second approval approves the stake."))
    return _detail(proposal, "#committee")


@allow(policy.PROPOSAL_WRITERS)
@require_POST
def document_upload(request, pk):
    document = selectors.document_get(user=request.user, pk=pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        _outcome(
            request,
            lambda: services.document_upload(
                proposal=document.proposal,
                actor=request.user,
                item=document.item,
                upload=form.cleaned_data["file"],
            ),
            _("Document %(item)s stored.") % {"item": document.get_item_display()},
        )
    else:
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
    return _detail(document.proposal, "#documents")


@allow(policy.PROPOSAL_WRITERS)
@require_POST
def document_review(request, pk):
    document = selectors.document_get(user=request.user, pk=pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        _outcome(
            request,
            lambda: services.document_review(
                document=document,
                actor=request.user,
                status=form.cleaned_data["status"],
                note=form.cleaned_data["note"],
            ),
            _("Document %(item)s: %(status)s.")
            % {
                "item": document.get_item_display(),
                "status": _("accepted")
                if form.cleaned_data["status"] == "accepted"
                else _("reopened"),
            },
        )
    else:
        messages.error(request, _("Choose whether to accept or reopen the document."))
    return _detail(document.proposal, "#documents")


@allow(policy.PROPOSAL_READERS)
@require_GET
def document_download(request, pk):
    document = selectors.document_get(user=request.user, pk=pk)
    if not document.file:
        raise Http404
    return document_response(
        document.file, filename=document.original_name, content_type=document.content_type
    )


@allow(policy.OFFTAKE_RIGHT_READERS)
@require_GET
def offtake_rights(request):
    return render(
        request,
        "agency/proposals/offtake_rights.html",
        {"rights": selectors.offtake_right_list(user=request.user)},
    )


@allow(policy.OFFTAKE_RIGHT_DRAFTERS)
@require_POST
def offtake_right_draft(request, pk):
    stake = get_visible_or_404(selectors.offtake_right_list(user=request.user), pk=pk)
    try:
        contract = services.stake_contract_draft(proposal=stake, actor=request.user)
    except StateConflict as exc:
        messages.error(request, exc.message)
    else:
        if contract is None:
            messages.error(
                request,
                _("No demand round collects this material for these years yet; open one first."),
            )
        else:
            messages.success(
                request, _("Draft contract %(ref)s is ready.") % {"ref": contract.reference}
            )
    return redirect("agency:offtake_rights")
