"""The supply provider that tradinghouse asks for contracted and allocated tonnes of a round.

contracted: scheduled tonnes of the round's contracts in SUPPLY_STATES (signed, active);
allocated: tonnes of their confirmed allocations. One GROUP BY query each.
"""

from decimal import Decimal

from django.db.models import Sum

from .models import SUPPLY_STATES, Allocation, AllocationState, ScheduleEntry


def supply_for_round(round_id: int) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    contracted = (
        ScheduleEntry.objects.filter(contract__round_id=round_id, contract__state__in=SUPPLY_STATES)
        .values_list("contract__material_id", "quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by()
    )
    allocated = (
        Allocation.objects.filter(
            contract__round_id=round_id,
            contract__state__in=SUPPLY_STATES,
            state=AllocationState.CONFIRMED,
        )
        .values_list("contract__material_id", "quarter")
        .annotate(t=Sum("quantity_t"))
        .order_by()
    )
    supply: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for material_id, quarter, tonnes in contracted:
        supply[(material_id, quarter)] = (tonnes or Decimal(0), Decimal(0))
    for material_id, quarter, tonnes in allocated:
        c, _a = supply.get((material_id, quarter), (Decimal(0), Decimal(0)))
        supply[(material_id, quarter)] = (c, tonnes or Decimal(0))
    return supply
