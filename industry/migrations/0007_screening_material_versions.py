"""A lines version per round *and material* beside the round's (docs/screening.md).

The screening stores its medians and counts per material under the version of that material's
lines in the round, so that a write of one material's lines (an exclusion, a firm's change)
recomputes that material's figures only, not the round's million lines. The same triggers as in
``0006`` set both versions in the writing statement's transaction, from the same sequence
(PostgreSQL) or as the highest plus one (SQLite, the first-run demo)."""

from django.db import migrations

POSTGRESQL = """
CREATE TABLE industry_linematerialversion (
    round_id bigint NOT NULL,
    material_id bigint NOT NULL,
    version bigint NOT NULL,
    PRIMARY KEY (round_id, material_id)
);
-- Every material that has lines gets a version now: the screening reads which materials to
-- look at from these rows.
INSERT INTO industry_linematerialversion (round_id, material_id, version)
SELECT round_id, material_id, nextval('industry_lineversion_seq')
  FROM (SELECT DISTINCT round_id, material_id FROM industry_demandline) AS r;
CREATE OR REPLACE FUNCTION industry_bump_lineversion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT DISTINCT round_id FROM changed_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    INSERT INTO industry_linematerialversion AS v (round_id, material_id, version)
    SELECT round_id, material_id, nextval('industry_lineversion_seq')
      FROM (SELECT DISTINCT round_id, material_id FROM changed_lines) AS r
        ON CONFLICT (round_id, material_id)
        DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION industry_bump_lineversion_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT round_id FROM changed_lines UNION SELECT round_id FROM old_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    INSERT INTO industry_linematerialversion AS v (round_id, material_id, version)
    SELECT round_id, material_id, nextval('industry_lineversion_seq')
      FROM (SELECT round_id, material_id FROM changed_lines
            UNION SELECT round_id, material_id FROM old_lines) AS r
        ON CONFLICT (round_id, material_id)
        DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
"""

POSTGRESQL_BACK = """
CREATE OR REPLACE FUNCTION industry_bump_lineversion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT DISTINCT round_id FROM changed_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
CREATE OR REPLACE FUNCTION industry_bump_lineversion_update() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO industry_lineversion AS v (round_id, version)
    SELECT round_id, nextval('industry_lineversion_seq')
      FROM (SELECT round_id FROM changed_lines UNION SELECT round_id FROM old_lines) AS r
        ON CONFLICT (round_id) DO UPDATE SET version = nextval('industry_lineversion_seq');
    RETURN NULL;
END $$;
DROP TABLE industry_linematerialversion;
"""

_ROUND = (
    "INSERT INTO industry_lineversion (round_id, version) VALUES ({row}.round_id, "
    "(SELECT COALESCE(MAX(version), 0) + 1 FROM industry_lineversion)) "
    "ON CONFLICT(round_id) DO UPDATE SET version = excluded.version;"
)
_MATERIAL = (
    "INSERT INTO industry_linematerialversion (round_id, material_id, version) "
    "VALUES ({row}.round_id, {row}.material_id, "
    "(SELECT COALESCE(MAX(version), 0) + 1 FROM industry_lineversion)) "
    "ON CONFLICT(round_id, material_id) DO UPDATE SET version = excluded.version;"
)
_TRIGGERS = (
    ("insert", "INSERT", ("NEW",)),
    ("update", "UPDATE", ("OLD", "NEW")),
    ("delete", "DELETE", ("OLD",)),
)


def _sqlite_triggers(with_material: bool) -> list[str]:
    statements = []
    for name, event, rows in _TRIGGERS:
        # The material's version first: it reads the highest round version before the round's
        # is raised, and is then as new as the round's was before this write plus one.
        body = "".join(
            (_MATERIAL.format(row=row) if with_material else "") + _ROUND.format(row=row)
            for row in rows
        )
        statements += [
            f"DROP TRIGGER industry_demandline_version_{name}",
            f"CREATE TRIGGER industry_demandline_version_{name} AFTER {event} ON "
            f"industry_demandline BEGIN {body} END",
        ]
    return statements


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = schema_editor.connection.ops.prepare_sql_script(POSTGRESQL)
    else:
        statements = [
            "CREATE TABLE industry_linematerialversion (round_id integer NOT NULL, "
            "material_id integer NOT NULL, version integer NOT NULL, "
            "PRIMARY KEY (round_id, material_id))",
            "INSERT INTO industry_linematerialversion (round_id, material_id, version) "
            "SELECT DISTINCT round_id, material_id, 1 FROM industry_demandline",
            *_sqlite_triggers(with_material=True),
        ]
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = schema_editor.connection.ops.prepare_sql_script(POSTGRESQL_BACK)
    else:
        statements = [
            *_sqlite_triggers(with_material=False),
            "DROP TABLE industry_linematerialversion",
        ]
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("industry", "0006_screening_lines_version_and_order_index"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
