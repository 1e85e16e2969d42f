"""The screening's stored statistics and its order (docs/screening.md).

``industry_lineversion`` holds, per round, a number that changes in the same transaction as any
INSERT, UPDATE or DELETE of the round's demand lines, whichever code runs it (services, bulk
imports, raw SQL): three statement-level triggers set it from a global sequence, so a number is
never used twice. Statistics derived from a round's lines are stored under that number and can
therefore never be read after the lines changed. The row lock the triggers take serialises
concurrent line writes of one round until they commit; that ordering is what makes the number
trustworthy.

SQLite (the first-run demo) has neither sequences nor statement-level triggers: there, row-level
triggers give the round the highest version plus one, which serves the same purpose for a
single-process demo."""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE SEQUENCE industry_lineversion_seq;
CREATE TABLE industry_lineversion (
    round_id bigint PRIMARY KEY,
    version bigint NOT NULL
);
CREATE FUNCTION industry_bump_lineversion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT DISTINCT round_id FROM changed_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
-- An update bumps the rounds of the old and the new rows (lines never move, but if one did, both
-- rounds' statistics would change).
CREATE FUNCTION industry_bump_lineversion_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT round_id FROM changed_lines UNION SELECT round_id FROM old_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
CREATE TRIGGER industry_demandline_version_insert AFTER INSERT ON industry_demandline
    REFERENCING NEW TABLE AS changed_lines
    FOR EACH STATEMENT EXECUTE FUNCTION industry_bump_lineversion();
CREATE TRIGGER industry_demandline_version_update AFTER UPDATE ON industry_demandline
    REFERENCING OLD TABLE AS old_lines NEW TABLE AS changed_lines
    FOR EACH STATEMENT EXECUTE FUNCTION industry_bump_lineversion_update();
CREATE TRIGGER industry_demandline_version_delete AFTER DELETE ON industry_demandline
    REFERENCING OLD TABLE AS changed_lines
    FOR EACH STATEMENT EXECUTE FUNCTION industry_bump_lineversion();
"""

DROP_SQL = """
DROP TRIGGER industry_demandline_version_delete ON industry_demandline;
DROP TRIGGER industry_demandline_version_update ON industry_demandline;
DROP TRIGGER industry_demandline_version_insert ON industry_demandline;
DROP FUNCTION industry_bump_lineversion_update();
DROP FUNCTION industry_bump_lineversion();
DROP TABLE industry_lineversion;
DROP SEQUENCE industry_lineversion_seq;
"""

# One statement each (SQLite executes one at a time; a trigger's body is part of its statement).
_SQLITE_BUMP = (
    "INSERT INTO industry_lineversion (round_id, version) VALUES ({row}.round_id, "
    "(SELECT COALESCE(MAX(version), 0) + 1 FROM industry_lineversion)) "
    "ON CONFLICT(round_id) DO UPDATE SET version = excluded.version;"
)
SQLITE_SQL = [
    "CREATE TABLE industry_lineversion (round_id integer PRIMARY KEY, version integer NOT NULL)",
    "CREATE TRIGGER industry_demandline_version_insert AFTER INSERT ON industry_demandline "
    f"BEGIN {_SQLITE_BUMP.format(row='NEW')} END",
    "CREATE TRIGGER industry_demandline_version_update AFTER UPDATE ON industry_demandline "
    f"BEGIN {_SQLITE_BUMP.format(row='OLD')} {_SQLITE_BUMP.format(row='NEW')} END",
    "CREATE TRIGGER industry_demandline_version_delete AFTER DELETE ON industry_demandline "
    f"BEGIN {_SQLITE_BUMP.format(row='OLD')} END",
]
SQLITE_DROP = [
    "DROP TRIGGER industry_demandline_version_delete",
    "DROP TRIGGER industry_demandline_version_update",
    "DROP TRIGGER industry_demandline_version_insert",
    "DROP TABLE industry_lineversion",
]


def _run(schema_editor, postgresql: str, other: list[str]) -> None:
    if schema_editor.connection.vendor == "postgresql":
        statements = schema_editor.connection.ops.prepare_sql_script(postgresql)
    else:
        statements = other
    for statement in statements:
        schema_editor.execute(statement, params=None)


def create_versions(apps, schema_editor):
    _run(schema_editor, TRIGGER_SQL, SQLITE_SQL)


def drop_versions(apps, schema_editor):
    _run(schema_editor, DROP_SQL, SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [
        ("industry", "0005_lines_foreign_keys_restored"),
    ]

    operations = [
        migrations.RunPython(create_versions, drop_versions),
        migrations.AddIndex(
            model_name="demandline",
            index=models.Index(
                fields=["round", "material", "first_quarter"],
                include=["organisation", "is_year", "id"],
                name="line_screening_order",
            ),
        ),
    ]
