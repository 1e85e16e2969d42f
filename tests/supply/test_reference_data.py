"""Reading and loading the USGS reference data: W and estimates, world totals left out, another
edition's wide layout without code changes, idempotent loading (docs/supply-security.md)."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command

from rohstoff.supply import reading, selectors, services
from rohstoff.supply.models import MaterialSeries, ProductionFigure, ReferenceEdition

LONG_CSV = """SOURCE_FILE,COMMODITY,ROW,SOURCE,COUNTRY,TYPE,COL,FIELD,VALUE
f.csv,LITHIUM,1,MCS2024,United States\u00a0,"Mine production, lithium content",4,Prod_t_2022,W
f.csv,LITHIUM,1,MCS2024,United States\u00a0,"Mine production, lithium content",5,Prod_t_est_2023,W
f.csv,LITHIUM,2,MCS2024,Australia,"Mine production, lithium content",4,Prod_t_2022,"61,000"
f.csv,LITHIUM,2,MCS2024,Australia,"Mine production, lithium content",5,Prod_t_est_2023,"  60,000"
f.csv,LITHIUM,3,MCS2024,Chile1,"Mine production, lithium content",5,Prod_t_est_2023,e30000
f.csv,LITHIUM,4,MCS2024,Russiae,"Mine production, lithium content",5,Prod_t_est_2023,10000
f.csv,LITHIUM,5,MCS2024,Zimbabwe,"Mine production, lithium content",5,Prod_t_est_2023,NA
f.csv,LITHIUM,6,MCS2024,Other countriese,"Mine production, lithium content",5,Prod_t_est_2023,"5,000"
f.csv,LITHIUM,7,MCS2024,World total (rounded),"Mine production, lithium content",5,Prod_t_est_2023,"180,000"
f.csv,LITHIUM,7,MCS2024,World total (rounded),"Mine production, lithium content",6,Reserves_t,"28,000,000"
"""
MAPPING = 'material,commodity,production_type,stage\nlithium-hydroxide,LITHIUM,"Mine production, lithium content",mining\n'
TOML = """
[[edition]]
code = "{code}"
title = "Test edition"
publisher = "USGS"
published = {published}
url = "https://example.org/"
citation = "Test citation"
file = "{file}"
mapping = "mapping.csv"
layout = "{layout}"
value_header = '{header}'
[edition.columns]
commodity = "COMMODITY"
country = "COUNTRY"
type = "TYPE"
{columns}
[edition.units]
"metric tons" = "t"
"""
LONG_HEADER = r"(?i)^prod_(?:[a-z]+_)?(?P<unit>t|kt|kg)_(?P<estimate>est_)?(?P<year>\d{4})$"
WIDE_HEADER = r"(?i)^prod_(?P<estimate>est_)?\s*(?P<year>\d{4})$"
# MCS 2025's wide shape: one row per country and type, a column per year, the stray space kept.
WIDE_CSV = """SOURCE,COMMODITY,COUNTRY,TYPE,UNIT_MEAS,PROD_2023,PROD_EST_ 2024,RESERVES_2024
MCS2025,LITHIUM,Australia,"Mine production, lithium content",metric tons,"91,700","88,000","7,000,000"
MCS2025,LITHIUM,Chile,"Mine production, lithium content",metric tons,"41,400","44,000","9,300,000"
MCS2025,LITHIUM,United States,"Mine production, lithium content",metric tons,W,W,"1,800,000"
MCS2025,LITHIUM,World total (rounded),"Mine production, lithium content",metric tons,"204,000","240,000",
"""


def _edition(tmp_path: Path, *, code="TEST", layout="long", published="2024-01-31"):
    if layout == "long":
        (tmp_path / "data.csv").write_text(LONG_CSV, encoding="utf-8")
        columns = 'field = "FIELD"\nvalue = "VALUE"'
        header = LONG_HEADER
    else:
        (tmp_path / "data.csv").write_text(WIDE_CSV, encoding="utf-8")
        columns = 'unit = "UNIT_MEAS"'
        header = WIDE_HEADER
    (tmp_path / "mapping.csv").write_text(MAPPING, encoding="utf-8")
    toml = tmp_path / "editions.toml"
    toml.write_text(
        TOML.format(
            code=code,
            file="data.csv",
            layout=layout,
            header=header,
            columns=columns,
            published=published,
        ),
        encoding="utf-8",
    )
    return reading.editions(toml)[0]


def test_withheld_estimates_footnotes_and_aggregate_rows_are_read_as_documented(tmp_path):
    figures = reading.read_figures(_edition(tmp_path))
    by = {(f.country, f.year): f for f in figures}
    assert (
        by[("United States", 2023)].status == "withheld"
        and by[("United States", 2023)].value is None
    )
    assert by[("United States", 2023)].country_code == "US"
    assert by[("Australia", 2023)].value == Decimal(60000) and by[("Australia", 2023)].estimate
    assert not by[("Australia", 2022)].estimate
    assert by[("Chile", 2023)].value == Decimal(30000) and by[("Chile", 2023)].country_code == "CL"
    assert by[("Russia", 2023)].country_code == "RU" and by[("Russia", 2023)].estimate
    assert by[("Zimbabwe", 2023)].status == "na"
    assert by[("Other countries", 2023)].kind == "other"
    assert by[("World total (rounded)", 2023)].kind == "world"
    assert not any(f.raw_value == "28,000,000" for f in figures)  # reserves are not production


@pytest.mark.django_db
def test_world_shares_leave_out_totals_other_countries_and_w_and_flag_them(tmp_path, materials):
    services.reference_edition_load(spec=_edition(tmp_path))
    edition = ReferenceEdition.objects.get(code="TEST")
    lioh = materials["lithium-hydroxide"]
    world = selectors.world_concentrations(edition=edition, materials=[lioh])[lioh.pk]
    # 2023: Australia 60,000, Chile 30,000, Russia 10,000 = 100,000 (other countries, the
    # world total, W and NA left out): shares 60/30/10, HHI 4,600.
    assert world.year == 2023
    assert [(s.key, s.percent) for s in world.concentration.shares] == [
        ("AU", Decimal(60)),
        ("CL", Decimal(30)),
        ("RU", Decimal(10)),
    ]
    assert world.concentration.hhi_shown == Decimal(4600)
    assert {(x.country, x.reason) for x in world.left_out} == {("US", "withheld"), ("ZW", "na")}
    assert world.estimate and world.estimated == frozenset({"AU", "CL", "RU"})


@pytest.mark.django_db
def test_a_wide_edition_loads_through_the_mapping_alone(tmp_path, materials):
    spec = _edition(tmp_path, code="WIDE", layout="wide", published="2025-01-31")
    result = services.reference_edition_load(spec=spec)
    assert result.loaded and result.figures == 8
    edition = selectors.current_edition()
    assert edition.code == "WIDE"  # the newest edition is the one shown
    lioh = materials["lithium-hydroxide"]
    world = selectors.world_concentrations(edition=edition, materials=[lioh])[lioh.pk]
    assert world.year == 2024 and world.estimate
    assert [s.key for s in world.concentration.shares] == ["AU", "CL"]
    # 88,000 / 132,000 and 44,000 / 132,000: two thirds and one third.
    assert world.concentration.hhi_shown == Decimal(5556)
    assert world.withheld[0].country == "US"


@pytest.mark.django_db
def test_load_reference_data_is_idempotent(materials, capsys):
    call_command("load_reference_data")
    figures = ProductionFigure.objects.count()
    call_command("load_reference_data")
    out = capsys.readouterr().out
    assert "MCS2024: loaded" in out and "MCS2024: unchanged" in out
    assert ProductionFigure.objects.count() == figures > 2000
    assert MaterialSeries.objects.filter(edition__code="MCS2024").count() == 25


@pytest.mark.django_db
def test_the_shipped_edition_gives_the_known_lithium_and_rare_earth_figures(reference, materials):
    edition = selectors.current_edition()
    assert edition.code == "MCS2024" and "10.5066/P144BA54" in edition.citation
    lioh, ndpr = materials["lithium-hydroxide"], materials["ndpr-oxide"]
    world = selectors.world_concentrations(edition=edition, materials=[lioh, ndpr])
    li = world[lioh.pk]
    assert li.year == 2023 and li.withheld[0].country == "US"
    assert li.concentration.largest.key == "AU"
    assert world[ndpr.pk].concentration.largest.key == "CN"
    assert world[ndpr.pk].concentration.over_third_country_limit
