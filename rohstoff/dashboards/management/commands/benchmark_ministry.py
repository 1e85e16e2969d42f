"""The ministry's dashboard against a minimal signed-in page, with N pooled demand lines behind the
newest round (PostgreSQL only; docs/benchmarks.md, "Ministry dashboard").

It fills a scratch round with N synthetic demand lines (the generator of
``benchmark_aggregation``), runs the real aggregation job so the round has current positions,
then gives every section of the ministry's dashboard something to show: signed offtake contracts
from three countries for each of the round's materials (concentration, CRMA tracker, coverage),
a stockpile holding per material (bands) and a saved export-stop scenario of the ministry. A
ministry viewer signed in with Django's test client then requests the dashboard (``/``) and a
minimal signed-in page (the account settings) alternately, after a warm-up, and the command
prints the median (p50) and p95 of each and, as its last line,
``ministry_dashboard_vs_minimal_ratio=<p50 dashboard / p50 minimal>``. It fails (exit status 1)
when the ratio is above 3 or when any query of the dashboard touches the demand-line table (the
dashboard reads positions, contracts and reference tables, never lines). Everything it creates
for the round is removed again.
"""

from __future__ import annotations

import datetime
import statistics
import time
from decimal import Decimal

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone

from industry.models import DemandLine, DemandRound
from rohstoff.core.benchmarking import (
    bench_organisation,
    bench_user,
    drop_scratch_rounds,
    scratch_round,
)
from rohstoff.core.jobs import job_start
from rohstoff.core.models import Material, OrganisationKind, Role, User
from rohstoff.supply.selectors import quarter_of
from tradinghouse.aggregation.benchmark_sql import GENERATE_SQL
from tradinghouse.management.commands import benchmark_aggregation as aggregation

TITLE = "Benchmark scratch round (benchmark_ministry)"
PREFIX = "BENCH-MIN-"
BENCH_MINISTRY = "benchmark-ministry@rohstoff.invalid"
STORE = "Benchmark ministry store"
COUNTRIES = [("CL", Decimal(50)), ("AU", Decimal(30)), ("FI", Decimal(20))]
LINE_TABLE = DemandLine._meta.db_table
TARGET = 3.0


class Command(BaseCommand):
    help = (
        "Time the ministry's dashboard against a minimal signed-in page with N pooled demand "
        "lines behind the newest round (PostgreSQL only); fails above a ratio of 3."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--lines", type=int, default=3_000_000, help="Demand lines in the scratch round"
        )
        parser.add_argument(
            "--firms", type=int, default=400, help="Member firms in the scratch round"
        )
        parser.add_argument("--requests", type=int, default=30, help="Timed requests of each page")

    def handle(self, *args, lines, firms, requests, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "benchmark_ministry needs PostgreSQL: it builds its lines with generate_series, "
                f"and this database is {connection.vendor}. Set DATABASE_URL to a PostgreSQL "
                "database."
            )
        if lines < 1 or firms < 1 or not 5 <= requests <= 1000:
            raise CommandError("--lines and --firms must be at least 1, --requests 5 to 1000.")
        call_command("load_reference_data", verbosity=0)
        desk, orgs = aggregation.Command()._actors(firms)
        viewer = self._viewer()
        self._drop_scratch()
        try:
            round = self._round_with_positions(lines, desk, orgs)
            self._contracts_stockpile_scenario(round, desk, viewer)
            result = self._time(viewer, requests)
        finally:
            self._drop_scratch()
        dash, minimal = result["dashboard"], result["minimal"]
        ratio = statistics.median(dash) / statistics.median(minimal)
        self.stdout.write(
            f"ministry dashboard: p50 {_ms(statistics.median(dash))}, p95 {_ms(_p95(dash))} "
            f"({result['warm_queries']} queries); first request after the set-up (nothing kept): "
            f"{_ms(result['cold'])}, {result['queries']} queries, none on {LINE_TABLE}"
        )
        self.stdout.write(
            f"minimal signed-in page: p50 {_ms(statistics.median(minimal))}, "
            f"p95 {_ms(_p95(minimal))} ({result['minimal_queries']} queries)"
        )
        self.stdout.write(
            f"p95 ratio {_p95(dash) / _p95(minimal):.2f}; {requests} requests each, "
            f"{lines:,} lines behind the round (target p50 ratio <= {TARGET:g})"
        )
        self.stdout.write(f"ministry_dashboard_vs_minimal_ratio={ratio:.3f}")
        if ratio > TARGET:
            raise CommandError(
                f"The ministry's dashboard takes {ratio:.2f} times a minimal page (target <= "
                f"{TARGET:g})."
            )

    # ---- set-up ----------------------------------------------------------------------------

    def _viewer(self) -> User:
        org = bench_organisation("Benchmark ministry", OrganisationKind.MINISTRY)
        return bench_user(
            BENCH_MINISTRY,
            org,
            Role.MINISTRY_VIEWER,
            totp=True,
            full_name="Benchmark ministry viewer",
        )

    def _round_with_positions(self, lines: int, desk: User, orgs: list[int]) -> DemandRound:
        from tradinghouse.services import AGGREGATION_JOB
        from tradinghouse.tasks import aggregate_round

        materials = list(Material.objects.order_by("sort_order").values_list("pk", flat=True)[:12])
        round, seconds = scratch_round(
            title=TITLE,
            desk=desk,
            first=aggregation.FIRST,
            last=aggregation.LAST,
            materials=materials,
            generate_sql=GENERATE_SQL,
            params={"orgs": orgs, "org_count": len(orgs), "lines": lines},
            # the newest round: the dashboard's key figures are this round's
            closes_at=timezone.now() - datetime.timedelta(seconds=1),
        )
        self.stdout.write(f"generated {lines:,} lines in {seconds:.1f} s (not counted)")
        job, _created = job_start(
            kind=AGGREGATION_JOB, subject=round, created_by=desk, enqueue=lambda job_id: None
        )
        started = time.perf_counter()
        aggregate_round(str(job.pk))
        job.refresh_from_db()
        if job.state != "succeeded":
            raise CommandError(f"The aggregation job failed: {job.error}")
        round.refresh_from_db()
        self.stdout.write(
            f"aggregated in {time.perf_counter() - started:.1f} s: {job.result.get('cells')} "
            f"cells, {job.result.get('hidden')} hidden (not counted)"
        )
        return round

    def _contracts_stockpile_scenario(self, round: DemandRound, desk: User, viewer: User):
        from agency.scenarios.models import SavedScenario
        from agency.stockpile.models import Holding, Location
        from contracts.models import Counterparty, OfftakeContract, ScheduleEntry

        today = timezone.localdate()
        start_index = quarter_of(today).index  # the concentration window starts today
        end_index = max(round.last_quarter, start_index + 8)
        parties = [
            Counterparty.objects.create(name=f"{PREFIX}{country}", kind="producer", country=country)
            for country, _share in COUNTRIES
        ]
        entries = []
        for material in round.materials.all():
            for party, (_country, tonnes) in zip(parties, COUNTRIES, strict=True):
                contract = OfftakeContract.objects.create(
                    reference=f"{PREFIX}{material.pk}-{party.country.code}",
                    counterparty=party,
                    round=round,
                    material=material,
                    start_quarter=start_index,
                    end_quarter=end_index,
                    annual_volume_t=tonnes * 4,
                    incoterm="CIF",
                    incoterm_place="Hamburg",
                    currency="EUR",
                    price_unit="t",
                    pricing_type="fixed",
                    fixed_price=Decimal(1000),
                    state="signed",
                    signed_on=today,
                    created_by=desk,
                )
                entries += [
                    ScheduleEntry(contract=contract, quarter=q, quantity_t=tonnes)
                    for q in range(start_index, end_index + 1)
                ]
            Holding.objects.get_or_create(
                location=Location.objects.get_or_create(name=STORE)[0],
                material=material,
                defaults={"quantity_t": Decimal(40)},
            )
        ScheduleEntry.objects.bulk_create(entries)
        SavedScenario.objects.create(
            name=f"{PREFIX}Exportstopp Chile",
            countries=["CL"],
            first_quarter=round.first_quarter + 2,
            round=round,
            author=viewer,
            organisation=viewer.organisation,
        )
        self.stdout.write(
            f"added {len(entries):,} schedule entries of {3 * round.materials.count()} contracts, "
            "a stockpile holding per material and a saved scenario"
        )

    def _drop_scratch(self):
        from agency.scenarios.models import SavedScenario
        from agency.stockpile.models import Holding, Location
        from contracts.models import Counterparty, OfftakeContract, ScheduleEntry

        with transaction.atomic():
            SavedScenario.objects.filter(name__startswith=PREFIX).delete()
            ScheduleEntry.objects.filter(contract__reference__startswith=PREFIX).delete()
            OfftakeContract.objects.filter(reference__startswith=PREFIX).delete()
            Counterparty.objects.filter(name__startswith=PREFIX).delete()
            Holding.objects.filter(location__name=STORE).delete()
            Location.objects.filter(name=STORE).delete()
        drop_scratch_rounds(TITLE)

    # ---- timing ----------------------------------------------------------------------------

    def _time(self, viewer: User, requests: int) -> dict:
        hosts = [h for h in settings.ALLOWED_HOSTS if h and not h.startswith(".") and h != "*"]
        client = Client(HTTP_HOST=hosts[0] if hosts else "localhost")
        client.force_login(viewer)
        secure = settings.SECURE_SSL_REDIRECT
        static = {
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
        dashboard, minimal = reverse("home"), reverse("account_settings")
        times = {"dashboard": [], "minimal": []}
        with override_settings(STORAGES=static):
            # The first request after the set-up finds nothing kept (docs/benchmarks.md): it
            # reads every section, so its queries show that none touches the lines.
            queries, minimal_queries = [], []
            started = time.perf_counter()
            with connection.execute_wrapper(_recorder(queries)):
                response = client.get(dashboard, secure=secure)
            cold = time.perf_counter() - started
            if response.status_code != 200:
                raise CommandError(f"{dashboard} answered {response.status_code}.")
            page = response.content.decode()
            for _i in range(3):  # warm-up: sessions, translations, kept sections
                for url in (dashboard, minimal):
                    response = client.get(url, secure=secure)
                    if response.status_code != 200:
                        raise CommandError(f"{url} answered {response.status_code}.")
            with connection.execute_wrapper(_recorder(minimal_queries)):
                client.get(minimal, secure=secure)
            warm_queries = []
            with connection.execute_wrapper(_recorder(warm_queries)):
                client.get(dashboard, secure=secure)
            touching = [sql for sql in queries if LINE_TABLE in sql]
            if touching:
                raise CommandError(
                    f"The ministry's dashboard read the demand-line table: {touching[0][:300]}"
                )
            for marker in ('data-testid="widget-stockpile-bands"', PREFIX + "Exportstopp"):
                if marker not in page:
                    raise CommandError(f"The dashboard lacks a section's content ({marker}).")
            for _i in range(requests):  # alternately, so both see the same machine load
                for name, url in (("dashboard", dashboard), ("minimal", minimal)):
                    started = time.perf_counter()
                    client.get(url, secure=secure)
                    times[name].append(time.perf_counter() - started)
        return {
            **times,
            "cold": cold,
            "queries": len(queries),
            "warm_queries": len(warm_queries),
            "minimal_queries": len(minimal_queries),
        }


def _recorder(into: list[str]):
    """An execute wrapper that keeps the SQL of every query (DEBUG or not)."""

    def record(execute, sql, params, many, context):
        into.append(sql)
        return execute(sql, params, many, context)

    return record


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20, method="inclusive")[18]


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"
