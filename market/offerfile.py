"""Offer files: a supplier's offers for one call as a CSV or XLSX file, one offer per row
(docs/offer-file.md). Read with the demand file's reader (industry/upload/reading.py: encodings,
separators, XLSX limits); checked row by row with the same rules as the form; refused whole with
every row's errors, or saved whole."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from contracts.models import Incoterm, PriceIndex, PriceUnit, PricingType, QuotationalPeriod
from industry.upload.reading import _read_csv, _read_xlsx, size_error
from industry.upload.validation import capped, file_error
from rohstoff.core.money import Currency
from rohstoff.core.periods import PeriodError, Quarter
from rohstoff.core.units import parse_decimal

from . import services
from .models import Call, OriginStage

MAX_ROWS = 200
REQUIRED = ["material", "volumes", "pricing", "currency", "incoterm", "place", "origin", "stage"]
OPTIONAL = ["minimum_t", "price", "index", "qp", "premium", "floor", "cap", "unit", "esg"]
COLUMNS = REQUIRED + OPTIONAL


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip()
    if not text:
        return None
    return parse_decimal(text, prefer_comma=False)


def _volumes(text: str) -> dict[int, Decimal]:
    """``2027-Q1=100; 2027-Q2=150`` -> {quarter index: tonnes}."""
    result: dict[int, Decimal] = {}
    for part in (text or "").replace(",", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        if "=" not in part:
            raise ValueError(part)
        quarter, tonnes = (s.strip() for s in part.split("=", 1))
        q = Quarter.parse(quarter).index
        if q in result:
            raise ValueError(part)
        result[q] = parse_decimal(tonnes, prefer_comma=False)
    return result


def _row(raw: dict, call: Call, materials: dict, indices: dict) -> tuple[dict, dict, list]:
    errors: list[tuple[str, str]] = []

    def choice(column, choices, *, lower=True):
        value = (raw.get(column) or "").strip()
        value = value.lower() if lower else value.upper()
        if value and value not in choices:
            errors.append(
                (
                    column,
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": value[:40], "choices": ", ".join(choices)},
                )
            )
            return None
        return value

    data: dict = {}
    for column in REQUIRED:
        if not (raw.get(column) or "").strip():
            errors.append((column, _("This column is required.")))
    material = materials.get((raw.get("material") or "").strip().lower())
    if raw.get("material", "").strip() and material is None:
        errors.append(("material", _("The call does not ask for this material.")))
    data["material"] = material
    quarters: dict = {}
    try:
        quarters = _volumes(raw.get("volumes", ""))
    except (ValueError, PeriodError):
        errors.append(("volumes", _("Write the volumes as 2027-Q1=100; 2027-Q2=150 (tonnes).")))
    for column, field in (
        ("minimum_t", "minimum_t"),
        ("price", "fixed_price"),
        ("premium", "premium"),
        ("floor", "floor"),
        ("cap", "cap"),
    ):
        try:
            data[field] = _decimal(raw.get(column, ""))
        except ValueError:
            errors.append((column, _("Enter a number, e.g. 1500.5.")))
    data["pricing_type"] = choice("pricing", PricingType.values)
    data["currency"] = choice("currency", Currency.values, lower=False)
    data["price_unit"] = choice("unit", PriceUnit.values) or PriceUnit.PER_T
    data["incoterm"] = choice("incoterm", Incoterm.values, lower=False)
    data["quotational_period"] = choice("qp", QuotationalPeriod.values, lower=False) or ""
    data["origin_stage"] = choice("stage", OriginStage.values)
    data["origin_country"] = (raw.get("origin") or "").strip().upper()[:2]
    data["incoterm_place"] = (raw.get("place") or "").strip()[:120]
    data["esg"] = (raw.get("esg") or "").strip()
    index_code = (raw.get("index") or "").strip()
    data["index"] = indices.get(index_code) if index_code else None
    if index_code and data["index"] is None:
        errors.append(("index", _("Unknown price index.")))
    return data, quarters, errors


def read_offer_file(data: bytes, *, call: Call) -> tuple[list[tuple[dict, dict]], list[dict]]:
    """The rows as (offer fields, quarters), or the errors (row numbers as the supplier sees them
    in the file: the header is row 1)."""
    if len(data) > settings.DEMAND_FILE_MAX_BYTES:
        return [], [size_error(len(data))]
    if not data.strip():
        return [], [file_error(_("The file is empty."))]
    frame, errors, _dialect = (
        _read_xlsx(data, prefer_comma=False) if data[:4] == b"PK\x03\x04" else _read_csv(data)
    )
    if errors:
        return [], errors
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        return [], [
            file_error(_("Columns missing: %(columns)s.") % {"columns": ", ".join(missing)})
        ]
    if len(frame) > MAX_ROWS:
        return [], [file_error(_("At most %(limit)s offers per file.") % {"limit": MAX_ROWS})]
    materials = {m.code: m for m in call.round.materials.all()}
    indices = {i.code: i for i in PriceIndex.objects.filter(material__in=materials.values())}
    rows, problems = [], []
    for number, raw in enumerate(frame.to_dict("records"), start=2):
        if not any(str(v).strip() for v in raw.values()):
            continue
        offer, quarters, row_errors = _row(raw, call, materials, indices)
        if not row_errors:
            try:
                services._check_offer(call, offer, quarters)
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    row_errors += [(field, m) for m in messages]
        problems += [{"row": number, "column": c, "message": m} for c, m in row_errors]
        rows.append((offer, quarters))
    if not rows and not problems:
        problems.append(file_error(_("The file has no offers.")))
    return rows, capped(problems)


@transaction.atomic
def offer_file_import(*, actor, call: Call, data: bytes) -> list:
    """Every offer of the file, or none: ValidationError with the row errors."""
    rows, errors = read_offer_file(data, call=call)
    if errors:
        raise ValidationError([_row_message(e) for e in errors])
    return [
        services.offer_save(actor=actor, call=call, quarters=quarters, **offer)
        for offer, quarters in rows
    ]


def _row_message(error: dict) -> str:
    if error.get("row"):
        return _("Row %(row)s, %(column)s: %(message)s") % {
            "row": error["row"],
            "column": error.get("column") or "–",
            "message": error["message"],
        }
    return str(error["message"])
