"""The market's pages and API as a supplier sees them: never a firm's demand (a hidden cell of one
firm stays hidden everywhere: pages, exports, API, mail), never another supplier's offer (404);
the offer file refused whole with row errors; pinned query counts."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from .conftest import Q1, Q2, SECRET_T, close, disclosed_cell

pytestmark = pytest.mark.django_db

# The hidden cell's demand however it might be written, and the firm behind it.
SECRETS = (str(SECRET_T), "4321", "4.321", "4,321", "4 321", "4\u202f321")


def assert_no_secret(text: str, firm_name: str):
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} leaked"
    assert firm_name not in text
    assert "contributor" not in text.lower()
    assert "Mitwirkende" not in text and "Firmen" not in text


def xlsx_text(data: bytes) -> str:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(data)).active
    return " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)


@pytest.fixture
def matched(call, supplier, supplier_b, make_offer, fx, li2co3):
    from market import runs

    make_offer(supplier, call)
    make_offer(
        supplier_b,
        call,
        material=li2co3,
        origin_country="FI",
        quarters={Q1: Decimal("5000")},
    )
    close(call)
    runs.match_run(call_id=call.pk)
    return call


@pytest.mark.parametrize("language", ["de", "en"])
def test_supplier_never_learns_a_firms_demand(
    matched, supplier, firm_a, client, api, language, settings
):
    from rohstoff.core.services import user_set_language

    user_set_language(user=supplier, language=language)
    client.force_login(supplier)
    call = matched
    pages = [
        reverse("market:calls"),
        reverse("market:call", args=[call.pk]),
        reverse("market:offers", args=[call.pk]),
        reverse("market:my_result", args=[call.pk]),
        reverse("market:call_export", args=[call.pk, "csv"]),
        "/",
    ]
    for url in pages:
        response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
        assert response.status_code == 200, url
        assert_no_secret(response.content.decode("utf-8-sig"), firm_a.name)
    sheet = client.get(reverse("market:call", args=[call.pk])).content.decode()
    assert "600" in sheet and "nicht offengelegt" in sheet or "not disclosed" in sheet
    xlsx = client.get(reverse("market:call_export", args=[call.pk, "xlsx"]))
    assert_no_secret(xlsx_text(xlsx.content), firm_a.name)
    # The desk's dashboard is not a supplier's.
    assert client.get(reverse("market:dashboard", args=[call.pk])).status_code == 403
    assert client.get(reverse("market:review", args=[call.pk])).status_code == 403

    rest = api(supplier)
    for url in (
        "/api/v1/market/calls/",
        f"/api/v1/market/calls/{call.pk}/",
        "/api/v1/market/offers/",
        "/api/v1/market/matches/",
    ):
        response = rest.get(url)
        assert response.status_code == 200, url
        assert_no_secret(response.content.decode(), firm_a.name)
    cells = rest.get(f"/api/v1/market/calls/{call.pk}/").json()["cells"]
    hidden = [c for c in cells if not c["disclosed"]]
    assert hidden and all(c["demand_t"] is None for c in hidden)


def test_the_opening_mail_carries_no_figure(
    world, desk, supplier, firm_a, django_capture_on_commit_callbacks
):
    import datetime

    from django.utils import timezone

    from market import services

    with django_capture_on_commit_callbacks(execute=True):
        services.call_open(
            actor=desk,
            round=world,
            title="Aufruf",
            deadline=timezone.now() + datetime.timedelta(days=3),
            terms="t",
        )
    sent = [m for m in mail.outbox if supplier.email in m.to]
    assert len(sent) == 1
    assert_no_secret(sent[0].subject + sent[0].body, firm_a.name)
    assert "/market/" in sent[0].body


def test_the_ministry_sees_disclosed_cells_only(matched, ministry, client, firm_a):
    client.force_login(ministry)
    page = client.get(reverse("market:dashboard", args=[matched.pk]))
    assert page.status_code == 200
    assert_no_secret(page.content.decode(), firm_a.name)
    body = page.content.decode()
    assert "5.000" not in body and "5,000" not in body  # offered into the hidden cell
    export = client.get(reverse("market:dashboard_export", args=[matched.pk, "csv"]))
    assert_no_secret(export.content.decode("utf-8-sig"), firm_a.name)
    assert "5000" not in export.content.decode("utf-8-sig")
    from market.selectors import ministry_sections

    sections = ministry_sections(user=ministry)
    assert sections and all(c.disclosed for c in sections[0]["shown"])
    # The ministry's home carries the same section, with the same disclosed cells only.
    home = client.get("/").content.decode()
    assert f'id="h-volumes-{matched.pk}"' in home
    section = home.split(f'id="h-volumes-{matched.pk}"', 1)[1].split("</section>", 1)[0]
    assert_no_secret(section, firm_a.name)
    assert "5.000" not in section and "5,000" not in section


def test_the_desk_sees_every_cell(matched, desk, client):
    client.force_login(desk)
    body = client.get(reverse("market:dashboard", args=[matched.pk])).content.decode()
    assert "4.321,98" in body or "4,321.98" in body


def test_a_supplier_cannot_see_another_suppliers_offer(
    call, supplier, supplier_b, make_offer, client, api
):
    other = make_offer(supplier_b, call)
    client.force_login(supplier)
    for name in ("market:offer", "market:offer_edit"):
        assert client.get(reverse(name, args=[other.pk])).status_code == 404
    assert client.post(reverse("market:offer_withdraw", args=[other.pk])).status_code == 404
    listing = client.get(reverse("market:offers", args=[call.pk])).content.decode()
    assert f"#{other.pk}<" not in listing
    rest = api(supplier)
    assert rest.get(f"/api/v1/market/offers/{other.pk}/").status_code == 404
    assert rest.post(f"/api/v1/market/offers/{other.pk}/withdraw/").status_code == 404
    assert rest.get("/api/v1/market/offers/").json()["count"] == 0


def test_offer_through_the_api_and_409_after_the_deadline(call, supplier, api):
    rest = api(supplier)
    body = {
        "call": call.pk,
        "material": "lithium-hydroxide",
        "quarters": [{"period": "2027-Q1", "volume_t": "100"}],
        "pricing_type": "fixed",
        "fixed_price": "15000",
        "currency": "EUR",
        "incoterm": "CIF",
        "incoterm_place": "Rotterdam",
        "origin_country": "CL",
        "origin_stage": "mined",
    }
    created = rest.post("/api/v1/market/offers/", body, format="json")
    assert created.status_code == 201, created.content
    offer_id = created.json()["id"]
    bad = rest.post(
        "/api/v1/market/offers/",
        {**body, "quarters": [{"period": "2040-Q1", "volume_t": "1"}]},
        format="json",
    )
    assert bad.status_code == 400
    close(call)
    body.pop("call")
    late = rest.put(f"/api/v1/market/offers/{offer_id}/", body, format="json")
    assert late.status_code == 409
    assert rest.post(f"/api/v1/market/offers/{offer_id}/withdraw/").status_code == 409


HEADER = "material,volumes,pricing,price,currency,incoterm,place,origin,stage\n"


def test_offer_file_saved_whole(call, supplier, client):
    from market.models import Offer

    client.force_login(supplier)
    data = HEADER + (
        "lithium-hydroxide,2027-Q1=100; 2027-Q2=50,fixed,15000,EUR,DAP,Hamburg,CL,refined\n"
        "lithium-carbonate,2027-Q1=20,fixed,12000,USD,CIF,Rotterdam,AU,mined\n"
    )
    upload = io.BytesIO(data.encode())
    upload.name = "offers.csv"
    response = client.post(reverse("market:offer_upload", args=[call.pk]), {"file": upload})
    assert response.status_code == 302
    assert Offer.objects.filter(supplier=supplier.organisation).count() == 2


def test_offer_file_refused_whole_with_row_errors(call, supplier, client):
    from market.models import Offer

    client.force_login(supplier)
    data = HEADER + (
        "lithium-hydroxide,2027-Q1=100,fixed,15000,EUR,DAP,Hamburg,CL,refined\n"
        "unobtainium,2027-Q1=5,fixed,1,EUR,DAP,Hamburg,CL,mined\n"
        "lithium-hydroxide,Q1 hundred,fixed,15000,EUR,DAP,Hamburg,CL,refined\n"
        "lithium-hydroxide,2027-Q1=10,index,,EUR,DAP,Hamburg,CL,smelted\n"
    )
    upload = io.BytesIO(data.encode())
    upload.name = "offers.csv"
    response = client.post(reverse("market:offer_upload", args=[call.pk]), {"file": upload})
    assert response.status_code == 200
    body = response.content.decode()
    for row in ("3", "4", "5"):
        assert f"Row {row}," in body or f"Zeile {row}," in body
    assert "Row 2," not in body and "Zeile 2," not in body
    assert not Offer.objects.exists()


def _offers(n, call, make_offer, make_supplier):
    for i in range(n):
        user = make_supplier(f"S{i}x{n}", "CL")
        call.addressees.add(user.organisation)  # a supplier linked after the call opened
        make_offer(user, call)


@pytest.mark.parametrize("n", [1, 4])
def test_query_counts(
    call, supplier, desk, make_offer, make_supplier, client, fx, n, django_assert_num_queries
):
    from market import runs

    _offers(n, call, make_offer, make_supplier)
    make_offer(supplier, call)
    client.force_login(supplier)
    with django_assert_num_queries(8):
        assert client.get(reverse("market:call", args=[call.pk])).status_code == 200
    with django_assert_num_queries(6):
        assert client.get(reverse("market:offers", args=[call.pk])).status_code == 200
    close(call)
    runs.match_run(call_id=call.pk)
    client.force_login(desk)
    with django_assert_num_queries(7):
        assert client.get(reverse("market:review", args=[call.pk])).status_code == 200


def test_the_call_form_names_each_supplier_with_its_country(login, desk, supplier, supplier_b):
    page = login(desk).get("/market/new/").content.decode()
    assert "Andes (Chile)" in page and "Nordic (Finnland)" in page


@pytest.mark.parametrize("reader", ["supplier", "desk"])
def test_the_sheet_names_each_material_once_above_its_quarters(
    call, supplier, desk, lioh, li2co3, client, api, reader
):
    """Each material heads its own group of quarters on the call's page, in the same order as in
    the API, even when two materials share a place in the catalogue (ordered by quarter alone,
    their cells interleaved and a name would head several groups)."""
    import re

    from rohstoff.core.models import Material

    Material.objects.filter(pk__in=[lioh.pk, li2co3.pk]).update(sort_order=7)
    # Both materials in both quarters: ordered by quarter within one sort order, the cells
    # would always interleave.
    disclosed_cell(call.position_set, li2co3, Q2, Decimal("900"))
    user = {"supplier": supplier, "desk": desk}[reader]
    client.force_login(user)
    page = client.get(reverse("market:call", args=[call.pk])).content.decode()
    groups = re.findall(r'<th scope="rowgroup" colspan="2">([^<]+)</th>', page)
    assert groups == [li2co3.name, lioh.name]  # the catalogue's order: sort order, then code
    lioh_group = page.split(f">{lioh.name}</th>")[1]
    assert lioh_group.index("2027-Q1") < lioh_group.index("2027-Q2")
    cells = api(user).get(f"/api/v1/market/calls/{call.pk}/").json()["cells"]
    assert [c["material"] for c in cells] == ["lithium-carbonate"] * 2 + ["lithium-hydroxide"] * 2
