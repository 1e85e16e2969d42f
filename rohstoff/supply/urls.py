from django.urls import path, re_path

from . import views

app_name = "supply"

urlpatterns = [
    path("", views.concentration, name="concentration"),
    path("materials/<slug:code>/", views.material_detail, name="material_detail"),
    path("crma/", views.crma, name="crma"),
    re_path(
        r"^export/(?P<kind>concentration|crma|crma-trend|coverage)\.(?P<fmt>csv|xlsx)$",
        views.export,
        name="export",
    ),
    path("briefing/", views.briefing, name="briefing"),
]
