"""API routes of agency under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import ProjectViewSet

router = SimpleRouter()
router.register("projects", ProjectViewSet, basename="project")

urlpatterns = router.urls
