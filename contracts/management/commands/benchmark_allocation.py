"""Time the allocation rule on one material-quarter shared among N firms."""

import random
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError

from contracts.allocation import allocate


class Command(BaseCommand):
    help = (
        "Allocate one material-quarter's contracted volume among N firms with random firm demand "
        "(in scarcity), check that the shares add up exactly and that every firm is within its "
        "demand and in whole lots, and print the time it took."
    )

    def add_arguments(self, parser):
        parser.add_argument("--firms", type=int, default=5000)
        parser.add_argument(
            "--lot", type=str, default="0.001", help="lot size in tonnes (default 1 kg)"
        )
        parser.add_argument("--seed", type=int, default=20260101)
        parser.add_argument(
            "--coverage",
            type=str,
            default="0.6",
            help="contracted volume as a share of the total demand (default 0.6: scarcity)",
        )

    def handle(self, *args, firms, lot, seed, coverage, **options):
        if firms < 1:
            raise CommandError("--firms must be at least 1")
        lot_t, share = Decimal(lot), Decimal(coverage)
        rng = random.Random(seed)
        demands = {
            org: Decimal(rng.randint(1, 50_000_000)) / 1_000_000 for org in range(1, firms + 1)
        }
        total = sum(demands.values())
        volume = (total * share).quantize(Decimal("0.000001"))
        started = time.perf_counter()
        result = allocate(volume, lot_t, demands)
        elapsed = time.perf_counter() - started
        quantities = {s.organisation_id: result.quantity_t(s) for s in result.shares}
        allocated = sum(quantities.values())
        lots_used = sum(s.lots for s in result.shares)
        problems = []
        if allocated + result.unallocated_t != volume:
            problems.append("shares plus unallocated do not add up to the volume")
        if result.scarce and lots_used != result.lots_available:
            problems.append("lots left over in scarcity")
        for org, quantity in quantities.items():
            if quantity > demands[org]:
                problems.append(f"firm {org} above its demand")
            if (quantity / lot_t) % 1:
                problems.append(f"firm {org} not in whole lots")
        self.stdout.write(
            f"{firms} firms, volume {volume} t, lot {lot_t} t: allocated {allocated} t "
            f"({lots_used} lots), unallocated {result.unallocated_t} t in {elapsed * 1000:.1f} ms"
        )
        if problems:
            raise CommandError("; ".join(problems[:5]))
        self.stdout.write(
            self.style.SUCCESS("exact sum, every firm within its demand and in whole lots")
        )
