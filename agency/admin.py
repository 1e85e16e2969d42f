from django.contrib import admin

from .models import EsgCheck, Project, ProjectMaterial


# Stacked, not tabular: Django's tabular inline heads its first column with an empty header cell,
# which screen readers announce as nothing (axe: empty-table-header; docs/page-sweep.md).
class ProjectMaterialInline(admin.StackedInline):
    model = ProjectMaterial
    extra = 0


class EsgCheckInline(admin.StackedInline):
    model = EsgCheck
    extra = 0
    readonly_fields = ["assessed_by", "assessed_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "country", "stage", "crma_strategic"]
    list_filter = ["stage", "country", "crma_strategic"]
    search_fields = ["name", "operator"]
    inlines = [ProjectMaterialInline, EsgCheckInline]
