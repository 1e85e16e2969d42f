# A share's contract is its round's: the pair (allocation_round_id, contract_id) refers to the
# round's own (id, contract_id). Django models single-column foreign keys only, so the composite
# key is written here: on PostgreSQL a foreign key, deferred as Django makes its own; on SQLite
# (the first-run demo) triggers refuse the same rows. It also makes the contract column's own
# foreign key redundant (the round's contract exists), so that one goes. docs/allocation.md,
# "Preview, override, release". A later migration that makes SQLite rebuild contracts_allocation
# drops the triggers with the old table and must create them again
# (tests/contracts/test_allocation_keys.py fails on SQLite without them).

import django.db.models.deletion
from django.db import migrations, models

POSTGRESQL_SQL = [
    "ALTER TABLE contracts_allocation ADD CONSTRAINT allocation_contract_of_its_round "
    "FOREIGN KEY (allocation_round_id, contract_id) "
    "REFERENCES contracts_allocationround (id, contract_id) DEFERRABLE INITIALLY DEFERRED",
]
POSTGRESQL_DROP = [
    "ALTER TABLE contracts_allocation DROP CONSTRAINT allocation_contract_of_its_round",
]
_SQLITE_CHECK = (
    "WHEN NOT EXISTS (SELECT 1 FROM contracts_allocationround r "
    "WHERE r.id = NEW.allocation_round_id AND r.contract_id = NEW.contract_id) "
    "BEGIN SELECT RAISE(ABORT, 'FOREIGN KEY constraint failed: "
    "allocation_contract_of_its_round'); END"
)
SQLITE_SQL = [
    "CREATE TRIGGER allocation_contract_of_its_round_insert BEFORE INSERT ON "
    f"contracts_allocation {_SQLITE_CHECK}",
    "CREATE TRIGGER allocation_contract_of_its_round_update BEFORE UPDATE OF "
    f"allocation_round_id, contract_id ON contracts_allocation {_SQLITE_CHECK}",
]
SQLITE_DROP = [
    "DROP TRIGGER allocation_contract_of_its_round_update",
    "DROP TRIGGER allocation_contract_of_its_round_insert",
]


def _run(schema_editor, postgresql: list[str], sqlite: list[str]) -> None:
    vendor = schema_editor.connection.vendor
    statements = {"postgresql": postgresql, "sqlite": sqlite}.get(vendor, [])
    for statement in statements:
        schema_editor.execute(statement, params=None)


def add_key(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_SQL, SQLITE_SQL)


def drop_key(apps, schema_editor):
    _run(schema_editor, POSTGRESQL_DROP, SQLITE_DROP)


class Migration(migrations.Migration):

    dependencies = [
        ("contracts", "0006_allocation_indexes_covered_by_composites"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="allocationround",
            constraint=models.UniqueConstraint(
                fields=("id", "contract"), name="allocation_round_contract"
            ),
        ),
        # The composite key covers the contract column: its own foreign key goes.
        migrations.AlterField(
            model_name="allocation",
            name="contract",
            field=models.ForeignKey(
                db_constraint=False,
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="allocations",
                to="contracts.offtakecontract",
            ),
        ),
        migrations.RunPython(add_key, drop_key),
    ]
