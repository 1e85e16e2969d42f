"""Reads of supply security (docs/supply-security.md). Every function that shows contracted
tonnes takes the acting user: members and the ministry get shares and indices only (tonnes
None), since tonnes per material and quarter are figures of position cells. A fixed number of queries, whatever the data size; no demand line is
read anywhere here."""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.cache import cache
from django.db.models import Q, Sum
from django.utils.translation import get_language

from agency.models import ProjectStage
from contracts.models import CounterpartyKind
from contracts.offtakes import selectors as offtake_selectors
from industry.models import DemandRound
from industry.policy import rounds_visible_to
from rohstoff.core.models import CrmaStatus, Material, User
from rohstoff.core.periods import Quarter

from . import policy
from .concentration import (
    BENCHMARK_EXTRACTED,
    BENCHMARK_PROCESSED,
    BENCHMARK_RECYCLED,
    BENCHMARK_THIRD_COUNTRY,
    EU_MEMBERS,
    Concentration,
    Share,
    concentration,
    percent,
)
from .models import (
    MaterialSeries,
    ProductionFigure,
    ReferenceEdition,
    RowKind,
    ValueStatus,
)

WINDOW_QUARTERS = 5  # the current quarter and the next four


def current_edition() -> ReferenceEdition | None:
    """The newest loaded edition (by publication date): the one every figure comes from."""
    return ReferenceEdition.objects.order_by("-published_on", "-pk").first()


def quarter_of(day: datetime.date) -> Quarter:
    return Quarter(day.year, (day.month - 1) // 3 + 1)


# ---- world production -------------------------------------------------------------------------


@dataclass(frozen=True)
class LeftOut:
    name: str  # the reader's name of the country where USGS's name has an ISO code
    reason: str  # ValueStatus.WITHHELD or NOT_AVAILABLE
    country: str = ""  # ISO code, '' for a grouped or unknown entry


@dataclass
class WorldConcentration:
    """World production shares of one material's series, in the latest year with figures."""

    material: Material
    series: MaterialSeries
    year: int | None = None
    unit: str = ""
    concentration: Concentration | None = None
    estimate: bool = False  # some figure used is a USGS estimate
    estimated: frozenset = frozenset()  # keys of the shares that are estimates
    left_out: list[LeftOut] = field(default_factory=list)
    world_total: Decimal | None = None  # USGS's own (rounded) world total, for comparison

    @property
    def withheld(self) -> list[LeftOut]:
        return [x for x in self.left_out if x.reason == ValueStatus.WITHHELD]

    @property
    def has_data(self) -> bool:
        return bool(self.concentration and self.concentration.shares)


def world_concentrations(
    *, edition: ReferenceEdition | None, materials: list[Material] | None = None
) -> dict[int, WorldConcentration]:
    """World shares and HHI per material (by material id) from ``edition``: for each mapped series
    the latest year in which some named country has a figure; shares of the sum of the named
    countries; world totals and 'other countries' rows are not added; withheld (W) and missing
    (NA) figures are left out and listed. Two queries."""
    if edition is None:
        return {}
    series_qs = MaterialSeries.objects.filter(edition=edition).select_related("material")
    if materials is not None:
        series_qs = series_qs.filter(material__in=materials)
    series = list(series_qs)
    if not series:
        return {}
    computed = _world_by_series(edition, {(s.commodity, s.production_type) for s in series})
    out = {}
    for s in series:
        year, unit, conc, estimated, left_out, world_total = computed.get(
            (s.commodity, s.production_type), (None, "", None, frozenset(), [], None)
        )
        out[s.material_id] = WorldConcentration(
            material=s.material,
            series=s,
            year=year,
            unit=unit,
            concentration=conc,
            estimate=bool(estimated),
            estimated=estimated,
            left_out=left_out,
            world_total=world_total,
        )
    return out


def _world_by_series(edition: ReferenceEdition, keys: set[tuple[str, str]]) -> dict:
    """``_world`` for each (commodity, production type) of ``edition``. An edition's figures
    change only when it is loaded again (new checksum or load time), so the result is kept in the
    cache under those and the language (left-out countries carry the reader's names): most
    requests of the ministry's dashboard read no production figure (docs/benchmarks.md). One
    query when nothing is kept."""
    cache_key = "supply:world:{}:{}:{}:{}:{}".format(
        edition.pk,
        edition.checksum,
        edition.loaded_at.isoformat() if edition.loaded_at else "",
        get_language() or "",
        hashlib.sha256(repr(sorted(keys)).encode()).hexdigest()[:16],
    )
    kept = cache.get(cache_key)
    if kept is not None:
        return kept
    condition = Q()
    for commodity, production_type in keys:
        condition |= Q(commodity=commodity, production_type=production_type)
    by_series: dict[tuple[str, str], list] = defaultdict(list)
    for figure in ProductionFigure.objects.filter(condition, edition=edition).only(
        "commodity",
        "production_type",
        "country",
        "country_code",
        "kind",
        "year",
        "value",
        "unit",
        "status",
        "estimate",
    ):
        by_series[(figure.commodity, figure.production_type)].append(figure)
    computed = {key: _world(figures) for key, figures in by_series.items()}
    cache.set(cache_key, computed, timeout=24 * 3600)
    return computed


def country_name(code: str, fallback: str = "") -> str:
    """The reader's name of a country from its ISO code; USGS's own name where there is none."""
    from django_countries import countries

    if code and len(code) == 2:
        name = countries.name(code)
        if name:
            return str(name)
    return fallback or code


def _world(figures: list[ProductionFigure]):
    numbered_years = [
        f.year for f in figures if f.kind == RowKind.COUNTRY and f.status == ValueStatus.NUMBER
    ]
    if not numbered_years:
        years = [f.year for f in figures]
        return (max(years) if years else None, "", None, frozenset(), [], None)
    year = max(numbered_years)
    rows = [f for f in figures if f.year == year]
    entries, estimated, left_out, world_total, unit = [], set(), [], None, ""
    for f in rows:
        if f.kind == RowKind.WORLD:
            world_total = f.value if world_total is None else world_total
            continue
        if f.kind == RowKind.OTHER:
            continue
        if f.status != ValueStatus.NUMBER:
            left_out.append(
                LeftOut(
                    name=country_name(f.country_code, f.country),
                    reason=f.status,
                    country=f.country_code,
                )
            )
            continue
        key = f.country_code or f.country
        entries.append((key, f.country, f.value))
        unit = f.unit
        if f.estimate:
            estimated.add(key)
    left_out.sort(key=lambda x: x.name)
    return year, unit, concentration(entries), frozenset(estimated), left_out, world_total


# ---- contracted supply by origin --------------------------------------------------------------


@dataclass
class ContractedConcentration:
    material: Material
    quarters: list[tuple[Quarter, Concentration]]  # each quarter of the window with supply
    window: Concentration  # the whole window

    @property
    def flagged(self) -> bool:
        """One third country holds more than 65 % of the window's or of one quarter's supply."""
        return self.window.over_third_country_limit or any(
            c.over_third_country_limit for _q, c in self.quarters
        )


def _hide_tonnes(conc: Concentration) -> Concentration:
    return dataclasses.replace(
        conc,
        total=None,
        shares=[dataclasses.replace(s, value=None) for s in conc.shares],
    )


def contracted_concentrations(
    *, user: User, as_of: datetime.date, materials: list[Material] | None = None
) -> dict[int, ContractedConcentration]:
    """Shares and HHI of the consortium's contracted supply (scheduled tonnes of signed and
    active offtake contracts) by origin country, per material: for each quarter from the one of
    ``as_of`` through the next four, and for the five together. One query."""
    first = quarter_of(as_of)
    window = range(first.index, first.index + WINDOW_QUARTERS)
    qs = offtake_selectors.scheduled_supply().filter(quarter__in=list(window))
    if materials is not None:
        qs = qs.filter(contract__material__in=materials)
    rows = (
        qs.values_list("contract__material_id", "origin", "quarter")
        .annotate(tonnes=Sum("quantity_t"))
        .order_by()
    )
    per_material: dict[int, list] = defaultdict(list)
    for material_id, origin, quarter, tonnes in rows:
        per_material[material_id].append((origin, quarter, tonnes))
    names = _country_names()
    wanted = {m.pk: m for m in materials} if materials is not None else Material.objects.in_bulk()
    show_tonnes = policy.reads_contracted_tonnes(user)
    out = {}
    for material_id, entries in per_material.items():
        if material_id not in wanted:
            continue
        quarters = []
        for q in window:
            part = [(o, names(o), t) for o, quarter, t in entries if quarter == q]
            if part:
                quarters.append((Quarter.from_index(q), concentration(part)))
        whole = concentration((o, names(o), t) for o, _q, t in entries)
        if not show_tonnes:
            quarters = [(q, _hide_tonnes(c)) for q, c in quarters]
            whole = _hide_tonnes(whole)
        out[material_id] = ContractedConcentration(
            material=wanted[material_id], quarters=quarters, window=whole
        )
    return out


def _country_names():
    from django_countries import countries

    names = dict(countries)  # built once per call, not once per name

    def name(code: str) -> str:
        return str(names.get(code, code))

    return name


# ---- CRMA 2030 tracker -------------------------------------------------------------------------


class SupplyStage:
    EXTRACTION = "extraction"
    PROCESSING = "processing"
    RECYCLING = "recycling"
    UNKNOWN = "unknown"


def supply_stage(*, counterparty_kind: str, project_stage: str | None) -> str:
    """Which stage a contract's volume stands for (docs/supply-security.md, "CRMA tracker"): a
    project at the recycling stage or a recycler is recycling; a mine (producer, or a project at
    any other stage) extraction; a refiner processing; a trader's volume has no known stage."""
    if project_stage == ProjectStage.RECYCLING:
        return SupplyStage.RECYCLING
    if project_stage:
        return SupplyStage.EXTRACTION
    return {
        CounterpartyKind.PRODUCER: SupplyStage.EXTRACTION,
        CounterpartyKind.REFINER: SupplyStage.PROCESSING,
        CounterpartyKind.RECYCLER: SupplyStage.RECYCLING,
    }.get(counterparty_kind, SupplyStage.UNKNOWN)


@dataclass(frozen=True)
class Benchmark:
    key: str  # extracted, processed, recycled, third_country
    share: Decimal | None  # percent, exact
    target: Decimal
    at_most: bool = False

    @property
    def met(self) -> bool | None:
        if self.share is None:
            return None
        return self.share <= self.target if self.at_most else self.share >= self.target


@dataclass
class CrmaFigures:
    """The consortium's contracted supply of one strategic material against the CRMA 2030
    benchmarks (the consortium's shares, not the EU's)."""

    material: Material
    total_t: Decimal | None  # None for readers without contracted tonnes
    extracted: Benchmark
    processed: Benchmark
    recycled: Benchmark
    third_country: Benchmark
    largest_third_country: Share | None

    @property
    def benchmarks(self) -> list[Benchmark]:
        return [self.extracted, self.processed, self.recycled, self.third_country]


@dataclass
class CrmaRound:
    round: DemandRound
    figures: dict[int, CrmaFigures]  # by material id


@dataclass
class CrmaTracker:
    materials: list[Material]
    current: dict[int, CrmaFigures]  # all live contracts, by material id
    rounds: list[CrmaRound]  # oldest first: the trend


def _crma(material, volumes, show_tonnes) -> CrmaFigures:
    """``volumes``: (stage, origin, tonnes) of one material's contracted supply."""
    total = sum((t for _s, _o, t in volumes), Decimal(0))

    def eu_share(stage):
        part = sum((t for s, o, t in volumes if s == stage and o in EU_MEMBERS), Decimal(0))
        return percent(part, total)

    conc = concentration((o, o, t) for _s, o, t in volumes)
    third = conc.largest_third_country
    third_share = third.percent if third else (Decimal(0) if total else None)
    if third and not show_tonnes:
        third = dataclasses.replace(third, value=None)
    return CrmaFigures(
        material=material,
        total_t=total if show_tonnes else None,
        extracted=Benchmark("extracted", eu_share(SupplyStage.EXTRACTION), BENCHMARK_EXTRACTED),
        processed=Benchmark("processed", eu_share(SupplyStage.PROCESSING), BENCHMARK_PROCESSED),
        recycled=Benchmark("recycled", eu_share(SupplyStage.RECYCLING), BENCHMARK_RECYCLED),
        third_country=Benchmark(
            "third_country", third_share, BENCHMARK_THIRD_COUNTRY, at_most=True
        ),
        largest_third_country=third,
    )


def crma_tracker(*, user: User, rounds_limit: int = 8) -> CrmaTracker:
    """Per strategic material: the shares of all live contracts' scheduled volumes (whole
    terms), and the same per round the contracts serve, for the trend (the ``rounds_limit``
    newest rounds with contracts, oldest first). Two queries."""
    materials = list(Material.objects.filter(crma=CrmaStatus.STRATEGIC))
    by_id = {m.pk: m for m in materials}
    rows = (
        offtake_selectors.scheduled_supply()
        .filter(contract__material__crma=CrmaStatus.STRATEGIC)
        .values_list(
            "contract__round_id",
            "contract__material_id",
            "contract__counterparty__kind",
            "contract__project__stage",
            "origin",
        )
        .annotate(tonnes=Sum("quantity_t"))
        .order_by()
    )
    current: dict[int, list] = defaultdict(list)
    per_round: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
    for round_id, material_id, kind, project_stage, origin, tonnes in rows:
        stage = supply_stage(counterparty_kind=kind, project_stage=project_stage)
        current[material_id].append((stage, origin, tonnes))
        per_round[round_id][material_id].append((stage, origin, tonnes))
    show = policy.reads_contracted_tonnes(user)
    rounds = list(
        rounds_visible_to(user)
        .filter(pk__in=list(per_round))
        .order_by("-closes_at", "-pk")[:rounds_limit]
    )
    rounds.reverse()
    return CrmaTracker(
        materials=materials,
        current={mid: _crma(by_id[mid], vols, show) for mid, vols in current.items()},
        rounds=[
            CrmaRound(
                round=r,
                figures={
                    mid: _crma(by_id[mid], vols, show) for mid, vols in per_round[r.pk].items()
                },
            )
            for r in rounds
        ],
    )
