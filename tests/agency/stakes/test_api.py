"""The proposals API: the same rules and status codes as the pages (docs/stakes.md)."""

from decimal import Decimal

import pytest

from agency.models import StakeProposal

from .conftest import pdf


def payload(project, **overrides):
    data = {
        "project": project.pk,
        "instrument": "equity",
        "amount": "100000000",
        "currency": "EUR",
        "equity_share_pct": "25",
        "offtake_material": "lithium-hydroxide",
        "offtake_t_per_year": "5000",
        "offtake_first_year": 2028,
        "offtake_last_year": 2032,
        "cap_table": [
            {"shareholder": "Test Lithium GmbH", "share_pct": "45"},
            {"shareholder": "Rohstoffagentur", "share_pct": "25", "is_agency": True},
            {"shareholder": "Streubesitz", "share_pct": "30"},
        ],
    }
    data.update(overrides)
    return data


def test_create_read_and_change(api, analyst, approver, project):
    client = api(analyst)
    response = client.post("/api/v1/agency/proposals/", payload(project), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["stage"] == "draft" and body["amount_eur"] == "100000000.0000"
    assert len(body["documents"]) == 10 and len(body["cap_table"]) == 3
    pk = body["id"]
    response = client.patch(f"/api/v1/agency/proposals/{pk}/", {"conditions": "Neu"}, format="json")
    assert response.status_code == 200 and response.json()["revision"] == 2
    assert response.json()["cap_table"] == body["cap_table"]
    listing = api(approver).get("/api/v1/agency/proposals/").json()
    rows = listing["results"] if isinstance(listing, dict) else listing
    assert [r["id"] for r in rows] == [pk]


def test_rules_answer_400_by_field(api, analyst, project):
    client = api(analyst)
    response = client.post(
        "/api/v1/agency/proposals/", payload(project, equity_share_pct="50.01"), format="json"
    )
    assert response.status_code == 400 and "special_necessity" in response.json()
    response = client.post(
        "/api/v1/agency/proposals/", payload(project, amount="1.500,5"), format="json"
    )
    assert response.status_code == 400 and "amount" in response.json()
    response = client.post(
        "/api/v1/agency/proposals/",
        payload(project, cap_table=[{"shareholder": f"S{n}", "share_pct": "1"} for n in range(60)]),
        format="json",
    )
    assert response.status_code == 400 and "cap_table" in response.json()
    assert not StakeProposal.objects.exists()


def test_documents_stage_moves_and_approvals(
    api, analyst, approver, approver2, make_proposal, lithium_round
):
    proposal = make_proposal()
    client = api(analyst)
    for document in proposal.documents.all():
        response = client.post(
            f"/api/v1/agency/documents/{document.pk}/upload/", {"file": pdf()}, format="multipart"
        )
        assert response.status_code == 201, response.content
        response = client.post(
            f"/api/v1/agency/documents/{document.pk}/review/", {"status": "accepted"}, format="json"
        )
        assert response.json()["status"] == "accepted"
    download = client.get(f"/api/v1/agency/documents/{document.pk}/download/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    for _ in range(5):
        response = client.post(
            f"/api/v1/agency/proposals/{proposal.pk}/advance/", {}, format="json"
        )
        assert response.status_code == 200, response.content
    assert response.json()["stage"] == "committee"
    assert (
        client.post(
            f"/api/v1/agency/proposals/{proposal.pk}/advance/", {}, format="json"
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"/api/v1/agency/proposals/{proposal.pk}/approve/", {}, format="json"
        ).status_code
        == 403
    )
    revision = response.json()["revision"]
    first = api(approver).post(
        f"/api/v1/agency/proposals/{proposal.pk}/approve/", {"revision": revision}, format="json"
    )
    assert first.status_code == 200 and first.json()["approvals"] == 1
    again = api(approver).post(
        f"/api/v1/agency/proposals/{proposal.pk}/approve/", {}, format="json"
    )
    assert again.status_code == 409
    second = api(approver2).post(
        f"/api/v1/agency/proposals/{proposal.pk}/approve/", {}, format="json"
    )
    assert second.json()["stage"] == "approved" and second.json()["offtake_contract"]


def test_upload_refuses_a_fake_file(api, analyst, make_proposal):
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = make_proposal().documents.first()
    fake = SimpleUploadedFile("x.pdf", b"<html>", content_type="application/pdf")
    response = api(analyst).post(
        f"/api/v1/agency/documents/{document.pk}/upload/", {"file": fake}, format="multipart"
    )
    assert response.status_code == 400 and "file" in response.json()
    response = api(analyst).post(
        f"/api/v1/agency/documents/{document.pk}/upload/", {}, format="multipart"
    )
    assert response.status_code == 400


def test_the_desk_reads_offtake_rights_only(
    api, desk, at_committee, approver, approver2, lithium_round
):
    from agency.stakes import services

    proposal = at_committee()
    client = api(desk)
    assert client.get("/api/v1/agency/proposals/").status_code == 403
    assert client.get(f"/api/v1/agency/offtake-rights/{proposal.pk}/").status_code == 404
    for who in (approver, approver2):
        services.proposal_approve(proposal=proposal, actor=who)
    body = client.get(f"/api/v1/agency/offtake-rights/{proposal.pk}/").json()
    assert body["material"] == "lithium-hydroxide" and body["t_per_year"] == "5000.000000"
    assert body["contract"] == proposal.offtake_contract.pk
    assert "amount" not in body and "cap_table" not in body
    again = client.post(f"/api/v1/agency/offtake-rights/{proposal.pk}/draft-contract/")
    assert again.status_code == 200 and again.json()["contract"] == body["contract"]


@pytest.mark.parametrize("who", ["member_a", "member_admin_a"])
def test_members_get_404(request, api, who, make_proposal):
    proposal = make_proposal()
    client = api(request.getfixturevalue(who))
    assert client.get("/api/v1/agency/proposals/").status_code == 404
    assert client.get(f"/api/v1/agency/proposals/{proposal.pk}/").status_code == 404
    assert client.get("/api/v1/agency/offtake-rights/").status_code == 404
    assert client.get("/api/v1/agency/documents/").status_code == 404


def test_ministry_403(api, ministry):
    assert api(ministry).get("/api/v1/agency/proposals/").status_code == 403
    assert api(ministry).get("/api/v1/agency/offtake-rights/").status_code == 403


def test_amounts_are_decimal_strings(api, analyst, make_proposal):
    make_proposal(amount=Decimal("99999999.5"))
    rows = api(analyst).get("/api/v1/agency/proposals/").json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert rows[0]["amount"] == "99999999.5000"


def test_a_document_whose_file_is_lost_answers_404_in_json(
    api, analyst, make_proposal, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    document = make_proposal().documents.first()
    client = api(analyst)
    response = client.post(
        f"/api/v1/agency/documents/{document.pk}/upload/", {"file": pdf()}, format="multipart"
    )
    assert response.status_code == 201, response.content
    document.refresh_from_db()
    document.file.storage.delete(document.file.name)
    response = client.get(f"/api/v1/agency/documents/{document.pk}/download/")
    assert response.status_code == 404
    assert response.json()["detail"] == "Die Datei dieses Dokuments fehlt im Speicher."
