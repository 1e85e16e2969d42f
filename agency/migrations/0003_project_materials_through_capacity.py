"""A project's materials get their capacity and start of production: the plain many-to-many
becomes one through ProjectMaterial. Django cannot alter a many-to-many to a through model, so the
rows are copied into ProjectMaterial and the field is removed and added again."""

from django.db import migrations, models


def copy_rows(apps, schema_editor):
    Project = apps.get_model("agency", "Project")
    ProjectMaterial = apps.get_model("agency", "ProjectMaterial")
    rows = [
        ProjectMaterial(project_id=project_id, material_id=material_id)
        for project_id, material_id in Project.materials.through.objects.values_list(
            "project_id", "material_id"
        )
    ]
    ProjectMaterial.objects.bulk_create(rows, ignore_conflicts=True)


def copy_back(apps, schema_editor):
    Project = apps.get_model("agency", "Project")
    ProjectMaterial = apps.get_model("agency", "ProjectMaterial")
    Through = Project.materials.through
    Through.objects.bulk_create(
        [
            Through(project_id=p, material_id=m)
            for p, m in ProjectMaterial.objects.values_list("project_id", "material_id")
        ],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("agency", "0002_projects_stakes_four_eyes_monitoring"),
        ("core", "0007_user_language"),
    ]

    operations = [
        migrations.RunPython(copy_rows, copy_back),
        migrations.RemoveField(model_name="project", name="materials"),
        migrations.AddField(
            model_name="project",
            name="materials",
            field=models.ManyToManyField(
                related_name="projects",
                through="agency.ProjectMaterial",
                to="core.material",
                verbose_name="materials",
            ),
        ),
    ]
