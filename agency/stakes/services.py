"""Writes of stake proposals: keyword-only functions, atomic, audit-logged. ``ValidationError``
for input that breaks a rule (400 in the API, the form shows it by field), ``StateConflict`` when
the proposal's stage forbids the change (409). The rules: docs/stakes.md; four eyes:
docs/four-eyes.md.

Every change to a proposal's content (its fields, cap table, offtake right, a new document) raises
its ``revision`` and voids the approvals given before.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from rohstoff.core import money
from rohstoff.core.audit import audit_record, snapshot
from rohstoff.core.documents import document_check
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.models import Role

from .. import offtake_rights
from ..four_eyes import services as four_eyes
from ..models import (
    CapTableEntry,
    DocumentStatus,
    ProposalDocument,
    ProposalStage,
    StageNote,
    StakeProposal,
)
from . import rules
from .models import CLOSED_STAGES, REVIEW_PATH
from .rules import Shareholder

AUDIT = "stake"
# The proposal's content as the analyst enters it (form, API, audit snapshot, in this order).
PROPOSAL_FIELDS = [
    "project",
    "instrument",
    "amount",
    "currency",
    "equity_share_pct",
    "special_necessity",
    "offtake_material",
    "offtake_t_per_year",
    "offtake_first_year",
    "offtake_last_year",
    "offtake_shortfall_reason",
    "conditions",
]
TEXT_FIELDS = ("special_necessity", "offtake_shortfall_reason", "conditions")
MAX_NOTE = 10_000


def _lock(proposal: StakeProposal) -> StakeProposal:
    return (
        StakeProposal.objects.select_for_update(of=("self",))
        .select_related("project", "offtake_material")
        .get(pk=proposal.pk)
    )


def _require_open(proposal: StakeProposal) -> None:
    if proposal.stage in CLOSED_STAGES:
        raise StateConflict(
            _("A %(stage)s proposal cannot change.") % {"stage": proposal.get_stage_display()}
        )


def _require_analyst(actor) -> None:
    if getattr(actor, "role", None) != Role.AGENCY_ANALYST:
        raise StateConflict(_("Only agency analysts prepare and move proposals."))


def _in_eur(amount: Decimal | None, currency: str, field: str) -> tuple:
    """(amount in EUR, rate date, units per EUR) at today's latest rate; ValidationError when
    the desk has recorded no rate for the currency."""
    if amount is None:
        return None, None, None
    rate = money.fx_rate(currency, timezone.localdate())
    if rate is None:
        raise ValidationError(
            {
                field: _(
                    "No FX rate for %(currency)s is recorded; the trading desk enters FX rates."
                )
                % {"currency": currency}
            }
        )
    day, per_eur = rate
    return money.to_eur(amount, per_eur), day, per_eur


def pro_rata_for(proposal: StakeProposal) -> Decimal | None:
    """The offtake volume pro rata to the proposal's funding share of capex, at today's FX
    rates (None when the project lacks capex or capacity, or a rate is missing)."""
    project = proposal.project
    if not proposal.has_offtake_right or project.capex is None or proposal.amount is None:
        return None
    capacity = (
        project.material_capacities.filter(material_id=proposal.offtake_material_id)
        .values_list("capacity_t_per_year", flat=True)
        .first()
    )
    day = timezone.localdate()
    amount_rate = money.fx_rate(proposal.currency, day)
    capex_rate = money.fx_rate(project.capex_currency, day)
    if capacity is None or amount_rate is None or capex_rate is None:
        return None
    return rules.pro_rata_t(
        amount_eur=money.to_eur(proposal.amount, amount_rate[1]),
        capex_eur=money.to_eur(project.capex, capex_rate[1]),
        capacity_t_per_year=capacity,
    )


def _check(proposal: StakeProposal, cap_table: list[Shareholder]) -> Decimal | None:
    """Every rule of docs/stakes.md on the proposal's values; fills in the EUR amount. Returns
    the pro-rata offtake volume (None when it cannot be computed)."""
    errors: dict = {}
    project = proposal.project
    if proposal.amount is not None and proposal.amount <= 0:
        errors.setdefault("amount", []).append(_("The amount must be more than zero."))
    amount_eur = capex_eur = None
    try:
        amount_eur, proposal.fx_date, proposal.fx_per_eur = _in_eur(
            proposal.amount, proposal.currency, "currency"
        )
        if project.capex is not None:
            capex_eur = _in_eur(project.capex, project.capex_currency, "project")[0]
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    proposal.amount_eur = amount_eur
    errors.update(
        rules.check_equity(
            instrument=proposal.instrument,
            equity_share_pct=proposal.equity_share_pct,
            special_necessity=proposal.special_necessity,
        )
    )
    for field, messages in rules.check_cap_table(
        instrument=proposal.instrument, rows=cap_table
    ).items():
        errors.setdefault(field, []).extend(messages)
    capacities = dict(project.material_capacities.values_list("material_id", "capacity_t_per_year"))
    offtake_errors, due = rules.check_offtake(
        instrument=proposal.instrument,
        material=proposal.offtake_material,
        t_per_year=proposal.offtake_t_per_year,
        first_year=proposal.offtake_first_year,
        last_year=proposal.offtake_last_year,
        shortfall_reason=proposal.offtake_shortfall_reason,
        project_materials=capacities,
        amount_eur=amount_eur,
        capex_eur=capex_eur,
    )
    for field, messages in offtake_errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    return due


def _apply(proposal: StakeProposal, data: dict) -> None:
    for name, value in data.items():
        if name not in PROPOSAL_FIELDS:
            raise ValidationError({name: _("This field cannot be set here.")})
        if name in TEXT_FIELDS:
            value = (value or "").strip()
        setattr(proposal, name, value)


def _write_cap_table(proposal: StakeProposal, cap_table: list[Shareholder]) -> None:
    proposal.cap_table.all().delete()
    CapTableEntry.objects.bulk_create(
        CapTableEntry(
            proposal=proposal,
            shareholder=row.name.strip(),
            share_pct=row.share_pct,
            is_agency=row.is_agency,
        )
        for row in cap_table
    )


def _sync_checklist(proposal: StakeProposal) -> None:
    """One document row per item the instrument needs; rows of items no longer needed go unless
    a file was uploaded for them."""
    needed = rules.required_items(proposal.instrument, proposal.has_offtake_right)
    have = set(proposal.documents.values_list("item", flat=True))
    ProposalDocument.objects.bulk_create(
        ProposalDocument(proposal=proposal, item=item) for item in needed if item not in have
    )
    proposal.documents.exclude(item__in=needed).filter(status=DocumentStatus.MISSING).delete()


def _cap_snapshot(proposal: StakeProposal) -> list:
    return [
        [row.shareholder, str(row.share_pct), row.is_agency]
        for row in proposal.cap_table.order_by("shareholder")
    ]


@transaction.atomic
def proposal_create(*, actor, cap_table: list[Shareholder] = (), **data) -> StakeProposal:
    _require_analyst(actor)
    cap_table = list(cap_table)
    proposal = StakeProposal(author=actor)
    _apply(proposal, data)
    if proposal.project_id is None:
        raise ValidationError({"project": _("Choose the project.")})
    _check(proposal, cap_table)
    proposal.full_clean(exclude=["author"])
    proposal.save()
    _write_cap_table(proposal, cap_table)
    _sync_checklist(proposal)
    audit_record(
        actor=actor,
        action=f"{AUDIT}.create",
        obj=proposal,
        after={**snapshot(proposal, PROPOSAL_FIELDS), "cap_table": _cap_snapshot(proposal)},
    )
    return proposal


def _changed(proposal: StakeProposal, actor, before: dict) -> None:
    """After a change of content: raise the revision, void earlier approvals, log the change."""
    proposal.revision += 1
    proposal.save()
    four_eyes.void(subject=proposal, actor=actor, audit_action=AUDIT)
    after = {**snapshot(proposal, PROPOSAL_FIELDS), "cap_table": _cap_snapshot(proposal)}
    audit_record(
        actor=actor,
        action=f"{AUDIT}.update",
        obj=proposal,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={
            **{k: v for k, v in after.items() if before.get(k) != v},
            "revision": proposal.revision,
        },
    )


@transaction.atomic
def proposal_update(
    *, proposal: StakeProposal, actor, cap_table: list[Shareholder] | None = None, **data
) -> StakeProposal:
    """Change an open proposal; the project stays. ``cap_table`` None keeps the table."""
    _require_analyst(actor)
    proposal = _lock(proposal)
    _require_open(proposal)
    if "project" in data and data["project"].pk != proposal.project_id:
        raise ValidationError({"project": _("A proposal stays with its project.")})
    before = {**snapshot(proposal, PROPOSAL_FIELDS), "cap_table": _cap_snapshot(proposal)}
    _apply(proposal, data)
    if cap_table is None:
        cap_table = [
            Shareholder(row.shareholder, row.share_pct, row.is_agency)
            for row in proposal.cap_table.all()
        ]
    cap_table = list(cap_table)
    _check(proposal, cap_table)
    proposal.full_clean(exclude=["author"])
    _write_cap_table(proposal, cap_table)
    _sync_checklist(proposal)
    after = {**snapshot(proposal, PROPOSAL_FIELDS), "cap_table": _cap_snapshot(proposal)}
    if after == before:  # nothing changed: the approvals given stand
        proposal.save()
        return proposal
    _changed(proposal, actor, before)
    return proposal


def missing_for_gate(proposal: StakeProposal, stage: str | None = None) -> list[ProposalDocument]:
    """The checklist rows that keep the proposal in ``stage`` (default: its current one)."""
    items = rules.gate_items(
        stage or proposal.stage, proposal.instrument, proposal.has_offtake_right
    )
    return [
        document
        for document in proposal.documents.filter(item__in=items).order_by("item")
        if document.status != DocumentStatus.ACCEPTED
    ]


def _gate(proposal: StakeProposal, stage: str) -> None:
    missing = missing_for_gate(proposal, stage)
    if missing:
        raise StateConflict(
            _("%(stage)s cannot be passed before these documents are accepted: %(items)s.")
            % {
                "stage": ProposalStage(stage).label,
                "items": ", ".join(str(d.get_item_display()) for d in missing),
            }
        )


def _note(proposal: StakeProposal, actor, text: str, stage: str | None = None) -> StageNote | None:
    text = (text or "").strip()
    if not text:
        return None
    if len(text) > MAX_NOTE:
        raise ValidationError({"note": _("A note has at most %(n)s characters.") % {"n": MAX_NOTE}})
    return StageNote.objects.create(
        proposal=proposal, stage=stage or proposal.stage, reviewer=actor, note=text
    )


def _move(proposal: StakeProposal, actor, to_stage: str, **extra) -> None:
    before = {"stage": proposal.stage}
    proposal.stage = to_stage
    proposal.stage_changed_at = timezone.now()
    for name, value in extra.items():
        setattr(proposal, name, value)
    proposal.save()
    audit_record(
        actor=actor,
        action=f"{AUDIT}.{to_stage}",
        obj=proposal,
        before=before,
        after={"stage": to_stage, **{k: snapshot(proposal, [k])[k] for k in extra}},
    )


def next_stage(stage: str) -> str | None:
    """The stage an analyst moves a proposal on to (None at the committee and after)."""
    movable = REVIEW_PATH[: REVIEW_PATH.index(ProposalStage.COMMITTEE)]
    if stage not in movable:
        return None
    return REVIEW_PATH[REVIEW_PATH.index(stage) + 1]


@transaction.atomic
def proposal_advance(*, proposal: StakeProposal, actor, note: str = "") -> StakeProposal:
    """Move the proposal to the next review stage, with the reviewer's note on the stage it
    leaves. The documents that stage needs must be accepted (docs/stakes.md, "Stages")."""
    _require_analyst(actor)
    proposal = _lock(proposal)
    target = next_stage(proposal.stage)
    if target is None:
        raise StateConflict(
            _("A proposal at the %(stage)s stage is not moved on by an analyst.")
            % {"stage": proposal.get_stage_display()}
        )
    _gate(proposal, proposal.stage)
    _note(proposal, actor, note)
    _move(proposal, actor, target)
    return proposal


@transaction.atomic
def proposal_note_add(*, proposal: StakeProposal, actor, note: str) -> StageNote:
    proposal = _lock(proposal)
    _require_open(proposal)
    written = _note(proposal, actor, note)
    if written is None:
        raise ValidationError({"note": _("Write the note.")})
    audit_record(
        actor=actor,
        action=f"{AUDIT}.note",
        obj=proposal,
        after={"stage": written.stage, "note": written.pk},
    )
    return written


@transaction.atomic
def proposal_withdraw(*, proposal: StakeProposal, actor, reason: str) -> StakeProposal:
    """The agency withdraws an open proposal (an analyst, with the reason)."""
    _require_analyst(actor)
    proposal = _lock(proposal)
    _require_open(proposal)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for the withdrawal.")})
    _note(proposal, actor, reason)
    _move(
        proposal,
        actor,
        ProposalStage.WITHDRAWN,
        decision_reason=reason[:MAX_NOTE],
        decided_at=timezone.now(),
    )
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: StakeProposal, actor, reason: str) -> StakeProposal:
    """Reject with a reason: at the committee an approver (four eyes: not the author, with a
    second factor); in a review stage before it, the reviewing analyst."""
    proposal = _lock(proposal)
    _require_open(proposal)
    if proposal.stage == ProposalStage.DRAFT:
        raise StateConflict(_("A draft is withdrawn, not rejected."))
    reason = (reason or "").strip()
    if proposal.stage == ProposalStage.COMMITTEE:
        four_eyes.reject(subject=proposal, actor=actor, reason=reason, audit_action=AUDIT)
    else:
        _require_analyst(actor)
        if not reason:
            raise ValidationError({"reason": _("Give the reason for the rejection.")})
    _note(proposal, actor, reason)
    _move(
        proposal,
        actor,
        ProposalStage.REJECTED,
        decision_reason=reason[:MAX_NOTE],
        decided_at=timezone.now(),
    )
    return proposal


@transaction.atomic
def proposal_approve(
    *, proposal: StakeProposal, actor, revision: int | None = None
) -> StakeProposal:
    """An approver's approval at the committee (four eyes, docs/four-eyes.md). The second one
    approves the proposal: its EUR amount is fixed at that day's rate and its offtake right
    becomes a draft offtake contract for the desk. ``revision``: the version the approver read;
    refused when the proposal has changed since."""
    proposal = _lock(proposal)
    if proposal.stage != ProposalStage.COMMITTEE:
        raise StateConflict(
            _("Only a proposal at the committee is approved; this one is %(stage)s.")
            % {"stage": proposal.get_stage_display()}
        )
    if revision is not None and revision != proposal.revision:
        raise StateConflict(
            _("The proposal has changed since you opened it; read the new version first.")
        )
    _gate(proposal, ProposalStage.COMMITTEE)
    outcome = four_eyes.approve(subject=proposal, actor=actor, audit_action=AUDIT)
    if outcome.complete:
        proposal.amount_eur, proposal.fx_date, proposal.fx_per_eur = _in_eur(
            proposal.amount, proposal.currency, "currency"
        )
        _move(proposal, actor, ProposalStage.APPROVED, decided_at=timezone.now())
        offtake_rights.draft_contract(stake=proposal, actor=actor)
    return proposal


@transaction.atomic
def stake_contract_draft(*, proposal: StakeProposal, actor):
    """The desk asks again for the draft contract of an approved stake's offtake right (when no
    demand round collected the material at approval). Returns the contract or None."""
    proposal = _lock(proposal)
    if proposal.stage != ProposalStage.APPROVED or not proposal.has_offtake_right:
        raise StateConflict(_("Only an approved stake's offtake right becomes a contract."))
    return offtake_rights.draft_contract(stake=proposal, actor=actor)


@transaction.atomic
def document_upload(*, proposal: StakeProposal, actor, item: str, upload) -> ProposalDocument:
    """Store the file of a checklist item (the same rules as contract documents); the item
    becomes "received" and the proposal's revision rises (a new document voids approvals)."""
    _require_analyst(actor)
    proposal = _lock(proposal)
    _require_open(proposal)
    document = proposal.documents.select_for_update().filter(item=item).first() if item else None
    if document is None:
        raise ValidationError({"item": _("This item is not on the proposal's checklist.")})
    checked = document_check(upload)
    before = snapshot(proposal, PROPOSAL_FIELDS)
    before["cap_table"] = _cap_snapshot(proposal)
    document.original_name = checked.original_name
    document.content_type = checked.content_type
    document.size = checked.size
    document.sha256 = checked.sha256
    document.status = DocumentStatus.RECEIVED
    document.uploaded_by, document.uploaded_at = actor, timezone.now()
    document.reviewed_by = document.reviewed_at = None
    document.file.save(checked.storage_name(f"{proposal.pk}-{item}"), upload, save=False)
    document.save()
    audit_record(
        actor=actor,
        action=f"{AUDIT}.document",
        obj=proposal,
        after={
            "item": item,
            "document": document.pk,
            "name": document.original_name,
            "sha256": document.sha256,
        },
    )
    _changed(proposal, actor, before)
    return document


@transaction.atomic
def document_review(
    *, document: ProposalDocument, actor, status: str, note: str = ""
) -> ProposalDocument:
    """An analyst accepts a received document, or sends it back (received -> missing needs a new
    upload; accepted -> received reopens it), with an optional note on the current stage."""
    _require_analyst(actor)
    proposal = _lock(document.proposal)
    _require_open(proposal)
    document = ProposalDocument.objects.select_for_update().get(pk=document.pk)
    if status not in (DocumentStatus.ACCEPTED, DocumentStatus.RECEIVED):
        raise ValidationError({"status": _("A document is accepted or returned to received.")})
    if not document.sha256:
        raise StateConflict(_("Nothing was uploaded for this item yet."))
    before = {"item": document.item, "status": document.status}
    document.status = status
    document.reviewed_by, document.reviewed_at = actor, timezone.now()
    document.save()
    _note(proposal, actor, note)
    audit_record(
        actor=actor,
        action=f"{AUDIT}.document_review",
        obj=proposal,
        before=before,
        after={"item": document.item, "status": status},
    )
    return document
