"""API routes of agency under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet
from .scenarios.api import ScenarioViewSet
from .stakes.api import OfftakeRightViewSet, ProposalDocumentViewSet, ProposalViewSet
from .stockpile.api import MovementViewSet, StockpileViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("agency/proposals", ProposalViewSet, basename="stake-proposal")
router.register("agency/documents", ProposalDocumentViewSet, basename="proposal-document")
router.register("agency/offtake-rights", OfftakeRightViewSet, basename="offtake-right")

# The stockpile and export-stop scenarios (docs/stockpile.md, docs/scenarios.md).
router.register("stockpile/movements", MovementViewSet, basename="stockpile-movement")
router.register("stockpile", StockpileViewSet, basename="stockpile")
router.register("scenarios", ScenarioViewSet, basename="scenario")

urlpatterns = router.urls
