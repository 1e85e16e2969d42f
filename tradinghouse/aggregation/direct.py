"""Covered by members directly: the tonnes member firms reported as contracted by themselves
(``industry.ReportedContract``), per firm and cell of a new position set, and whether each cell's
figure may be shown to readers who are not trustees (docs/reported-contracts.md).

A firm's figure in a cell is its reported tonnes for the material and quarter, at most its demand
in the cell: a firm covers its own demand, never the pool's. The cell's figure is the sum over its
firms and is disclosed by the rule of the cell's firms (``disclosure.direct_reason``), including
its change since every earlier published set of the round that showed it.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Sum

from industry.models import ReportedQuarter

from .. import disclosure
from ..models import FirmPosition, PositionCell, PositionSet
from .pooling import tonnes

ZERO = Decimal(0)


def _stats(values) -> disclosure.PartStats:
    ranked = sorted((v for v in values if v), reverse=True)
    return disclosure.PartStats(
        total=sum(ranked, ZERO),
        largest=ranked[0] if ranked else ZERO,
        second=ranked[1] if len(ranked) > 1 else ZERO,
        contributors=len(ranked),
    )


def _reported(material_ids) -> dict[tuple[int, int, int], Decimal]:
    """(organisation, material, quarter) -> reported tonnes. One query."""
    rows = (
        ReportedQuarter.objects.filter(contract__material_id__in=material_ids)
        .values_list("contract__organisation_id", "contract__material_id", "quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by()
    )
    return {(org, m, q): t for org, m, q, t in rows}


def firm_figures(
    position_set: PositionSet, cells: dict
) -> dict[tuple[int, int], dict[int, Decimal]]:
    """Write each firm's covered-directly tonnes into its firm positions of ``position_set`` and
    return them per cell: {(material, quarter): {organisation: tonnes}}."""
    reported = _reported({m for m, _q in cells})
    per_cell: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    if not reported:
        return per_cell
    positions = FirmPosition.objects.filter(
        position_set=position_set,
        organisation_id__in={org for org, _m, _q in reported},
        material_id__in={m for _o, m, _q in reported},
        quarter__in={q for _o, _m, q in reported},
    ).only("pk", "organisation_id", "material_id", "quarter", "demand_t")
    changed = []
    for fp in positions:
        t = reported.get((fp.organisation_id, fp.material_id, fp.quarter))
        if not t:
            continue
        fp.covered_directly_t = tonnes(min(t, fp.demand_t))
        per_cell[(fp.material_id, fp.quarter)][fp.organisation_id] = fp.covered_directly_t
        changed.append(fp)
    FirmPosition.objects.bulk_update(changed, ["covered_directly_t"], batch_size=2000)
    return per_cell


def _earlier(round_id: int, set_id: int):
    """Per earlier published set of the round: the cells whose direct figure it showed, and its
    firms' figures. Two queries."""
    earlier = PositionSet.objects.filter(round_id=round_id, published_at__isnull=False).exclude(
        pk=set_id
    )
    shown: dict[int, set[tuple[int, int]]] = defaultdict(set)
    for set_pk, m, q in PositionCell.objects.filter(
        position_set__in=earlier, direct_disclosed=True
    ).values_list("position_set_id", "material_id", "quarter"):
        shown[set_pk].add((m, q))
    firms: dict[tuple[int, int, int], dict[int, Decimal]] = defaultdict(dict)
    for set_pk, org, m, q, t in FirmPosition.objects.filter(
        position_set_id__in=list(shown), covered_directly_t__gt=0
    ).values_list(
        "position_set_id", "organisation_id", "material_id", "quarter", "covered_directly_t"
    ):
        firms[(set_pk, m, q)][org] = t
    return shown, firms


def decide(
    position_set: PositionSet, cells: dict, outcomes: dict
) -> dict[tuple[int, int], tuple[Decimal, int, bool]]:
    """{(material, quarter): (covered directly, reporting firms, disclosed)} for every cell."""
    min_firms, p = settings.DISCLOSURE_MIN_FIRMS, Decimal(settings.DISCLOSURE_P)
    per_cell = firm_figures(position_set, cells)
    shown, earlier_firms = _earlier(position_set.round_id, position_set.pk)
    result = {}
    for key in cells:
        now = per_cell.get(key, {})
        part = _stats(now.values())
        changes = []
        for set_pk, keys in shown.items():
            if key not in keys:
                continue
            before = earlier_firms.get((set_pk, *key), {})
            diffs = [abs(now.get(o, ZERO) - before.get(o, ZERO)) for o in set(now) | set(before)]
            changes.append(
                disclosure.ChangeStats(
                    net=part.total - sum(before.values(), ZERO), firms=_stats(diffs)
                )
            )
        reason = disclosure.direct_reason(part, changes, min_firms=min_firms, p=p)
        # Shown only where the cell's supply figures are (they follow the firm part).
        shown_here = outcomes[key].firm_disclosed and not reason
        result[key] = (tonnes(part.total), part.contributors, shown_here)
    return result
