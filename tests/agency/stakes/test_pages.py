"""The proposal pages: the analyst creates, edits, uploads and moves a proposal; approvers decide;
the desk sees approved stakes' offtake rights only; members learn nothing (404)."""

from decimal import Decimal

import pytest

from agency.models import StakeProposal

from .conftest import pdf


def form_data(project, lioh, **overrides):
    data = {
        "project": project.pk,
        "instrument": "equity",
        "amount": "100.000.000",
        "currency": "EUR",
        "equity_share_pct": "25",
        "special_necessity": "",
        "offtake_material": lioh.pk,
        "offtake_t_per_year": "5.000",
        "offtake_first_year": "2028",
        "offtake_last_year": "2032",
        "offtake_shortfall_reason": "",
        "conditions": "Aufsichtsratssitz",
        "cap-TOTAL_FORMS": "4",
        "cap-INITIAL_FORMS": "0",
        "cap-MIN_NUM_FORMS": "0",
        "cap-MAX_NUM_FORMS": "50",
        "cap-0-shareholder": "Test Lithium GmbH",
        "cap-0-share_pct": "45",
        "cap-1-shareholder": "Rohstoffagentur",
        "cap-1-share_pct": "25",
        "cap-1-is_agency": "on",
        "cap-2-shareholder": "Streubesitz",
        "cap-2-share_pct": "30",
    }
    data.update(overrides)
    return data


def test_the_analyst_creates_a_proposal_in_german(login, analyst, project, lioh):
    client = login(analyst)
    page = client.get(f"/agency/proposals/new/?project={project.pk}", HTTP_ACCEPT_LANGUAGE="de")
    assert page.status_code == 200
    response = client.post("/agency/proposals/new/", form_data(project, lioh))
    proposal = StakeProposal.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(
        f"/agency/proposals/{proposal.pk}/#documents"
    )
    assert proposal.amount == Decimal("100000000") and proposal.cap_table.count() == 3
    detail = client.get(f"/agency/proposals/{proposal.pk}/").content.decode()
    assert "Test Lithium GmbH" in detail and "documents" in detail


def test_the_form_shows_the_rules_by_field(login, analyst, project, lioh):
    client = login(analyst)
    response = client.post(
        "/agency/proposals/new/",
        form_data(
            project,
            lioh,
            equity_share_pct="50,01",
            **{"cap-1-share_pct": "45", "cap-0-share_pct": "25"},
        ),
    )
    assert response.status_code == 200 and not StakeProposal.objects.exists()
    form = response.context["form"]
    assert "special_necessity" in form.errors
    assert response.context["cap_table"].non_form_errors()


def test_upload_accept_advance_and_notes_on_the_page(login, analyst, make_proposal):
    proposal = make_proposal()
    client = login(analyst)
    client.post(f"/agency/proposals/{proposal.pk}/advance/", {"note": "Vollständig"})
    proposal.refresh_from_db()
    assert proposal.stage == "screening"
    document = proposal.documents.get(item="business_plan")
    client.post(f"/agency/proposal-documents/{document.pk}/upload/", {"file": pdf()})
    document.refresh_from_db()
    assert document.status == "received"
    client.post(f"/agency/proposal-documents/{document.pk}/review/", {"status": "accepted"})
    document.refresh_from_db()
    assert document.status == "accepted"
    download = client.get(f"/agency/proposal-documents/{document.pk}/")
    assert download.status_code == 200 and download["X-Content-Type-Options"] == "nosniff"
    response = client.post(f"/agency/proposals/{proposal.pk}/advance/", follow=True)
    assert "cannot be passed" in response.content.decode() or "nicht" in response.content.decode()
    client.post(f"/agency/proposals/{proposal.pk}/note/", {"note": "Rückfrage Capex"})
    assert proposal.notes.filter(note="Rückfrage Capex").exists()


def test_approvers_decide_on_the_page(login, at_committee, approver, approver2, lithium_round):
    proposal = at_committee()
    page = login(approver).get(f"/agency/proposals/{proposal.pk}/").content.decode()
    assert f"/agency/proposals/{proposal.pk}/approve/" in page
    login(approver).post(
        f"/agency/proposals/{proposal.pk}/approve/", {"revision": str(proposal.revision)}
    )
    response = login(approver2).post(
        f"/agency/proposals/{proposal.pk}/approve/",
        {"revision": str(proposal.revision)},
        follow=True,
    )
    proposal.refresh_from_db()
    assert proposal.stage == "approved"
    assert proposal.offtake_contract.reference in response.content.decode()


def test_the_desk_sees_offtake_rights_and_nothing_else(
    login, desk, at_committee, approver, approver2, lithium_round
):
    from agency.stakes import services

    proposal = at_committee()
    client = login(desk)
    assert client.get("/agency/proposals/").status_code == 403
    assert client.get(f"/agency/proposals/{proposal.pk}/").status_code == 403
    assert "Testprojekt Lithium" not in client.get("/agency/offtake-rights/").content.decode()
    for who in (approver, approver2):
        services.proposal_approve(proposal=proposal, actor=who)
    page = client.get("/agency/offtake-rights/").content.decode()
    assert "Testprojekt Lithium" in page and proposal.offtake_contract.reference in page
    document = proposal.documents.first()
    assert client.get(f"/agency/proposal-documents/{document.pk}/").status_code == 403


@pytest.mark.parametrize("who", ["member_a", "member_admin_a"])
def test_members_get_404_everywhere(request, login, who, make_proposal):
    proposal = make_proposal()
    document = proposal.documents.first()
    client = login(request.getfixturevalue(who))
    for url in (
        "/agency/proposals/",
        "/agency/proposals/new/",
        f"/agency/proposals/{proposal.pk}/",
        f"/agency/proposal-documents/{document.pk}/",
        "/agency/offtake-rights/",
    ):
        assert client.get(url).status_code == 404, url


def test_the_ministry_sees_no_proposal(login, ministry, make_proposal):
    proposal = make_proposal()
    client = login(ministry)
    assert client.get("/agency/proposals/").status_code == 403
    assert client.get(f"/agency/proposals/{proposal.pk}/").status_code == 403
    assert client.get("/agency/offtake-rights/").status_code == 403
