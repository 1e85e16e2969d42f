"""Pages and files under concurrent clients, against a minimal signed-in page (docs/benchmarks.md).

Generates a closed round of ``--lines`` demand lines from ``--firms`` firms (one of them, the
benchmark member's, with ``--member-lines`` lines) in one SQL statement, aggregates it with the
real job, starts gunicorn bound to 127.0.0.1 only, and drives each endpoint with 1, 8 and 32
clients (threads with signed-in sessions) for ``--seconds`` each. Prints p50 and p95 per endpoint
and client count and the ratio of each p95 to the minimal page's p95 at the same count. The round
and its lines are deleted at the end (the firms and three users stay for the next run); gunicorn
is stopped.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from rohstoff.core.benchmarking import (
    bench_firms,
    bench_organisation,
    bench_user,
    drop_scratch_rounds,
    ensure_static_manifest,
    scratch_round,
)

TITLE = "Benchmark web"
PREFIX = "Benchmark web firm "
EMAIL = "benchmark-web-{}@benchmark.invalid"
TARGET_RATIO = 3.0

# Lines in one statement: the benchmark member's firm gets the first ``member_lines`` rows, the
# others are spread over the remaining firms; material, period and quantity vary with the row
# number and a grade per row keeps the line key unique. Quantities are tonnes.
GENERATE_SQL = """
INSERT INTO industry_demandline
    (round_id, organisation_id, material_id, grade, period, first_quarter, is_year, quantity, unit,
     quantity_t, commitment, delivery_country, entered_by_id, created_at, updated_at, version,
     withdrawn_at, excluded, exclusion_reason, excluded_by_id, excluded_at)
SELECT %(round_id)s, g.org, g.material, 'web-' || g.n, g.period, g.first_quarter, false,
       g.quantity, 't', g.quantity, CASE WHEN g.n %% 5 < 2 THEN 'firm' ELSE 'indicative' END,
       'DE', %(user_id)s, now(), now(), 1, NULL, false, '', NULL, NULL
FROM (
    SELECT n,
           CASE WHEN n <= %(member_lines)s THEN %(member_org)s
                ELSE (%(orgs)s)[1 + abs(hashtext('o' || n)) %% %(org_count)s] END AS org,
           (%(materials)s)[1 + abs(hashtext('m' || n)) %% %(material_count)s] AS material,
           (%(first_year)s + (n / 7) %% %(years)s)::text || '-Q' || (1 + n %% 4)::text AS period,
           (%(first_year)s + (n / 7) %% %(years)s) * 4 + n %% 4 AS first_quarter,
           round((1 + (n * 31) %% 997) / 7.0, 3) AS quantity
    FROM generate_series(1::bigint, %(lines)s) AS n
) g
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p * (len(ordered) - 1))))]


class Command(BaseCommand):
    help = (
        "Drive the minimal signed-in page, the dashboards, the member's grid, an API list and the "
        "exports through gunicorn on 127.0.0.1 with 1, 8 and 32 clients; print p50/p95 per "
        "endpoint and the ratio to the minimal page."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lines", type=int, default=1_000_000)
        parser.add_argument("--member-lines", type=int, default=1000)
        parser.add_argument("--firms", type=int, default=5000)
        parser.add_argument("--clients", default="1,8,32")
        parser.add_argument("--seconds", type=float, default=5.0, help="per endpoint and count")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")

    def handle(self, *args, lines, member_lines, firms, clients, seconds, workers, **options):
        if connection.vendor != "postgresql":
            raise CommandError("benchmark_web generates its data with PostgreSQL's SQL.")
        if not 1 <= member_lines <= lines or firms < 2 or seconds <= 0 or workers < 1:
            raise CommandError("need 1 <= --member-lines <= --lines, --firms >= 2, --seconds > 0")
        counts = [int(c) for c in clients.split(",") if c.strip()]
        if not counts or min(counts) < 1 or max(counts) > 64:
            raise CommandError("--clients: counts between 1 and 64, e.g. 1,8,32")
        self._drop()
        try:
            users, round = self._data(lines, member_lines, firms)
            endpoints = self._endpoints(users, round)
            results = self._drive(endpoints, counts, seconds, workers)
        finally:
            self._drop()
        self._report(results, counts, lines, member_lines, firms, workers)

    # ---- data ----------------------------------------------------------------------------------

    def _user(self, key, org, role):
        return bench_user(EMAIL.format(key), org, role, totp=True, full_name=f"Benchmark {key}")

    def _data(self, lines, member_lines, firms):
        from rohstoff.core.jobs import job_start
        from rohstoff.core.models import Material, OrganisationKind, Role
        from rohstoff.core.periods import Quarter
        from tradinghouse.services import AGGREGATION_JOB
        from tradinghouse.tasks import aggregate_round

        def org(name, kind):
            return bench_organisation(f"{PREFIX}{name}", kind)

        users = {
            "desk": self._user(
                "desk", org("desk", OrganisationKind.TRADINGHOUSE), Role.TRADING_DESK
            ),
            "ministry": self._user(
                "ministry", org("ministry", OrganisationKind.MINISTRY), Role.MINISTRY_VIEWER
            ),
        }
        member_org = org("member", OrganisationKind.MEMBER)
        users["member"] = self._user("member", member_org, Role.MEMBER)
        others = bench_firms([f"{PREFIX}{i:05d}" for i in range(firms - 1)])
        materials = list(Material.objects.order_by("sort_order").values_list("pk", flat=True)[:30])
        round, seconds = scratch_round(
            title=TITLE,
            desk=users["desk"],
            first=Quarter(2027, 1),
            last=Quarter(2031, 4),
            materials=materials,
            generate_sql=GENERATE_SQL,
            params={
                "member_lines": member_lines,
                "member_org": member_org.pk,
                "orgs": [o.pk for o in others],
                "org_count": len(others),
                "lines": lines,
            },
        )
        self.stdout.write(
            f"generated {lines:,} lines ({member_lines:,} of the member's firm) from {firms:,} "
            f"firms in {seconds:.1f} s (not counted)"
        )
        job, _created = job_start(
            kind=AGGREGATION_JOB, subject=round, created_by=users["desk"], enqueue=lambda _id: None
        )
        started = time.perf_counter()
        aggregate_round(str(job.pk))
        job.refresh_from_db()
        if job.state != "succeeded":
            raise CommandError(f"The aggregation job failed: {job.error}")
        self.stdout.write(f"aggregated in {time.perf_counter() - started:.1f} s (not counted)")
        # What autovacuum does to a table after a bulk load (PostgreSQL 13+ vacuums insert-only
        # tables too): the visibility map set, so that index-only scans read no table pages.
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) industry_demandline")
        self.stdout.write(f"vacuumed in {time.perf_counter() - started:.1f} s (not counted)")
        round.refresh_from_db()
        return users, round

    def _drop(self):
        drop_scratch_rounds(TITLE)
        # The firms and the three users stay for the next run (the audit trail is append-only).

    # ---- driving -------------------------------------------------------------------------------

    def _endpoints(self, users, round):
        """(name, user, path) in the order they are driven; the first is the floor."""
        return [
            ("minimal page (/account/)", "desk", "/account/"),
            ("desk dashboard", "desk", "/"),
            ("member dashboard", "member", "/"),
            ("ministry dashboard", "ministry", "/"),
            ("member's demand grid", "member", f"/rounds/{round.pk}/demand/"),
            ("desk's screening page", "desk", f"/rounds/{round.pk}/screening/"),
            ("desk's round page", "desk", f"/rounds/{round.pk}/"),
            (
                "API: desk's round, mid page",
                "desk",
                f"/api/v1/rounds/{round.pk}/demand/?page={self._middle_page(round)}",
            ),
            ("API: member's lines", "member", f"/api/v1/rounds/{round.pk}/demand/"),
            ("member's demand CSV", "member", f"/rounds/{round.pk}/demand/export.csv"),
            ("member's demand XLSX", "member", f"/rounds/{round.pk}/demand/export.xlsx"),
            ("positions CSV", "member", f"/positions/rounds/{round.pk}/export.csv"),
            ("positions XLSX", "member", f"/positions/rounds/{round.pk}/export.xlsx"),
        ], users

    @staticmethod
    def _middle_page(round) -> int:
        """A page of the desk's API list halfway through the round (500 lines a page)."""
        from rohstoff.core.pagination import Pagination

        return max(1, round.lines.count() // Pagination.page_size // 2)

    def _cookies(self, users) -> dict[str, str]:
        cookies = {}
        for key, user in users.items():
            client = Client()
            client.force_login(user)
            cookies[key] = (
                f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
            )
        return cookies

    def _gunicorn(self, workers):
        ensure_static_manifest(self.stdout)
        port = _free_port()
        env = {**os.environ, "PYTHONPATH": str(settings.BASE_DIR), "DEBUG": "false"}
        binary = Path(sys.executable).with_name("gunicorn")
        process = subprocess.Popen(  # noqa: S603 - our own binary, fixed arguments, loopback only
            [
                str(binary),
                "rohstoff.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--timeout",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=str(settings.BASE_DIR),
        )
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=2).read()  # noqa: S310 - loopback
                return process, base
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        process.terminate()
        raise CommandError("gunicorn did not answer on 127.0.0.1 within 30 s")

    def _drive(self, endpoints_users, counts, seconds, workers):
        endpoints, users = endpoints_users
        self.failures: list[str] = []
        cookies = self._cookies(users)
        process, base = self._gunicorn(workers)
        results = {}
        try:
            for _name, who, path in endpoints[:1]:  # warm every worker up (imports)
                for _ in range(2 * workers):
                    self._load(f"{base}{path}", cookies[who], 1, 0.0, _name, once=True)
            for name, who, path in endpoints:
                self._load(f"{base}{path}", cookies[who], workers, 0.0, name, once=True)
                for count in counts:
                    results[(name, count)] = self._load(
                        f"{base}{path}", cookies[who], count, seconds, name
                    )
                    timings = results[(name, count)]
                    self.stdout.write(
                        f"  measured {name} at {count} clients: {len(timings)} requests, "
                        f"p95 {_percentile(timings, 0.95) * 1000:.0f} ms"
                    )
                    self.stdout.flush()
        finally:
            process.terminate()
            process.wait(timeout=30)
        return results

    def _load(self, url, cookie, count, seconds, name, once=False):
        timings: list[float] = []
        errors: list[str] = []
        lock = threading.Lock()
        deadline = time.perf_counter() + seconds

        def client():
            request = urllib.request.Request(  # noqa: S310 - loopback only
                url, headers={"Cookie": cookie, "Host": "127.0.0.1", "Accept-Language": "de"}
            )
            while once or time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                        response.read()
                        status = response.status
                except urllib.error.HTTPError as exc:
                    status = exc.code
                except TimeoutError:
                    status = "timeout"
                elapsed = time.perf_counter() - started
                with lock:
                    if status != 200:
                        errors.append(f"{name}: HTTP {status}")
                        return
                    timings.append(elapsed)
                if once:
                    return
                if elapsed > seconds + 60:  # one request far beyond the window: stop here
                    return

        with ThreadPoolExecutor(max_workers=count) as pool:
            for future in [pool.submit(client) for _ in range(count)]:
                future.result()
        if errors and not once:
            self.failures.append(errors[0])
        if errors or not timings:
            return [float("inf")]
        return timings

    def _report(self, results, counts, lines, member_lines, firms, workers):
        self.stdout.write(
            f"\n{lines:,} lines, {firms:,} firms, the member's firm {member_lines:,} lines; "
            f"gunicorn {workers} sync workers on 127.0.0.1"
        )
        self.stdout.write(
            f"{'endpoint':<28} {'clients':>7} {'requests':>8} {'p50 ms':>8} {'p95 ms':>8} "
            f"{'p95 ratio':>9}"
        )
        names = list(dict.fromkeys(name for name, _count in results))
        floor_name = names[0]
        above = []
        for name in names:
            for count in counts:
                timings = results[(name, count)]
                p50, p95 = statistics.median(timings), _percentile(timings, 0.95)
                ratio = p95 / _percentile(results[(floor_name, count)], 0.95)
                self.stdout.write(
                    f"{name:<28} {count:>7} {len(timings):>8} {p50 * 1000:>8.1f} "
                    f"{p95 * 1000:>8.1f} {ratio:>9.2f}"
                )
                if count == 8 and ratio > TARGET_RATIO:
                    above.append(f"{name} ({ratio:.1f})")
        if self.failures:
            raise CommandError("failed requests: " + "; ".join(self.failures))
        if 8 not in counts:
            return
        if above:
            self.stdout.write(
                self.style.WARNING(
                    f"above {TARGET_RATIO:g}x the minimal page's p95 at 8 clients: "
                    + ", ".join(above)
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS(f"every endpoint within {TARGET_RATIO:g}x at 8 clients")
            )
