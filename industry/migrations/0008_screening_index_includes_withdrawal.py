"""The screening index also holds the withdrawal time, so that the desk's API list of a whole
round finds a page's ids without reading the table (docs/benchmarks.md, fourth session)."""

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0009_organisation_names_version'),
        ('industry', '0007_screening_material_versions'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='demandline',
            name='line_screening_order',
        ),
        migrations.AddIndex(
            model_name='demandline',
            index=models.Index(fields=['round', 'material', 'first_quarter'], include=('organisation', 'is_year', 'id', 'withdrawn_at'), name='line_screening_order'),
        ),
    ]
