"""API routes of supply security under /api/v1/."""

from django.urls import path

from . import api

urlpatterns = [
    path("supply/concentration/", api.ConcentrationListView.as_view(), name="api_concentration"),
    path(
        "supply/concentration/<str:code>/",
        api.ConcentrationDetailView.as_view(),
        name="api_concentration_detail",
    ),
    path("supply/crma/", api.CrmaView.as_view(), name="api_crma"),
]
