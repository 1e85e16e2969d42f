"""A version of the organisations' names, raised by the database whenever a name changes.

Pages that list rows in the order of their firm's name may keep that order (a page's ids) in
the cache under this version: a rename, by any statement, changes the key (the screening's pages,
docs/screening.md). One row; PostgreSQL raises it once per statement that updates a name,
SQLite (the first-run demo) once per renamed row."""

from django.db import migrations

POSTGRESQL = """
CREATE TABLE core_organisationnamesversion (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO core_organisationnamesversion (id, version) VALUES (1, 1);
CREATE FUNCTION core_bump_organisationnamesversion() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE core_organisationnamesversion SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END $$;
CREATE TRIGGER core_organisation_names_version AFTER UPDATE OF name ON core_organisation
    FOR EACH STATEMENT EXECUTE FUNCTION core_bump_organisationnamesversion();
"""

POSTGRESQL_BACK = """
DROP TRIGGER core_organisation_names_version ON core_organisation;
DROP FUNCTION core_bump_organisationnamesversion();
DROP TABLE core_organisationnamesversion;
"""

SQLITE = [
    "CREATE TABLE core_organisationnamesversion (id integer PRIMARY KEY CHECK (id = 1), "
    "version integer NOT NULL)",
    "INSERT INTO core_organisationnamesversion (id, version) VALUES (1, 1)",
    "CREATE TRIGGER core_organisation_names_version AFTER UPDATE OF name ON core_organisation "
    "BEGIN UPDATE core_organisationnamesversion SET version = version + 1 WHERE id = 1; END",
]

SQLITE_BACK = [
    "DROP TRIGGER core_organisation_names_version",
    "DROP TABLE core_organisationnamesversion",
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = schema_editor.connection.ops.prepare_sql_script(POSTGRESQL)
    else:
        statements = SQLITE
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        statements = schema_editor.connection.ops.prepare_sql_script(POSTGRESQL_BACK)
    else:
        statements = SQLITE_BACK
    for statement in statements:
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0008_supplier_kind_and_role"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
