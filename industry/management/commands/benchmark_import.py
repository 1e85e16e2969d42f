"""Times the whole demand upload (parse, validate, commit, as a member's upload runs it) against
its keyed floor: PostgreSQL's COPY of the same lines into a table with the demand line's columns,
keys, constraints and foreign keys, committed, for a first upload and for a re-upload that
replaces every line. The bare COPY of the file's text into a seven-column table stays beside it.
docs/benchmarks.md ("Demand import against a keyed COPY") explains the figures."""

from __future__ import annotations

import csv
import datetime
import io
import random
import statistics
import time
import zipfile
from decimal import Decimal
from xml.sax.saxutils import escape

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from industry.models import DemandLine
from industry.rounds import services as round_services
from industry.upload import services as upload_services
from industry.upload.reading import read_demand_file
from industry.upload.validation import COLUMNS
from rohstoff.core.benchmarking import (
    bench_organisation,
    bench_user,
    drop_scratch_rounds,
    keyed_copy_of,
)
from rohstoff.core.models import Material, OrganisationKind, Role
from rohstoff.core.periods import Quarter

COPY_SQL = (
    "COPY benchmark_copy (material, period, quantity, unit, commitment, grade, delivery_country) "
    "FROM STDIN WITH (FORMAT csv, HEADER true)"
)
RUNS = 3
MAX_ROWS = 1_000_000
SCRATCH_TITLE = "Benchmark import scratch round"
KEYED_TABLE = "benchmark_keyed_line"


def demand_csv(rows: int, codes: list[str], seed: int = 2026) -> bytes:
    """``rows`` distinct keys: material x period x grade, quantities in all three units."""
    rng = random.Random(seed)
    periods = [str(y) for y in range(2027, 2032)] + [
        f"{y}-Q{q}" for y in range(2027, 2032) for q in (1, 2, 3, 4)
    ]
    units = ("t", "kg", "lb")
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    per_grade = len(codes) * len(periods)
    for i in range(rows):
        code = codes[i % len(codes)]
        period = periods[(i // len(codes)) % len(periods)]
        unit = units[i % 3]
        quantity = Decimal(rng.randint(1000, 9_000_000)) / 1000
        if unit != "t":
            quantity *= 1000
        commitment = "firm" if i % 4 == 0 else ""  # blank: indicative, as most files write it
        out.write(f"{code},{period},{quantity},{unit},{commitment},spec {i // per_grade},DE\n")
    return out.getvalue().encode()


XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Demand" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}
XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'


def demand_xlsx(csv_data: bytes) -> bytes:
    """The same rows as an XLSX file the way Excel writes one: numbers as numbers (quantities,
    years), texts in the shared-string table, every cell with its reference."""
    strings: dict[str, int] = {}
    sheet = io.StringIO()
    sheet.write(
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    )
    for number, row in enumerate(csv.reader(io.StringIO(csv_data.decode())), start=1):
        sheet.write(f'<row r="{number}" spans="1:{len(row)}">')
        for index, value in enumerate(row):
            ref = f"{chr(65 + index)}{number}"
            if number > 1 and value and value.replace(".", "", 1).isdigit():
                sheet.write(f'<c r="{ref}"><v>{value}</v></c>')
            elif value:
                position = strings.setdefault(value, len(strings))
                sheet.write(f'<c r="{ref}" t="s"><v>{position}</v></c>')
        sheet.write("</row>")
    sheet.write("</sheetData></worksheet>")
    shared = "".join(f"<si><t>{escape(text)}</t></si>" for text in strings)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in XLSX_PARTS.items():
            archive.writestr(name, XML_DECLARATION + xml)
        archive.writestr(
            "xl/sharedStrings.xml",
            XML_DECLARATION
            + '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            f'count="{len(strings)}" uniqueCount="{len(strings)}">{shared}</sst>',
        )
        archive.writestr("xl/worksheets/sheet1.xml", XML_DECLARATION + sheet.getvalue())
    return buffer.getvalue()


class Command(BaseCommand):
    help = (
        "Benchmark the demand upload against PostgreSQL's COPY: writes an N-row CSV, times our upload "
        "service (first upload and re-upload) against a keyed COPY of the same lines, committed "
        "(median of 3 each), and prints import_vs_keyed_copy_ratio."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rows", type=int, default=100_000, help="rows in the generated CSV (default 100000)"
        )
        parser.add_argument(
            "--xlsx",
            action="store_true",
            help="also time the upload of the same rows as an XLSX file, and the reading of each "
            "file alone",
        )

    def handle(self, *args, rows: int, xlsx: bool = False, **options):
        if connection.vendor != "postgresql":
            raise CommandError(
                "benchmark_import measures against PostgreSQL's COPY and refuses to run on SQLite. "
                "Set DATABASE_URL=postgres://... and run it again."
            )
        if rows < 1:
            raise CommandError("--rows must be at least 1.")
        if rows > MAX_ROWS:
            raise CommandError(f"--rows may be at most {MAX_ROWS}.")
        if connection.in_atomic_block:
            # Called inside a transaction (a test): nothing commits, so the deferred foreign keys
            # would never be checked; check them at once so that the timings still include them.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        self._drop_scratch()
        try:
            self._run(rows, xlsx=xlsx)
        finally:
            self._drop_scratch()

    # ---- scratch data (committed: the commit with its deferred key checks is measured) --------

    def _drop_scratch(self) -> None:
        """Remove the scratch rounds with their lines, and the keyed floor's table."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {KEYED_TABLE}")
        drop_scratch_rounds(SCRATCH_TITLE, prefix=True)

    def _keyed_table(self) -> None:
        """A table like the demand lines with the same keys and foreign keys."""
        self._foreign_keys = keyed_copy_of(DemandLine._meta.db_table, KEYED_TABLE)

    def _run(self, rows: int, *, xlsx: bool) -> None:
        organisation = bench_organisation("Benchmark Import GmbH", OrganisationKind.MEMBER)
        desk_org = bench_organisation("Benchmark Handelshaus", OrganisationKind.TRADINGHOUSE)
        member = bench_user("benchmark-member@rohstoff.invalid", organisation, Role.MEMBER)
        desk = bench_user("benchmark-desk@rohstoff.invalid", desk_org, Role.TRADING_DESK)
        materials = list(Material.objects.all())
        data = demand_csv(rows, [m.code for m in materials])
        self.stdout.write(f"rows={rows} file_bytes={len(data)} materials={len(materials)}")
        now = timezone.now()
        rounds = []
        for run in range(RUNS * (2 if xlsx else 1) + 1):
            round = round_services.round_create(
                actor=desk,
                title=f"{SCRATCH_TITLE} {run + 1}",
                materials=materials,
                first_period=Quarter(2027, 1),
                last_period=Quarter(2031, 4),
                opens_at=now - datetime.timedelta(hours=1),
                closes_at=now + datetime.timedelta(days=1),
            )
            round = round_services.round_open(round=round, actor=desk)
            round_services.terms_accept(round=round, actor=member)
            rounds.append(round)
        floor_round, rounds = rounds[-1], rounds[:-1]

        first_times = self._imports(rounds[:RUNS], member, data, "benchmark.csv", rows)
        replace_times = self._imports(
            rounds[:RUNS], member, data, "benchmark.csv", rows, replace=True
        )
        if xlsx:
            xlsx_data = demand_xlsx(data)
            self.stdout.write(f"xlsx_file_bytes={len(xlsx_data)}")
            for name, content in (("csv", data), ("xlsx", xlsx_data)):
                started = time.perf_counter()
                parsed = read_demand_file(content, round=rounds[0])
                elapsed = time.perf_counter() - started
                if not parsed.ok:
                    raise CommandError(f"the {name} file was refused: {parsed.errors[:3]}")
                self.stdout.write(f"{name}_read_and_validate_s={elapsed:.3f}")
            xlsx_times = self._imports(rounds[RUNS:], member, xlsx_data, "benchmark.xlsx", rows)
            self.stdout.write("xlsx import runs (s): " + ", ".join(f"{t:.3f}" for t in xlsx_times))
            self.stdout.write(f"xlsx_import_median_s={statistics.median(xlsx_times):.3f}")

        keyed_first, keyed_replace = self._keyed_copies(data, floor_round, member, rows)
        bare = self._bare_copies(data, rows)

        first, replace = statistics.median(first_times), statistics.median(replace_times)
        floor_first, floor_replace = (
            statistics.median(keyed_first),
            statistics.median(keyed_replace),
        )
        copy_median = statistics.median(bare)
        runs = ", ".join
        self.stdout.write(f"upload, first (s): {runs(f'{t:.3f}' for t in first_times)}")
        self.stdout.write(
            f"upload, replacing every line (s): {runs(f'{t:.3f}' for t in replace_times)}"
        )
        self.stdout.write(
            f"keyed COPY ({self._foreign_keys} foreign keys, committed), first (s): "
            f"{runs(f'{t:.3f}' for t in keyed_first)}"
        )
        self.stdout.write(
            f"keyed COPY, replacing every line (DELETE + COPY, committed) (s): "
            f"{runs(f'{t:.3f}' for t in keyed_replace)}"
        )
        self.stdout.write(f"bare COPY statement: {COPY_SQL}")
        self.stdout.write(f"bare COPY runs (s): {runs(f'{t:.3f}' for t in bare)}")
        self.stdout.write(
            f"import_median_s={first:.3f} replace_median_s={replace:.3f} "
            f"keyed_copy_median_s={floor_first:.3f} keyed_replace_median_s={floor_replace:.3f} "
            f"copy_median_s={copy_median:.3f}"
        )
        self.stdout.write(
            f"import_vs_copy_ratio={first / copy_median:.2f} (bare COPY, not the floor)"
        )
        self.stdout.write(
            f"import_vs_keyed_copy_ratio_first={first / floor_first:.2f} "
            f"import_vs_keyed_copy_ratio_replace={replace / floor_replace:.2f} (targets <= 2)"
        )
        self.stdout.write(
            f"import_vs_keyed_copy_ratio={max(first / floor_first, replace / floor_replace):.2f}"
        )

    def _keyed_copies(self, data: bytes, round, member, rows: int) -> tuple[list, list]:
        """The floor: the same lines (as our upload stores them: ids resolved, tonnes computed,
        outside the timing) COPYed into a keyed table and committed; then replaced in full."""
        parsed = read_demand_file(data, round=round)
        if not parsed.ok:
            raise CommandError(f"the benchmark file was refused: {parsed.errors[:3]}")
        now = timezone.now().isoformat()
        body = upload_services.staging_csv(
            parsed,
            before=(round.pk, member.organisation_id),
            after=(member.pk, now, now, 1, "f", ""),
        )
        copy_sql = (
            f"COPY {KEYED_TABLE} ({', '.join(upload_services.LINE_COPY_COLUMNS)}) FROM STDIN "
            "WITH (FORMAT csv, FORCE_NOT_NULL (grade, exclusion_reason))"
        )
        self._keyed_table()
        first, replace = [], []
        with connection.cursor() as cursor:
            for _run in range(RUNS):
                cursor.execute(f"TRUNCATE {KEYED_TABLE}")
                started = time.perf_counter()
                with transaction.atomic(), cursor.copy(copy_sql) as copy:
                    copy.write(body)
                first.append(time.perf_counter() - started)
                started = time.perf_counter()
                with transaction.atomic():
                    cursor.execute(
                        f"DELETE FROM {KEYED_TABLE} WHERE round_id = %s AND organisation_id = %s",  # noqa: S608 - a constant name
                        [round.pk, member.organisation_id],
                    )
                    with cursor.copy(copy_sql) as copy:
                        copy.write(body)
                replace.append(time.perf_counter() - started)
            cursor.execute(f"SELECT count(*) FROM {KEYED_TABLE}")  # noqa: S608 - a constant
            copied = cursor.fetchone()[0]
        if copied != rows:
            raise CommandError(f"the keyed COPY holds {copied} lines, expected {rows}")
        self.stdout.write(f"keyed COPY statement: {copy_sql}")
        return first, replace

    def _bare_copies(self, data: bytes, rows: int) -> list[float]:
        times = []
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TEMPORARY TABLE benchmark_copy (material text, period text, quantity numeric, unit text, "
                "commitment text, grade text, delivery_country text)"
            )
            for _run in range(RUNS):
                cursor.execute("TRUNCATE benchmark_copy")
                started = time.perf_counter()
                with cursor.copy(COPY_SQL) as copy:
                    copy.write(data)
                times.append(time.perf_counter() - started)
            cursor.execute("SELECT count(*) FROM benchmark_copy")
            copied = cursor.fetchone()[0]
            cursor.execute("DROP TABLE benchmark_copy")
        if copied != rows:
            raise CommandError(f"COPY loaded {copied} rows, expected {rows}")
        return times

    def _imports(
        self, rounds, member, data: bytes, filename: str, rows: int, replace: bool = False
    ) -> list[float]:
        """The whole upload into each of ``rounds``, committed: into fresh rounds (every line is
        new), or with ``replace`` into rounds that hold the same keys (every line is replaced)."""
        times = []
        for round in rounds:
            started = time.perf_counter()
            result = upload_services.demand_import(
                round=round, actor=member, data=data, filename=filename
            )
            times.append(time.perf_counter() - started)
            if result.errors:
                raise CommandError(f"the benchmark file was refused: {result.errors[:3]}")
            if (result.replaced if replace else result.created) != rows:
                raise CommandError(
                    f"expected {rows} {'replaced' if replace else 'new'} lines, got {result}"
                )
        return times
