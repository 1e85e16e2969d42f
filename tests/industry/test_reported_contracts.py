"""Contracts a member firm concluded itself and reports back (docs/reported-contracts.md): pages
and API for the firm's own, 404 for another firm's, 403 for every other role, bounded input that
changes nothing when refused, the audit trail, and the refresh of the positions it feeds."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from industry.models import ReportedContract, ReportedQuarter
from industry.reported import services
from rohstoff.core.models import AuditEvent, Material
from rohstoff.core.periods import Quarter

D = Decimal


@pytest.fixture
def lioh(materials):
    return materials["lithium-hydroxide"]


@pytest.fixture
def supplier(make_user, make_org):
    return make_user("supplier", org=make_org("Andes Litio SA", "supplier"))


def create(user, material, volumes=None, **values):
    return services.reported_contract_create(
        actor=user,
        material=material,
        origin_country=values.pop("origin_country", "CL"),
        unit=values.pop("unit", "t"),
        volumes=[("2027-Q1", D("100")), ("2027-Q2", D("120"))] if volumes is None else volumes,
        **values,
    )


def form_data(material, rows, **values) -> dict:
    data = {
        "material": material.pk,
        "origin_country": "CL",
        "unit": "t",
        "supplier_name": "",
        "note": "",
        **values,
    }
    for i, (period, quantity) in enumerate(rows, start=1):
        data[f"quarter_{i}"], data[f"quantity_{i}"] = period, quantity
    return data


# ---- the service -----------------------------------------------------------------------------


def test_create_converts_to_tonnes_and_records_an_audit_event(member_a, lioh):
    contract = create(
        member_a, lioh, unit="kg", volumes=[("2027-q3", D("2500")), ("", None)], note=" spot "
    )
    assert contract.organisation == member_a.organisation
    assert list(contract.quarters.values_list("quarter", "quantity", "quantity_t")) == [
        (Quarter(2027, 3).index, D("2500"), D("2.5"))
    ]
    assert contract.note == "spot"
    event = AuditEvent.objects.get(action="reported_contract.create")
    assert event.after["quarters"] == {"2027-Q3": "2.500000"}
    assert event.organisation_id == member_a.organisation_id


def test_supplier_name_links_the_desks_counterparty_of_that_name(member_a, lioh):
    from contracts.models import Counterparty

    cp = Counterparty.objects.create(name="Andes Litio SA", kind="producer", country="CL")
    assert create(member_a, lioh, supplier_name="andes litio sa").counterparty == cp
    assert create(member_a, lioh, supplier_name="Someone else").counterparty is None


@pytest.mark.parametrize(
    "volumes, words",
    [
        ([], "at least one quarter"),
        ([(str(Quarter(2027, 1) + i), D("1")) for i in range(13)], "At most 12 quarters"),
        ([("2027-Q1", D("1")), ("2027q1", D("2"))], "appears twice"),
        ([("2027-Q5", D("1"))], "write a quarter"),
        ([("2027-Q1", D("0"))], "greater than zero"),
        ([("2027-Q1", D("10000000.5"))], "per quarter"),
        ([("1850-Q1", D("1"))], "write a quarter"),
    ],
)
def test_bad_volumes_are_refused_and_change_nothing(member_a, lioh, volumes, words):
    with pytest.raises(Exception) as exc:
        create(member_a, lioh, volumes=volumes)
    assert words in str(exc.value)
    assert not ReportedContract.objects.exists() and not ReportedQuarter.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="reported_contract").exists()


def test_long_texts_and_unknown_country_are_refused(member_a, lioh):
    with pytest.raises(Exception) as exc:
        create(member_a, lioh, origin_country="XX", supplier_name="x" * 201, note="n" * 2001)
    assert set(exc.value.message_dict) == {"origin_country", "supplier_name", "note"}


def test_update_replaces_the_quarters_and_delete_removes_them(member_a, colleague_a, lioh):
    contract = create(member_a, lioh)
    services.reported_contract_update(
        contract=contract,
        actor=colleague_a,  # a colleague of the same firm may change it
        material=lioh,
        origin_country="AU",
        unit="t",
        volumes=[("2028-Q1", D("7"))],
    )
    contract.refresh_from_db()
    assert str(contract.origin_country) == "AU" and contract.reported_by == colleague_a
    assert list(contract.quarters.values_list("quantity_t", flat=True)) == [D("7")]
    services.reported_contract_delete(contract=contract, actor=member_a)
    assert not ReportedQuarter.objects.exists()
    assert AuditEvent.objects.filter(action="reported_contract.delete").count() == 1


def test_a_change_refreshes_the_positions_of_aggregated_rounds_of_the_material(
    member_a, lioh, make_round, django_capture_on_commit_callbacks, monkeypatch
):
    aggregated = make_round(state="closed")
    calls = []
    monkeypatch.setattr(
        "tradinghouse.services.positions_refresh",
        lambda *, round, actor=None, **kw: calls.append(round.pk),
    )
    with django_capture_on_commit_callbacks(execute=True):
        create(member_a, lioh)
    assert calls == [aggregated.pk]
    with django_capture_on_commit_callbacks(execute=True):
        create(member_a, Material.objects.get(code="gallium"))
    assert calls == [aggregated.pk]  # a material of no round: nothing to refresh


# ---- pages -----------------------------------------------------------------------------------


def test_member_reports_changes_and_deletes_on_the_pages(login, member_a, lioh):
    client = login(member_a)
    response = client.post(
        reverse("reported:create"),
        form_data(lioh, [("2027-Q1", "1.500,5")], supplier_name="Andes Litio"),
        HTTP_ACCEPT_LANGUAGE="de",
    )
    assert response.status_code == 302
    contract = ReportedContract.objects.get()
    assert contract.quarters.get().quantity_t == D("1500.5")
    page = client.get(reverse("reported:list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "1.500,5\xa0t" in page and "Andes Litio" in page and "Chile" in page
    en = client.get(reverse("reported:list"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1,500.5\xa0t" in en and "Own contracts" in en
    edit = reverse("reported:edit", args=[contract.pk])
    assert 'value="2027-Q1"' in client.get(edit).content.decode()
    assert client.post(edit, form_data(lioh, [("2027-Q2", "9")])).status_code == 302
    assert contract.quarters.get().quarter == Quarter(2027, 2).index
    assert client.post(reverse("reported:delete", args=[contract.pk])).status_code == 302
    assert not ReportedContract.objects.exists()


def test_form_errors_show_in_the_summary_and_change_nothing(login, member_a, lioh):
    html = (
        login(member_a)
        .post(
            reverse("reported:create"),
            form_data(lioh, [("2027-Q9", "5"), ("2027-Q2", "-1")]),
            HTTP_ACCEPT_LANGUAGE="en",
        )
        .content.decode()
    )
    assert "There is a problem" in html
    assert 'href="#id_quarter_1"' in html
    assert "write a quarter such as 2027-Q1" in html
    assert not ReportedContract.objects.exists()


def test_another_firms_contract_is_404_on_every_page(login, member_a, member_b, lioh):
    theirs = create(member_b, lioh)
    client = login(member_a)
    assert client.get(reverse("reported:edit", args=[theirs.pk])).status_code == 404
    assert (
        client.post(
            reverse("reported:edit", args=[theirs.pk]), form_data(lioh, [("2027-Q1", "1")])
        ).status_code
        == 404
    )
    assert client.post(reverse("reported:delete", args=[theirs.pk])).status_code == 404
    assert "2027-Q1" not in client.get(reverse("reported:list")).content.decode()
    assert ReportedQuarter.objects.filter(contract=theirs).count() == 2


@pytest.mark.parametrize("role", ["desk", "ministry", "analyst", "supplier"])
def test_other_roles_are_refused_with_403(request, login, member_a, lioh, role):
    mine = create(member_a, lioh)
    client = login(request.getfixturevalue(role))
    assert client.get(reverse("reported:list")).status_code == 403
    assert client.get(reverse("reported:create")).status_code == 403
    assert client.post(reverse("reported:delete", args=[mine.pk])).status_code == 403


def test_the_list_has_a_fixed_query_count(login, member_a, lioh, django_assert_num_queries):
    client = login(member_a)
    client.get(reverse("reported:list"))  # warm the session and caches
    create(member_a, lioh)
    with django_assert_num_queries(4) as one:
        client.get(reverse("reported:list"))
    for _ in range(5):
        create(member_a, lioh, volumes=[("2027-Q1", D("1")), ("2027-Q3", D("2"))])
    with django_assert_num_queries(len(one.captured_queries)):
        html = client.get(reverse("reported:list")).content.decode()
    assert len(re.findall(r'data-testid="reported-\d+"', html)) == 6


# ---- API -------------------------------------------------------------------------------------


URL = "/api/v1/reported-contracts/"


def test_api_crud_for_the_own_firm(api, member_a, lioh):
    client = api(member_a)
    body = {
        "material": "lithium-hydroxide",
        "origin_country": "AR",
        "supplier_name": "Litio del Norte",
        "unit": "kg",
        "quarters": [{"period": "2027-Q4", "quantity": "5000"}],
    }
    created = client.post(URL, body, format="json")
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["material"] == "lithium-hydroxide"
    assert data["quarters"] == [
        {"period": "2027-Q4", "quantity": "5000.000000", "quantity_t": "5.000000"}
    ]
    pk = data["id"]
    assert [c["id"] for c in client.get(URL).json()["results"]] == [pk]
    body["quarters"] = [{"period": "2028-Q1", "quantity": "3"}]
    body["unit"] = "t"
    changed = client.put(f"{URL}{pk}/", body, format="json")
    assert changed.status_code == 200 and changed.json()["quarters"][0]["quantity_t"] == "3.000000"
    assert client.delete(f"{URL}{pk}/").status_code == 204
    assert not ReportedContract.objects.exists()


def test_api_bounds_and_tenancy(api, member_a, member_b, desk, supplier, lioh):
    theirs = create(member_b, lioh)
    client = api(member_a)
    too_many = {
        "material": "lithium-hydroxide",
        "origin_country": "CL",
        "quarters": [{"period": f"2027-Q{i % 4 + 1}", "quantity": "1"} for i in range(13)],
    }
    assert client.post(URL, too_many, format="json").status_code == 400
    bad = {**too_many, "quarters": [{"period": "2027-Q1", "quantity": "1"}] * 2}
    response = client.post(URL, bad, format="json")
    assert response.status_code == 400 and "twice" in str(response.json())
    assert not ReportedContract.objects.filter(organisation=member_a.organisation).exists()
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    assert client.delete(f"{URL}{theirs.pk}/").status_code == 404
    for other in (desk, supplier):
        assert api(other).get(URL).status_code == 403
    assert api(None).get(URL).status_code == 401


def test_the_schema_documents_the_endpoints(client):
    schema = client.get("/api/schema/?format=json").json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/reported-contracts/"])
    assert {"get", "put", "delete"} <= set(schema["paths"]["/api/v1/reported-contracts/{id}/"])
