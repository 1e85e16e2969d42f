"""The REST API: ``/api/v1/`` routes of every app, and the OpenAPI schema and docs."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from rohstoff.core.access import PUBLIC
from rohstoff.core.api_views import MaterialViewSet


class _Public:
    access_policy = PUBLIC
    authentication_classes = []


class SchemaView(_Public, SpectacularAPIView):
    pass


class SwaggerView(_Public, SpectacularSwaggerView):
    """Swagger UI from the sidecar package; templates/drf_spectacular/swagger_ui.html gives its
    init script the CSP nonce. (Redoc is not offered: it injects inline styles, which our CSP
    refuses.)"""


router = DefaultRouter()
router.include_root_view = False
router.register("materials", MaterialViewSet, basename="material")

urlpatterns = [
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("rohstoff.core.api_urls")),
    path("api/v1/", include("industry.api_urls")),
    path("api/v1/", include("tradinghouse.api_urls")),
    path("api/v1/", include("contracts.api_urls")),
    path("api/v1/", include("agency.api_urls")),
    path("api/v1/", include("rohstoff.supply.api_urls")),
    path("api/v1/", include("market.api_urls")),
    path("api/schema/", SchemaView.as_view(), name="api_schema"),
    path("api/docs/", SwaggerView.as_view(url_name="api_schema"), name="api_docs"),
]
