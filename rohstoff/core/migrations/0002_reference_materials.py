from django.db import migrations


def load(apps, schema_editor):
    from rohstoff.core.reference import load_materials

    load_materials(apps.get_model("core", "Material"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
