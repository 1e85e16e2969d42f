"""Contract documents: PDF, XLSX and DOCX up to the size limit, recognised by their content, and
served only to those who may see the contract."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from contracts.models import ContractDocument

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    return out.getvalue()


def docx_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def contract(make_contract):
    return make_contract()


def upload(client, contract, name, content, kind="contract"):
    return client.post(
        f"/contracts/{contract.pk}/documents/",
        {"kind": kind, "file": SimpleUploadedFile(name, content)},
    )


@pytest.mark.parametrize(
    "name,content,content_type",
    [
        ("Vertrag.pdf", PDF, "application/pdf"),
        ("Mengen.xlsx", None, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        (
            "Spezifikation.docx",
            None,
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
    ],
)
def test_accepted_types(login, desk, contract, name, content, content_type):
    content = content or (xlsx_bytes() if name.endswith("xlsx") else docx_bytes())
    upload(login(desk), contract, name, content)
    document = ContractDocument.objects.get()
    assert document.content_type == content_type and document.original_name == name
    assert document.size == len(content)


def test_type_is_checked_by_content_not_name(login, desk, contract):
    client = login(desk)
    response = upload(client, contract, "invoice.pdf", b"MZ\x90\x00 this is an executable")
    assert not ContractDocument.objects.exists()
    assert "keines davon" in response.wsgi_request._messages._queued_messages[0].message
    # A real PDF with a misleading name is stored under the name its content says.
    upload(client, contract, "scan.docx", PDF)
    assert ContractDocument.objects.get().original_name == "scan.pdf"
    # A ZIP that is neither workbook nor document is refused.
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    upload(client, contract, "x.xlsx", out.getvalue())
    assert ContractDocument.objects.count() == 1


def test_size_limit(login, desk, contract, settings):
    settings.CONTRACT_DOCUMENT_MAX_BYTES = 100
    upload(login(desk), contract, "big.pdf", PDF + b"0" * 200)
    assert not ContractDocument.objects.exists()


def test_download_for_desk_and_agency_only(
    client, login, desk, analyst, member_a, ministry, contract, make_user
):
    upload(login(desk), contract, "Vertrag.pdf", PDF)
    document = ContractDocument.objects.get()
    url = f"/contracts/documents/{document.pk}/"
    for user in (desk, analyst):
        client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Disposition"].startswith("attachment")
        assert response["X-Content-Type-Options"] == "nosniff"
    for user in (member_a, ministry):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(desk)
    assert client.get("/contracts/documents/999999/").status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_a_document_whose_file_is_lost_answers_404_and_is_logged(login, desk, contract, caplog):
    upload(login(desk), contract, "Vertrag.pdf", PDF)
    document = ContractDocument.objects.get()
    document.file.storage.delete(document.file.name)
    client = login(desk)
    with caplog.at_level("ERROR", logger="rohstoff.core.documents"):
        response = client.get(f"/contracts/documents/{document.pk}/")
    assert response.status_code == 404
    assert document.file.name in caplog.text
