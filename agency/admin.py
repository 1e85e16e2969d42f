from django.contrib import admin

from .models import EsgCheck, Project, ProjectMaterial


class ProjectMaterialInline(admin.TabularInline):
    model = ProjectMaterial
    extra = 0


class EsgCheckInline(admin.TabularInline):
    model = EsgCheck
    extra = 0
    readonly_fields = ["assessed_by", "assessed_at"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "country", "stage", "crma_strategic"]
    list_filter = ["stage", "country", "crma_strategic"]
    search_fields = ["name", "operator"]
    inlines = [ProjectMaterialInline, EsgCheckInline]
