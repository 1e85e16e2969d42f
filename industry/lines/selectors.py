"""Reads of demand lines: the lines a user sees, the member's grid and totals per material. The
desk's screening of a round's lines is in :mod:`industry.lines.screening`."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    Count,
    Q,
    QuerySet,
    Sum,
)
from django.http import Http404
from django.utils.translation import gettext as _

from rohstoff.core.links import row_link
from rohstoff.core.models import Material, User
from rohstoff.core.shortcuts import get_visible_or_404

from .. import policy
from ..models import (
    Commitment,
    DemandLine,
    DemandRound,
)

# The one definition is the policy's; the selectors and views of industry read lines through it.
lines_visible_to = policy.lines_visible_to


def line_get(*, user: User, round: DemandRound, pk, include_withdrawn: bool = False) -> DemandLine:
    return get_visible_or_404(
        lines_visible_to(user, round=round, include_withdrawn=include_withdrawn), pk=pk
    )


def own_line_get(*, user: User, round: DemandRound, pk) -> DemandLine:
    """A line of the user's own firm (what members change); the desk's trustee view does not count."""
    if not policy.may_enter_demand(user):
        raise Http404
    return line_get(user=user, round=round, pk=pk)


# What the member's grid shows of a line (industry/_lines_table.html, _line_edit_row.html), read as
# plain values: a page of 100 lines as model objects with their firm, material and user cost more
# to read, build and render than the rest of the page (docs/benchmarks.md).
GRID_COLUMNS = (
    "pk",
    "material__name_de",
    "material__name_en",
    "period",
    "quantity",
    "unit",
    "quantity_t",
    "commitment",
    "grade",
    "delivery_country",
    "excluded",
    "exclusion_reason",
    "entered_by__full_name",
    "entered_by__email",
    "version",
)


def grid_lines(lines: QuerySet[DemandLine]) -> QuerySet:
    """``lines`` as the values the member's grid shows; a page of them goes to :func:`grid_rows`."""
    return lines.values(*GRID_COLUMNS)


def grid_rows(values, *, round: DemandRound) -> list[dict]:
    """Rows of :func:`grid_lines` with what the grid shows in words: the material's name in the
    reader's language, the commitment's label, who entered the line (name, else e-mail, as
    ``User.get_full_name``) and the links to change and withdraw it."""
    labels = dict(Commitment.choices)
    by = _("by %(name)s")
    edit_url = row_link("industry:line_edit", round.pk)
    withdraw_url = row_link("industry:line_withdraw", round.pk)
    rows = []
    for row in values:
        row["material_name"] = Material.name_in_language(
            row.pop("material__name_de"), row.pop("material__name_en")
        )
        row["commitment_label"] = labels.get(row["commitment"], row["commitment"])
        full_name, email = row.pop("entered_by__full_name"), row.pop("entered_by__email")
        row["entered_by_name"] = full_name or email
        row["entered_by_label"] = by % {"name": row["entered_by_name"]}
        row["edit_url"], row["withdraw_url"] = edit_url(row["pk"]), withdraw_url(row["pk"])
        rows.append(row)
    return rows


@dataclass
class MaterialTotal:
    material: Material
    total_t: Decimal
    firm_t: Decimal
    lines: int


def material_totals(lines: QuerySet[DemandLine]) -> list[MaterialTotal]:
    """Tonnes per material of the given lines that count (not withdrawn, not excluded).

    Totals are per material only: tonnes of different materials are never added up."""
    rows = (
        lines.filter(withdrawn_at__isnull=True, excluded=False)
        .values("material")
        .annotate(
            total=Sum("quantity_t"),
            firm=Sum("quantity_t", filter=Q(commitment="firm")),
            lines=Count("pk"),
        )
        .order_by()
    )
    by_id = {r["material"]: r for r in rows}
    materials = Material.objects.filter(pk__in=by_id.keys())
    return [
        MaterialTotal(
            material=m,
            total_t=by_id[m.pk]["total"] or Decimal(0),
            firm_t=by_id[m.pk]["firm"] or Decimal(0),
            lines=by_id[m.pk]["lines"],
        )
        for m in materials
    ]
