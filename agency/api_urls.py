"""API routes of agency under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet
from .stakes.api import OfftakeRightViewSet, ProposalDocumentViewSet, ProposalViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("agency/proposals", ProposalViewSet, basename="stake-proposal")
router.register("agency/documents", ProposalDocumentViewSet, basename="proposal-document")
router.register("agency/offtake-rights", OfftakeRightViewSet, basename="offtake-right")

urlpatterns = router.urls
