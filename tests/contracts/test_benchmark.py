"""benchmark_allocation: exact sum, caps and lots, and the time it took; the real preview
service and a decline at a small size, with their data rolled back."""

from django.core.management import call_command
from django.db import connection

from contracts.models import Allocation, AllocationRound


def test_benchmark_allocation_checks_and_reports(capsys):
    call_command("benchmark_allocation", firms=5000, rule_only=True)
    out = capsys.readouterr().out
    assert "5000 firms" in out and " ms" in out
    assert "exact sum, every firm within its demand and in whole lots" in out


def test_benchmark_allocation_with_a_surplus(capsys):
    call_command("benchmark_allocation", firms=50, coverage="1.5", lot="0.5", rule_only=True)
    assert "exact sum" in capsys.readouterr().out


def test_benchmark_allocation_runs_the_preview_service(db, capsys):
    call_command("benchmark_allocation", firms=40, quarters=3)
    out = capsys.readouterr().out
    assert "allocation_preview: 40 firms x 3 quarters = 120 shares" in out
    assert "preview_vs_1s_ratio=" in out and "decline redistribution to" in out
    # The floor is the same 120 rows with the table's five foreign keys, and it is gone after.
    assert "COPY of the same 120 rows" in out and "5 foreign keys" in out
    assert "preview_vs_keyed_copy_ratio=" in out
    # The desk's page of the draft (it fails the command if it shows another number of shares)
    # and the release, with two members a firm told by mail.
    assert "desk's allocation page of the draft" in out
    assert "release to 40 firms, mail queued to 80 members" in out
    assert not Allocation.objects.exists() and not AllocationRound.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('benchmark_keyed_allocation')")
        assert cursor.fetchone()[0] is None
