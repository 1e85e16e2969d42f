"""API routes of industry under /api/v1/: rounds, their demand lines, and reported contracts."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .lines.api import DemandLineViewSet
from .reported.api import ReportedContractViewSet
from .rounds.api import RoundViewSet

router = SimpleRouter()
router.register("rounds", RoundViewSet, basename="round")
router.register("reported-contracts", ReportedContractViewSet, basename="reported-contract")

lines = DemandLineViewSet.as_view({"get": "list", "post": "create"})
line = DemandLineViewSet.as_view({"get": "retrieve", "put": "update", "delete": "destroy"})

urlpatterns = [
    *router.urls,
    path("rounds/<int:round_pk>/demand/", lines, name="demand-list"),
    path(
        "rounds/<int:round_pk>/demand/upload/",
        DemandLineViewSet.as_view({"post": "upload"}),
        name="demand-upload",
    ),
    path("rounds/<int:round_pk>/demand/<int:pk>/", line, name="demand-detail"),
    path(
        "rounds/<int:round_pk>/demand/<int:pk>/exclude/",
        DemandLineViewSet.as_view({"post": "exclude"}),
        name="demand-exclude",
    ),
    path(
        "rounds/<int:round_pk>/demand/<int:pk>/restore/",
        DemandLineViewSet.as_view({"post": "restore"}),
        name="demand-restore",
    ),
]
