"""Reading a reference edition's production file, whatever its layout (docs/supply-security.md,
"Reference data"). ``data/editions.toml`` describes each edition: file, layout (``long`` or
``wide``), which column holds what, and a regular expression over the header of each value that
gives its year, unit and estimate marker. A new edition needs an entry there and a mapping file,
no code."""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from .models import RowKind, ValueStatus

DATA_DIR = Path(__file__).resolve().parent / "data"
EDITIONS_FILE = DATA_DIR / "editions.toml"
UNITS = ("t", "kt", "kg", "mmt", "mct", "kct", "mcm")
MAX_ROWS = 200_000


class ReferenceError(ValueError):
    pass


@dataclass(frozen=True)
class EditionSpec:
    code: str
    title: str
    publisher: str
    published: datetime.date
    url: str
    citation: str
    licence: str
    file: Path
    mapping: Path
    layout: str
    value_header: re.Pattern
    columns: dict
    units: dict = field(default_factory=dict)
    sha256: str = ""

    def checksum(self) -> str:
        digest = hashlib.sha256()
        for path in (self.file, self.mapping, EDITIONS_FILE):
            digest.update(path.read_bytes())
        return digest.hexdigest()


def editions(path: Path = EDITIONS_FILE, data_dir: Path | None = None) -> list[EditionSpec]:
    data_dir = data_dir or path.parent
    with path.open("rb") as fh:
        config = tomllib.load(fh)
    specs = []
    for entry in config.get("edition", []):
        layout = entry.get("layout")
        if layout not in ("long", "wide"):
            raise ReferenceError(f"{entry.get('code')}: layout must be 'long' or 'wide'")
        columns = entry["columns"]
        needed = {"commodity", "country", "type"} | (
            {"field", "value"} if layout == "long" else set()
        )
        if missing := needed - set(columns):
            raise ReferenceError(f"{entry['code']}: columns {sorted(missing)} missing")
        specs.append(
            EditionSpec(
                code=entry["code"],
                title=entry["title"],
                publisher=entry["publisher"],
                published=entry["published"],
                url=entry["url"],
                citation=entry["citation"],
                licence=entry.get("licence", ""),
                file=data_dir / entry["file"],
                mapping=data_dir / entry["mapping"],
                layout=layout,
                value_header=re.compile(entry["value_header"]),
                columns=columns,
                units={k.lower(): v for k, v in entry.get("units", {}).items()},
                sha256=entry.get("sha256", ""),
            )
        )
    return specs


@dataclass(frozen=True)
class Figure:
    commodity: str
    production_type: str
    country: str
    country_code: str
    kind: str
    year: int
    value: Decimal | None
    unit: str
    status: str
    estimate: bool
    raw_value: str


def clean_text(text: str) -> str:
    """Non-breaking spaces and runs of blanks as one space, trimmed."""
    return " ".join((text or "").replace("\u00a0", " ").split())


_FOOTNOTE = re.compile(r"(?<=[A-Za-z)])\d+$")


# USGS names that django-countries does not know by that name.
COUNTRY_ALIASES = {
    "burma": "MM",
    "congo (kinshasa)": "CD",
    "congo (brazzaville)": "CG",
    "côte d’ivoire": "CI",
    "cote d'ivoire": "CI",
    "korea, north": "KP",
    "korea, republic of": "KR",
    "united states": "US",
    "russia": "RU",
}


def country_code(name: str) -> str:
    """ISO 3166 alpha-2 code of a USGS country name, '' when it names no single country
    (``United States and Canada``). A stage note after a comma or in brackets is ignored."""
    from django_countries import countries

    for candidate in (name, name.split(" (")[0], name.split(", concentrate")[0]):
        key = candidate.strip().lower()
        code = COUNTRY_ALIASES.get(key) or countries.by_name(candidate.strip())
        if code:
            return code
    return ""


def clean_country(text: str) -> tuple[str, str, str, bool]:
    """(name, ISO code, kind of row, estimate marker) of a USGS country cell: footnote digits
    (``United States1``) go, and so does the estimate marker ``e`` glued to a name
    (``Russiae``, ``Other countriese``) when the name without it is a country."""
    name = clean_text(text)
    lower = name.lower()
    if lower.startswith("world total") or lower.startswith("world "):
        return name, "", RowKind.WORLD, False
    if lower.startswith("other countries"):
        return "Other countries", "", RowKind.OTHER, lower.rstrip("0123456789").endswith("e")
    name = _FOOTNOTE.sub("", name).strip()
    code = country_code(name)
    if not code and name.endswith("e") and (stripped := country_code(name[:-1])):
        return name[:-1], stripped, RowKind.COUNTRY, True
    return name, code, RowKind.COUNTRY, False


def parse_value(text: str) -> tuple[Decimal | None, str, bool]:
    """(value, status, estimate) of a cell: ``W`` is withheld, an ``e`` prefix an estimate,
    thousands commas dropped; any other text (NA, XX, notes) is not available."""
    raw = clean_text(text)
    if raw.upper() == "W":
        return None, ValueStatus.WITHHELD, False
    estimate = False
    number = raw
    if number[:1] in ("e", "E") and number[1:2].isdigit():
        estimate, number = True, number[1:]
    number = number.replace(",", "")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return None, ValueStatus.NOT_AVAILABLE, False
    if not value.is_finite() or value < 0:
        return None, ValueStatus.NOT_AVAILABLE, False
    return value, ValueStatus.NUMBER, estimate


def _open_rows(path: Path):
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        for count, row in enumerate(reader, start=1):
            if count > MAX_ROWS:
                raise ReferenceError(f"{path.name}: more than {MAX_ROWS} rows")
            yield reader.fieldnames, row


def read_figures(spec: EditionSpec) -> list[Figure]:
    """Every production figure of the edition's file."""
    cols = spec.columns
    figures = []

    def add(row, header, raw):
        match = spec.value_header.match(clean_text(header))
        if not match or not clean_text(raw):
            return
        groups = match.groupdict()
        unit = groups.get("unit") or spec.units.get(
            clean_text(row.get(cols.get("unit", ""), "")).lower(), ""
        )
        unit = unit.lower()
        if unit not in UNITS:
            raise ReferenceError(f"{spec.code}: unknown unit in {header!r}")
        value, status, estimate = parse_value(raw)
        country, code, kind, marked = clean_country(row[cols["country"]])
        figures.append(
            Figure(
                commodity=clean_text(row[cols["commodity"]]),
                production_type=clean_text(row[cols["type"]]),
                country=country,
                country_code=code,
                kind=kind,
                year=int(groups["year"]),
                value=value,
                unit=unit,
                status=status,
                estimate=estimate or marked or bool(groups.get("estimate")),
                raw_value=clean_text(raw)[:80],
            )
        )

    for fieldnames, row in _open_rows(spec.file):
        if spec.layout == "long":
            add(row, row[cols["field"]], row[cols["value"]])
        else:
            for header in fieldnames:
                add(row, header, row.get(header) or "")
    return figures


@dataclass(frozen=True)
class SeriesSpec:
    material: str
    commodity: str
    production_type: str
    stage: str


def read_mapping(spec: EditionSpec) -> list[SeriesSpec]:
    out = []
    for _fields, row in _open_rows(spec.mapping):
        stage = clean_text(row["stage"]).lower()
        if stage not in ("mining", "refining"):
            raise ReferenceError(f"{spec.mapping.name}: stage of {row['material']} is {stage!r}")
        out.append(
            SeriesSpec(
                material=clean_text(row["material"]),
                commodity=clean_text(row["commodity"]),
                production_type=clean_text(row["production_type"]),
                stage=stage,
            )
        )
    return out
