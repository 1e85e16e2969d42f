"""API routes of tradinghouse under /api/v1/."""

from django.urls import path

from .api import RoundPositionsViewSet

urlpatterns = [
    path(
        "rounds/<int:pk>/positions/",
        RoundPositionsViewSet.as_view({"get": "positions"}),
        name="api_round_positions",
    ),
    path(
        "rounds/<int:pk>/aggregate/",
        RoundPositionsViewSet.as_view({"post": "aggregate"}),
        name="api_round_aggregate",
    ),
]
