"""API routes of agency under /api/v1/."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet
from .monitoring.api import MonitoringReportViewSet
from .portfolio.api import PortfolioView

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")
router.register("monitoring-reports", MonitoringReportViewSet, basename="monitoring-report")

urlpatterns = [
    path("portfolio/", PortfolioView.as_view(), name="api_portfolio"),
    *router.urls,
]
