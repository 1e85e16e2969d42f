from django.contrib import admin

from .models import Project


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "operator", "country", "stage"]
    list_filter = ["stage", "country"]
    search_fields = ["name", "operator"]
    filter_horizontal = ["materials"]
