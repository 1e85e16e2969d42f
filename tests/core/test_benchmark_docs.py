"""What docs/benchmarks.md says about the benchmark commands and the database they need."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection


@pytest.mark.parametrize(
    ("command", "option"), [("benchmark_import", "rows"), ("benchmark_aggregation", "lines")]
)
def test_the_database_benchmarks_refuse_sqlite_with_a_message(command, option, monkeypatch):
    monkeypatch.setattr(connection, "vendor", "sqlite")
    with pytest.raises(CommandError, match="PostgreSQL"):
        call_command(command, **{option: 10})


def test_the_allocation_rule_alone_needs_no_database(capsys):
    # No database fixture: pytest-django refuses any query, so this passes only without one.
    call_command("benchmark_allocation", firms=20, rule_only=True)
    assert "exact sum" in capsys.readouterr().out
