"""Materials: the reference list loaded by migration, element content from the formula, the
catalogue pages and the read-only API."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from rohstoff.core.chemistry import (
    LCE_PER_LITHIUM,
    FormulaError,
    atom_counts,
    element_content,
    mass_fraction,
    parse_composition,
)
from rohstoff.core.models import Material
from rohstoff.core.reference import reference_materials

TOLERANCE = Decimal("5e-5")


def computed(row) -> Decimal:
    return element_content(
        formula=row["formula"], composition=row["composition"], element=row["element"]
    )


# ---- chemistry -------------------------------------------------------------------------------


@pytest.mark.parametrize("row", reference_materials(), ids=lambda row: row["code"])
def test_element_content_matches_the_independently_computed_column(row):
    assert abs(computed(row) - Decimal(row["reference_element_content"])) <= TOLERANCE


@pytest.mark.parametrize(
    ("formula", "element", "expected"),
    [
        ("Nd2O3", "Nd", "0.85735"),
        ("Tb4O7", "Tb", "0.85022"),
        ("Dy2O3", "Dy", "0.87132"),
        ("LiOH.H2O", "Li", "0.16539"),
    ],
)
def test_known_element_contents(formula, element, expected):
    assert abs(mass_fraction(formula, element) - Decimal(expected)) <= TOLERANCE


def test_lithium_carbonate_equivalent():
    assert LCE_PER_LITHIUM.quantize(Decimal("0.0001")) == Decimal("5.3233")
    assert abs(mass_fraction("LiOH.H2O", "Li") * LCE_PER_LITHIUM - Decimal("0.8804")) <= TOLERANCE
    assert abs(mass_fraction("Li", "Li") * LCE_PER_LITHIUM - Decimal("5.3233")) <= TOLERANCE


def test_formulas_with_groups_and_hydrates():
    assert atom_counts("(NH4)10(H2W12O42).4H2O") == {"N": 10, "H": 50, "W": 12, "O": 46}
    assert atom_counts("CoSO4·7H2O") == {"Co": 1, "S": 1, "O": 11, "H": 14}


def test_compositions_of_mixtures_and_concentrates():
    assert parse_composition("0.75 Nd2O3 + 0.25 Pr6O11") == [
        (Decimal("0.75"), "Nd2O3"),
        (Decimal("0.25"), "Pr6O11"),
    ]
    assert parse_composition("6% Li2O") == [(Decimal("0.06"), "Li2O")]
    assert element_content(formula="", composition="6% Li2O", element="Li") == Decimal(
        "0.06"
    ) * mass_fraction("Li2O", "Li")


@pytest.mark.parametrize(
    "bad",
    [
        dict(formula="Xx2O3", composition="", element="Xx"),
        dict(formula="Nd2O3)", composition="", element="Nd"),
        dict(formula="", composition="0.8 Nd2O3 + 0.3 Pr6O11", element="NdPr"),
        dict(formula="", composition="", element="Li"),
        dict(formula="Li2CO3", composition="6% Li2O", element="Li"),
        dict(formula="(Li2CO3", composition="", element="Li"),
    ],
)
def test_malformed_chemistry_is_an_error_never_a_silent_zero(bad):
    with pytest.raises(FormulaError):
        element_content(**bad)


# ---- the reference list in the database ------------------------------------------------------


def test_the_migration_loads_every_reference_material_in_both_languages(db):
    rows = reference_materials()
    assert Material.objects.count() == len(rows) >= 25
    for row in rows:
        material = Material.objects.get(code=row["code"])
        assert (material.name_en, material.name_de) == (row["name_en"], row["name_de"])
        assert abs(material.element_content - computed(row)) < Decimal("1e-9")
        assert (material.family, material.crma, material.element) == (
            row["family"],
            row["crma"],
            row["element"],
        )


def test_a_material_is_named_in_the_readers_language(db):
    material = Material.objects.get(code="lithium-hydroxide")
    with translation.override("de"):
        assert material.name == "Lithiumhydroxid-Monohydrat"
    with translation.override("en"):
        assert material.name == "Lithium hydroxide monohydrate"
    assert material.lce_factor.quantize(Decimal("0.0001")) == Decimal("0.8804")
    assert Material.objects.get(code="neodymium-oxide").lce_factor is None


# ---- catalogue pages -------------------------------------------------------------------------


def codes_on(response) -> set[str]:
    return {m.code for m in response.context["materials"]}


def test_catalogue_lists_every_material(login, member_a):
    response = login(member_a).get("/materials/")
    assert response.status_code == 200
    assert codes_on(response) == set(Material.objects.values_list("code", flat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=Lithiumhydroxid", {"lithium-hydroxide"}),  # German name
        ("q=hydroxide", {"lithium-hydroxide"}),  # English name
        ("q=Tb4O7", {"terbium-oxide"}),  # formula
        ("q=tb", {"terbium-oxide"}),  # element symbol, any case
        (
            "family=magnet-ree",
            {"ndpr-oxide", "neodymium-oxide", "dysprosium-oxide", "terbium-oxide"},
        ),
        ("crma=critical", {"antimony"}),
        ("family=lithium&q=spodumene", {"spodumene-sc6"}),
        ("q=unobtainium", set()),
    ],
)
def test_catalogue_search_and_filters(login, member_a, query, expected):
    response = login(member_a).get(f"/materials/?{query}")
    assert codes_on(response) == expected
    if not expected:
        assert "Kein Material" in response.content.decode()  # the empty state says so


def test_catalogue_query_count_does_not_grow_with_the_list(login, member_a):
    client = login(member_a)
    client.get("/materials/")  # warm up the session
    with CaptureQueriesContext(connection) as queries:
        client.get("/materials/")
    assert len(queries) <= 6


def test_material_detail(login, member_a):
    response = login(member_a).get("/materials/lithium-hydroxide/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Lithiumhydroxid-Monohydrat" in page and "LiOH.H2O" in page
    assert "0,16539" in page and "0,8804" in page  # German number format
    assert login(member_a).get("/materials/unobtainium/").status_code == 404


# ---- the API ---------------------------------------------------------------------------------


def test_api_lists_the_reference_list_with_decimal_strings(api, member_a):
    response = api(member_a).get("/api/v1/materials/")
    assert response.status_code == 200
    data = {m["code"]: m for m in response.json()}
    assert len(data) == Material.objects.count()
    lioh = data["lithium-hydroxide"]
    assert lioh["name_de"] == "Lithiumhydroxid-Monohydrat" and lioh["formula"] == "LiOH.H2O"
    assert isinstance(lioh["element_content"], str) and Decimal(lioh["element_content"]).quantize(
        Decimal("0.00001")
    ) == Decimal("0.16539")
    assert lioh["lce_factor"] == "0.8804"
    assert data["neodymium-oxide"]["lce_factor"] is None


def test_api_material_detail_and_missing(api, ministry):
    client = api(ministry)
    assert client.get("/api/v1/materials/terbium-oxide/").json()["element"] == "Tb"
    assert client.get("/api/v1/materials/unobtainium/").status_code == 404
    assert api(None).get("/api/v1/materials/").status_code == 401


def test_api_materials_are_read_only(api, desk):
    client = api(desk)
    assert client.post("/api/v1/materials/", {"code": "x"}).status_code == 405
    assert client.delete("/api/v1/materials/gallium/").status_code == 405
    assert Material.objects.filter(code="gallium").exists()
