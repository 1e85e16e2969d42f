"""API routes of agency under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet
from .monitoring.api import MonitoringReportViewSet
from .portfolio.api import PortfolioView
from .stakes.api import OfftakeRightViewSet, ProposalDocumentViewSet, ProposalViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("agency/proposals", ProposalViewSet, basename="stake-proposal")
router.register("agency/documents", ProposalDocumentViewSet, basename="proposal-document")
router.register("agency/offtake-rights", OfftakeRightViewSet, basename="offtake-right")
router.register("agency/monitoring-reports", MonitoringReportViewSet, basename="monitoring-report")

urlpatterns = [
    path("agency/portfolio/", PortfolioView.as_view(), name="api_portfolio"),
    *router.urls,
]
