"""Documents, review stages and their gates, withdrawal and rejection (docs/stakes.md)."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from agency.models import ProposalDocument
from agency.stakes import services
from rohstoff.core.errors import StateConflict, ValidationError
from rohstoff.core.models import AuditEvent

from .conftest import pdf


def accept(proposal, analyst, *items):
    for item in items:
        services.document_upload(proposal=proposal, actor=analyst, item=item, upload=pdf())
        document = proposal.documents.get(item=item)
        services.document_review(document=document, actor=analyst, status="accepted")


def test_checklist_per_instrument(make_proposal):
    equity = make_proposal()
    assert set(equity.documents.values_list("item", flat=True)) == {
        "business_plan",
        "financing_plan",
        "technical_report",
        "economics",
        "hse_check",
        "mining_rights",
        "registry_extract",
        "officers",
        "cap_table",
        "offtake_term_sheet",
    }
    exploration = make_proposal(
        instrument="exploration_funding", equity_share_pct=None, cap_table=[]
    )
    items = set(exploration.documents.values_list("item", flat=True))
    assert "economics" not in items and "cap_table" not in items
    assert "offtake_term_sheet" in items
    assert set(exploration.documents.values_list("status", flat=True)) == {"missing"}


def test_upload_sniffs_the_type_hashes_and_raises_the_revision(make_proposal, analyst):
    proposal = make_proposal()
    document = services.document_upload(
        proposal=proposal, actor=analyst, item="business_plan", upload=pdf("Plan.docx")
    )
    assert document.status == "received" and document.original_name == "Plan.pdf"
    assert document.content_type == "application/pdf" and len(document.sha256) == 64
    proposal.refresh_from_db()
    assert proposal.revision == 2
    fake = SimpleUploadedFile("plan.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(ValidationError) as exc:
        services.document_upload(proposal=proposal, actor=analyst, item="economics", upload=fake)
    assert "file" in exc.value.message_dict
    with pytest.raises(ValidationError):
        services.document_upload(proposal=proposal, actor=analyst, item="nonsense", upload=pdf())
    assert proposal.documents.get(item="economics").status == "missing"


def test_upload_size_limit(make_proposal, analyst, settings):
    settings.CONTRACT_DOCUMENT_MAX_BYTES = 10
    with pytest.raises(ValidationError):
        services.document_upload(
            proposal=make_proposal(), actor=analyst, item="business_plan", upload=pdf()
        )


def test_stage_gates(make_proposal, analyst):
    proposal = make_proposal()
    proposal = services.proposal_advance(proposal=proposal, actor=analyst, note="vollständig")
    assert proposal.stage == "screening"
    with pytest.raises(StateConflict) as exc:
        services.proposal_advance(proposal=proposal, actor=analyst)
    assert "business plan" in str(exc.value.message) or "Geschäftsplan" in str(exc.value.message)
    accept(proposal, analyst, "business_plan", "financing_plan", "registry_extract")
    with pytest.raises(StateConflict):  # officers only received
        services.document_upload(proposal=proposal, actor=analyst, item="officers", upload=pdf())
        services.proposal_advance(proposal=proposal, actor=analyst)
    services.document_review(
        document=proposal.documents.get(item="officers"), actor=analyst, status="accepted"
    )
    proposal = services.proposal_advance(proposal=proposal, actor=analyst)
    assert proposal.stage == "technical_dd"
    with pytest.raises(StateConflict):
        services.proposal_advance(proposal=proposal, actor=analyst)
    accept(proposal, analyst, "technical_report", "mining_rights")
    proposal = services.proposal_advance(proposal=proposal, actor=analyst)
    assert proposal.stage == "commercial_review"
    accept(proposal, analyst, "economics", "cap_table")
    with pytest.raises(StateConflict):  # the offtake term sheet is missing
        services.proposal_advance(proposal=proposal, actor=analyst)
    accept(proposal, analyst, "offtake_term_sheet")
    proposal = services.proposal_advance(proposal=proposal, actor=analyst)
    accept(proposal, analyst, "hse_check")
    proposal = services.proposal_advance(proposal=proposal, actor=analyst)
    assert proposal.stage == "committee"
    with pytest.raises(StateConflict):  # only the approvers move it on from here
        services.proposal_advance(proposal=proposal, actor=analyst)
    notes = list(proposal.notes.values_list("stage", "note"))
    assert notes[0] == ("draft", "vollständig")
    actions = AuditEvent.objects.filter(object_type="agency.stakeproposal").values_list(
        "action", flat=True
    )
    assert "stake.committee" in actions and "stake.document_review" in actions


def test_a_new_upload_reopens_an_accepted_document(make_proposal, analyst):
    proposal = make_proposal()
    accept(proposal, analyst, "business_plan")
    services.document_upload(
        proposal=proposal, actor=analyst, item="business_plan", upload=pdf("v2.pdf")
    )
    document = ProposalDocument.objects.get(proposal=proposal, item="business_plan")
    assert document.status == "received" and document.reviewed_by is None


def test_notes_withdraw_and_reject_before_committee(make_proposal, analyst, approver):
    proposal = make_proposal()
    services.proposal_note_add(proposal=proposal, actor=approver, note="Bitte Capex prüfen")
    with pytest.raises(ValidationError):
        services.proposal_note_add(proposal=proposal, actor=analyst, note="  ")
    with pytest.raises(StateConflict):
        services.proposal_reject(proposal=proposal, actor=analyst, reason="x")  # a draft
    with pytest.raises(ValidationError):
        services.proposal_withdraw(proposal=proposal, actor=analyst, reason="")
    withdrawn = services.proposal_withdraw(proposal=proposal, actor=analyst, reason="Zurückgezogen")
    assert withdrawn.stage == "withdrawn" and withdrawn.decision_reason == "Zurückgezogen"
    with pytest.raises(StateConflict):
        services.proposal_update(proposal=withdrawn, actor=analyst, amount=Decimal("1"))
    other = services.proposal_advance(proposal=make_proposal(), actor=analyst)
    rejected = services.proposal_reject(proposal=other, actor=analyst, reason="Capex zu hoch")
    assert rejected.stage == "rejected" and rejected.decided_at is not None
