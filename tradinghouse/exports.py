"""CSV and XLSX exports of a round's positions, from what the reader may see (disclosure applied:
for members and the ministry a hidden cell exports with every quantity and count empty).

CSV follows the reader's language: German readers get ``;`` and a decimal comma (as German Excel
opens it), English readers ``,`` and a decimal point. Tonnes keep their 6 decimal places.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.utils.translation import gettext as _

from rohstoff.core.exports import safe_cell
from rohstoff.core.language import uses_decimal_comma

from .disclosure import CellView, ElementView
from .selectors import MemberRow

SHARE_PLACES = Decimal("0.0001")


def _columns(*, trustee: bool, member: bool, by_element: bool) -> list[tuple[str, str]]:
    if by_element:
        cols = [
            ("element", _("Element")),
            ("period", _("Quarter")),
            ("disclosed", _("Disclosed")),
            ("demand_t", _("Contained element (t)")),
            ("demand_lce_t", _("LCE (t)")),
        ]
    else:
        cols = [
            ("material", _("Material code")),
            ("material_name", _("Material")),
            ("period", _("Quarter")),
            ("disclosed", _("Disclosed")),
            ("demand_t", _("Demand (t)")),
            ("demand_firm_t", _("Firm (t)")),
            ("demand_indicative_t", _("Indicative (t)")),
            ("contributors", _("Contributing firms")),
            ("contracted_t", _("Contracted (t)")),
            ("allocated_t", _("Allocated (t)")),
            ("covered_directly_t", _("Covered by members directly (t)")),
            ("open_t", _("Open (t)")),
            ("coverage", _("Coverage")),
        ]
        if member:
            cols += [("own_t", _("Your firm's demand (t)")), ("share", _("Your share"))]
    if trustee:
        cols.append(("hidden_reason", _("Why hidden")))
    return cols


def _rows(items, *, by_element: bool, member: bool) -> list[dict]:
    rows = []
    for item in items:
        if by_element:
            item: ElementView
            row = {
                "element": item.element,
                "period": item.period,
                "disclosed": item.disclosed,
                "demand_t": item.demand_t,
                "demand_lce_t": item.demand_lce_t,
                "hidden_reason": item.get_hidden_reason_display(),
            }
        else:
            cell: CellView = item.cell if member else item
            row = {
                "material": cell.material.code,
                "material_name": cell.material.name,
                "period": cell.period,
                "disclosed": cell.disclosed,
                "demand_t": cell.demand_t,
                "demand_firm_t": cell.demand_firm_t,
                "demand_indicative_t": cell.demand_indicative_t,
                "contributors": cell.contributors,
                "contracted_t": cell.contracted_t,
                "covered_directly_t": cell.covered_directly_t,
                "allocated_t": cell.allocated_t,
                "open_t": cell.open_t,
                "coverage": cell.coverage,
                "hidden_reason": cell.get_hidden_reason_display(),
            }
            if member:
                item: MemberRow
                row["own_t"] = item.own_t
                row["share"] = None if item.share is None else item.share.quantize(SHARE_PLACES)
        rows.append(row)
    return rows


def _cell_value():
    """The function that gives one value as both files write it: numbers and None as they are,
    a yes/no in the reader's language, any other value as text neutralised (``safe_cell``).
    Built once per file: an export has thousands of cells."""
    yes, no = _("yes"), _("no")

    def cell(value):
        kind = type(value)
        if kind is Decimal or kind is int or value is None:
            return value
        if kind is bool:
            return yes if value else no
        return safe_cell(str(value))

    return cell


def _csv_text(decimal_comma: bool):
    """One value as CSV text: :func:`_cell_value`, a Decimal with all its digits (a decimal
    comma in German), None empty."""
    cell = _cell_value()

    def text(value) -> str:
        value = cell(value)
        kind = type(value)
        if kind is Decimal:
            text = format(value, "f")
            return text.replace(".", ",") if decimal_comma else text
        if value is None:
            return ""
        return value if kind is str else safe_cell(str(value))

    return text


def to_csv(items, *, trustee: bool, by_element: bool, member: bool = False) -> bytes:
    """``items``: ElementViews (``by_element``), a member's MemberRows (``member``, its own demand
    and share beside each cell) or CellViews."""
    decimal_comma = uses_decimal_comma()
    text = _csv_text(decimal_comma)
    cols = _columns(trustee=trustee, member=member, by_element=by_element)
    keys = [key for key, _label in cols]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";" if decimal_comma else ",", lineterminator="\r\n")
    writer.writerow([label for _key, label in cols])
    writer.writerows(
        [text(row.get(key)) for key in keys]
        for row in _rows(items, by_element=by_element, member=member)
    )
    # A byte-order mark, so that Excel reads the umlauts of material names as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(
    items, *, trustee: bool, by_element: bool, member: bool = False, title: str = ""
) -> bytes:
    """The same rows as :func:`to_csv`, as a workbook with number formats, written by the
    project's constant-memory writer (``rohstoff.core.xlsx``; docs/benchmarks.md)."""
    from rohstoff.core import xlsx

    cols = _columns(trustee=trustee, member=member, by_element=by_element)
    keys = [key for key, _label in cols]
    cell = _cell_value()

    def values(row):
        return [cell(row.get(key)) for key in keys]

    def number_format(key):
        if key.endswith("_t"):
            return "#,##0.000000"
        return "0.00%" if key in ("coverage", "share") else ""

    out = io.BytesIO()
    xlsx.write(
        out,
        [
            xlsx.Sheet(
                title=str(_("Elements") if by_element else _("Positions")),
                columns=[
                    xlsx.Column(
                        header=str(label),
                        width=28 if key == "material_name" else 16,
                        number_format=number_format(key),
                    )
                    for key, label in cols
                ],
                rows=(values(row) for row in _rows(items, by_element=by_element, member=member)),
            )
        ],
        title=title,
    )
    return out.getvalue()
