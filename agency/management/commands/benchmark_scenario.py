"""Time one export-stop scenario over 30 materials x 20 quarters x 200 contracts
(docs/scenarios.md, "Limits and speed"). Everything it builds is rolled back."""

import datetime
import time
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from rohstoff.core.benchmarking import bench_organisation, bench_user
from rohstoff.core.periods import Quarter


class Rollback(Exception):
    pass


class Command(BaseCommand):
    help = "Time an export-stop scenario over 30 materials x 20 quarters x 200 contracts."

    def add_arguments(self, parser):
        parser.add_argument("--materials", type=int, default=30)
        parser.add_argument("--quarters", type=int, default=20)
        parser.add_argument("--contracts", type=int, default=200)
        parser.add_argument("--runs", type=int, default=5)

    def handle(self, *args, materials, quarters, contracts, runs, **options):
        try:
            with transaction.atomic():
                self._run(materials, quarters, contracts, runs)
                raise Rollback
        except Rollback:
            pass

    def _run(self, n_materials, n_quarters, n_contracts, runs):
        from agency.models import Holding, Location
        from agency.scenarios import engine
        from contracts.models import Counterparty, OfftakeContract, ScheduleEntry
        from industry.models import DemandRound
        from rohstoff.core.models import Material
        from tradinghouse.models import PositionCell, PositionSet

        org = bench_organisation("Benchmark Agentur", "agency")
        user = bench_user("benchmark@agency.example", org, "agency_analyst")
        first = Quarter(2027, 1)
        materials = [
            Material.objects.create(
                code=f"bench-{i:02d}",
                name_en=f"Benchmark {i}",
                name_de=f"Benchmark {i}",
                element="Li",
                family="lithium",
                crma="critical",
                element_content=Decimal("0.1"),
            )
            for i in range(n_materials)
        ]
        now = timezone.now()
        round = DemandRound.objects.create(
            title="Benchmark",
            first_quarter=first.index,
            last_quarter=first.index + n_quarters - 1,
            opens_at=now - datetime.timedelta(days=30),
            closes_at=now - datetime.timedelta(days=1),
            state="aggregated",
            created_by=user,
        )
        position_set = PositionSet.objects.create(
            round=round, is_current=True, min_firms=5, p_rule=Decimal("0.1")
        )
        PositionCell.objects.bulk_create(
            PositionCell(
                position_set=position_set,
                material=m,
                quarter=first.index + q,
                demand_t=Decimal(1000 + q),
                demand_firm_t=Decimal(1000 + q),
                demand_indicative_t=Decimal(0),
                contributors=6,
                largest_share=Decimal("0.2"),
                disclosed=(q % 7) != 3,
                firm_disclosed=True,
                indicative_disclosed=True,
                contracted_t=Decimal(600),
            )
            for m in materials
            for q in range(n_quarters)
        )
        countries = ["CL", "AU", "CN", "CA", "ZA"]
        parties = [
            Counterparty.objects.create(name=f"Bench {c}", kind="producer", country=c)
            for c in countries
        ]
        entries = []
        for i in range(n_contracts):
            c = OfftakeContract.objects.create(
                reference=f"BENCH-{i:04d}",
                counterparty=parties[i % len(parties)],
                round=round,
                material=materials[i % n_materials],
                start_quarter=first.index,
                end_quarter=first.index + n_quarters - 1,
                annual_volume_t=Decimal(400),
                incoterm="CIF",
                incoterm_place="Hamburg",
                currency="EUR",
                price_unit="t",
                pricing_type="fixed",
                fixed_price=Decimal(1000),
                state="signed",
                signed_on=datetime.date(2026, 1, 1),
                created_by=user,
            )
            entries += [
                ScheduleEntry(contract=c, quarter=first.index + q, quantity_t=Decimal(100))
                for q in range(n_quarters)
            ]
        ScheduleEntry.objects.bulk_create(entries)
        location = Location.objects.create(name="Benchmark Lager")
        Holding.objects.bulk_create(
            Holding(location=location, material=m, quantity_t=Decimal(5000)) for m in materials
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE") if connection.vendor == "postgresql" else None

        timings = []
        for _ in range(runs):
            with CaptureQueriesContext(connection) as ctx:
                start = time.perf_counter()
                result = engine.run(user=user, round=round, countries=["CL", "CN"], first=first + 2)
                timings.append(time.perf_counter() - start)
        self.stdout.write(
            f"export-stop scenario: {n_materials} materials x {n_quarters} quarters x "
            f"{n_contracts} contracts ({len(entries)} schedule entries): "
            f"best {min(timings) * 1000:.0f} ms, median {sorted(timings)[len(timings) // 2] * 1000:.0f} ms "
            f"over {runs} runs, {len(ctx.captured_queries)} queries, "
            f"{len(result.materials)} materials in the result"
        )
