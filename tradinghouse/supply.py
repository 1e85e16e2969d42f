"""Where positions get their contracted and allocated tonnes from, without importing contracts.

A supply provider is a callable ``provider(round_id) -> dict[(material_id, quarter), (contracted_t,
allocated_t)]`` (Decimals, tonnes). ``contracts`` registers one in its AppConfig.ready(); the
aggregation job adds up what all registered providers return for each cell.
"""

from collections.abc import Callable
from decimal import Decimal

SupplyProvider = Callable[[int], dict[tuple[int, int], tuple[Decimal, Decimal]]]

_providers: list[SupplyProvider] = []


def register(provider: SupplyProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def supply_for_round(round_id: int) -> dict[tuple[int, int], tuple[Decimal, Decimal]]:
    total: dict[tuple[int, int], tuple[Decimal, Decimal]] = {}
    for provider in _providers:
        for key, (contracted, allocated) in provider(round_id).items():
            c, a = total.get(key, (Decimal(0), Decimal(0)))
            total[key] = (c + contracted, a + allocated)
    return total
