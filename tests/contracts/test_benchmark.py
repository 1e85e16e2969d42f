"""benchmark_allocation: exact sum, caps and lots, and the time it took."""

from django.core.management import call_command


def test_benchmark_allocation_checks_and_reports(capsys):
    call_command("benchmark_allocation", firms=5000)
    out = capsys.readouterr().out
    assert "5000 firms" in out and " ms" in out
    assert "exact sum, every firm within its demand and in whole lots" in out


def test_benchmark_allocation_with_a_surplus(capsys):
    call_command("benchmark_allocation", firms=50, coverage="1.5", lot="0.5")
    assert "exact sum" in capsys.readouterr().out
