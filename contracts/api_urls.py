"""API routes of contracts under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .api import (
    AllocationViewSet,
    ContractViewSet,
    CounterpartyViewSet,
    DeliveryViewSet,
    FxRateViewSet,
    PriceIndexViewSet,
)

router = SimpleRouter()
router.register("counterparties", CounterpartyViewSet, basename="counterparty")
router.register("contracts", ContractViewSet, basename="contract")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("price-indices", PriceIndexViewSet, basename="price-index")
router.register("fx-rates", FxRateViewSet, basename="fx-rate")
router.register("allocations", AllocationViewSet, basename="allocation")

urlpatterns = router.urls
