"""Writing a computed position set and making it current.

The finished set is made current in one small transaction, so readers see the old positions or
the new ones, never a mix.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from industry.models import DemandRound
from rohstoff.core.audit import audit_record
from rohstoff.core.chemistry import LCE_PER_LITHIUM
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Job, JobState

from .. import disclosure
from ..models import ElementCell, FirmPosition, PositionCell, PositionSet
from . import AGGREGATABLE_STATES
from .pooling import tonnes

SHARE_PLACES = Decimal("0.000001")


def _share(largest: Decimal, total: Decimal) -> Decimal:
    if not total:
        return Decimal(0)
    return (largest / total).quantize(SHARE_PLACES, rounding=ROUND_HALF_EVEN)


def write_cells(
    position_set: PositionSet, cells: dict, outcomes: dict, supply: dict, direct: dict | None = None
) -> None:
    """``direct``: the covered-directly figure of each cell (``aggregation.direct.decide``)."""
    direct = direct or {}
    rows = []
    for key, cell in cells.items():
        stats: disclosure.CellInput = cell["input"]
        outcome = outcomes[key]
        contracted, allocated = supply.get(key, (Decimal(0), Decimal(0)))
        covered, reporters, direct_disclosed = direct.get(key, (Decimal(0), 0, False))
        rows.append(
            PositionCell(
                position_set=position_set,
                material_id=stats.material_id,
                quarter=stats.quarter,
                demand_t=tonnes(stats.total.total),
                demand_firm_t=tonnes(stats.firm.total),
                demand_indicative_t=tonnes(stats.indicative.total),
                contributors=stats.total.contributors,
                firm_contributors=stats.firm.contributors,
                indicative_contributors=stats.indicative.contributors,
                largest_share=_share(stats.total.largest, stats.total.total),
                disclosed=outcome.disclosed,
                hidden_reason=outcome.hidden_reason,
                firm_disclosed=outcome.firm_disclosed,
                indicative_disclosed=outcome.indicative_disclosed,
                contracted_t=tonnes(Decimal(contracted)),
                allocated_t=tonnes(Decimal(allocated)),
                covered_directly_t=covered,
                direct_reporters=reporters,
                direct_disclosed=direct_disclosed,
            )
        )
    PositionCell.objects.bulk_create(rows, batch_size=1000)


def write_rollups(position_set: PositionSet, rollups: dict, reasons: dict) -> None:
    rows = []
    for key, rollup in rollups.items():
        stats: disclosure.RollupInput = rollup["input"]
        reason = reasons[key]
        rows.append(
            ElementCell(
                position_set=position_set,
                element=stats.element,
                quarter=stats.quarter,
                demand_t=tonnes(stats.total.total),
                demand_lce_t=tonnes(stats.total.total * LCE_PER_LITHIUM)
                if stats.element == "Li"
                else None,
                contributors=stats.total.contributors,
                largest_share=_share(stats.total.largest, stats.total.total),
                disclosed=not reason,
                hidden_reason=reason,
            )
        )
    ElementCell.objects.bulk_create(rows, batch_size=1000)


@transaction.atomic
def publish(*, position_set: PositionSet, round: DemandRound, job: Job) -> dict:
    """Make ``position_set`` its round's current set (the old one stops being current in the
    same transaction) and mark the round aggregated.

    Only a run whose job is still running publishes: a run given up as stale (its job failed, so
    a newer run may have started and removed this run's set) must not replace newer positions or
    leave the round without a current set.
    """
    round = DemandRound.objects.select_for_update().get(pk=round.pk)
    if round.state not in AGGREGATABLE_STATES:
        raise StateConflict(
            _("The round was reopened while its positions were computed; nothing was published.")
        )
    given_up = StateConflict(
        _("This run was given up while it worked (a newer run replaces it); nothing was published.")
    )
    if not Job.objects.select_for_update().filter(pk=job.pk, state=JobState.RUNNING).exists():
        raise given_up
    previous = (
        PositionSet.objects.filter(round=round, is_current=True)
        .values_list("pk", flat=True)
        .first()
    )
    PositionSet.objects.filter(round=round, is_current=True).update(is_current=False)
    if not PositionSet.objects.filter(pk=position_set.pk).update(
        is_current=True, published_at=timezone.now()
    ):
        raise given_up  # a newer run removed this set; the old one stays current (rollback)
    actor = job.created_by
    cells = PositionCell.objects.filter(position_set=position_set)
    summary = {
        "position_set": position_set.pk,
        "cells": cells.count(),
        "disclosed": cells.filter(disclosed=True).count(),
        "hidden": cells.filter(disclosed=False).count(),
        "element_cells": ElementCell.objects.filter(position_set=position_set).count(),
        "lines": PositionSet.objects.filter(pk=position_set.pk)
        .values_list("line_count", flat=True)
        .get(),
    }
    audit_record(
        actor=actor,
        action="positions.publish",
        obj=round,
        before={"position_set": previous},
        after=summary,
    )
    from industry.rounds.services import round_mark_aggregated

    round_mark_aggregated(round=round, actor=actor)
    return summary


def delete_sets(queryset) -> None:
    """Delete position sets with their rows (plain DELETEs: these tables have no signals)."""
    ids = list(queryset.values_list("pk", flat=True))
    if not ids:
        return
    with transaction.atomic():
        for model in (FirmPosition, PositionCell, ElementCell):
            model.objects.filter(position_set_id__in=ids).delete()
        PositionSet.objects.filter(pk__in=ids).delete()
