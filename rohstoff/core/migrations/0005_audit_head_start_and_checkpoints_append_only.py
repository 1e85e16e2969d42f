from django.db import migrations

# The checkpoints are append-only on PostgreSQL, as the events are (0003).
CREATE = """
CREATE OR REPLACE FUNCTION core_auditcheckpoint_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'core_auditcheckpoint is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS core_auditcheckpoint_append_only ON core_auditcheckpoint;
CREATE TRIGGER core_auditcheckpoint_append_only
    BEFORE UPDATE OR DELETE ON core_auditcheckpoint
    FOR EACH ROW EXECUTE FUNCTION core_auditcheckpoint_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS core_auditcheckpoint_append_only ON core_auditcheckpoint;
DROP FUNCTION IF EXISTS core_auditcheckpoint_append_only();
"""


def forwards(apps, schema_editor):
    # An existing log: its newest event is where the recorded head starts.
    AuditEvent = apps.get_model("core", "AuditEvent")
    AuditHead = apps.get_model("core", "AuditHead")
    last = AuditEvent.objects.order_by("-seq").first()
    if last is not None:
        AuditHead.objects.update_or_create(
            pk=1, defaults={"seq": last.seq, "hash": last.hash, "at": last.at}
        )
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_audit_head_and_checkpoints")]
    operations = [migrations.RunPython(forwards, backwards)]
