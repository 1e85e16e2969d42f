"""API routes of agency under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet
from .scenarios.api import ScenarioViewSet
from .stockpile.api import MovementViewSet, StockpileViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")

# The stockpile and export-stop scenarios (docs/stockpile.md, docs/scenarios.md).
router.register("stockpile/movements", MovementViewSet, basename="stockpile-movement")
router.register("stockpile", StockpileViewSet, basename="stockpile")
router.register("scenarios", ScenarioViewSet, basename="scenario")

urlpatterns = router.urls
