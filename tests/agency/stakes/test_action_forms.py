"""The proposal page's action forms (note, withdraw, reject, move on): a form sent with errors
re-renders the page with the bound form and the error summary (docs/forms.md) and changes
nothing; a valid one is carried out and returns to the page."""

import pytest

from agency.models import ProposalStage, StakeProposal

pytestmark = pytest.mark.django_db


def _summary(page: str) -> str:
    assert 'data-testid="error-summary"' in page
    return page.split('data-testid="error-summary"', 1)[1].split("</div>", 1)[0]


@pytest.mark.parametrize(
    ("action", "field_id"),
    [("withdraw", "withdraw-reason"), ("note", "note-note")],
)
def test_a_missing_text_re_renders_the_page_with_the_error_summary(
    login, analyst, make_proposal, action, field_id
):
    proposal = make_proposal()
    stage, notes = proposal.stage, proposal.notes.count()
    response = login(analyst).post(f"/agency/proposals/{proposal.pk}/{action}/", {})
    assert response.status_code == 400
    page = response.content.decode()
    summary = _summary(page)
    assert f'href="#{field_id}"' in summary
    assert "This field is required." in summary or "zwingend erforderlich" in summary
    # the field keeps its error beside it, and the form is the bound one
    assert f'id="{field_id}_error"' in page and 'aria-invalid="true"' in page
    proposal.refresh_from_db()
    assert proposal.stage == stage and proposal.notes.count() == notes


def test_a_missing_reason_for_a_rejection_keeps_the_proposal_open(login, analyst, make_proposal):
    client = login(analyst)
    proposal = make_proposal()
    client.post(f"/agency/proposals/{proposal.pk}/advance/", {"note": ""})
    proposal.refresh_from_db()
    response = client.post(f"/agency/proposals/{proposal.pk}/reject/", {"reason": "  "})
    assert response.status_code == 400
    assert 'href="#reject-reason"' in _summary(response.content.decode())
    assert StakeProposal.objects.get(pk=proposal.pk).stage != ProposalStage.REJECTED


def test_a_too_long_note_is_refused_with_its_field(login, analyst, make_proposal):
    proposal = make_proposal()
    response = login(analyst).post(f"/agency/proposals/{proposal.pk}/note/", {"note": "x" * 10001})
    assert response.status_code == 400
    assert 'href="#note-note"' in _summary(response.content.decode())
    assert proposal.notes.count() == 0


def test_a_valid_note_and_withdrawal_are_carried_out(login, analyst, make_proposal):
    client = login(analyst)
    proposal = make_proposal()
    response = client.post(f"/agency/proposals/{proposal.pk}/note/", {"note": "Geprüft."})
    assert response.status_code == 302 and response["Location"].endswith("#notes")
    assert proposal.notes.filter(note="Geprüft.").exists()
    response = client.post(
        f"/agency/proposals/{proposal.pk}/withdraw/", {"reason": "Projekt eingestellt"}
    )
    assert response.status_code == 302
    proposal.refresh_from_db()
    assert proposal.stage == ProposalStage.WITHDRAWN


def test_the_page_links_each_action_field_to_its_own_id(login, analyst, make_proposal):
    page = login(analyst).get(f"/agency/proposals/{make_proposal().pk}/").content.decode()
    for field_id in ("advance-note", "withdraw-reason", "note-note"):
        assert page.count(f'id="{field_id}"') == 1
