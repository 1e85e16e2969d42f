"""API routes of the market under /api/v1/market/."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import CallViewSet, MatchViewSet, OfferViewSet

router = SimpleRouter()
router.register("calls", CallViewSet, basename="market-call")
router.register("offers", OfferViewSet, basename="market-offer")
router.register("matches", MatchViewSet, basename="market-match")

urlpatterns = [path("market/", include(router.urls))]
