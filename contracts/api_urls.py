"""API routes of contracts under /api/v1/."""

from rest_framework.routers import SimpleRouter

from .allocations.api import AllocationViewSet
from .counterparties.api import CounterpartyViewSet
from .deliveries.api import DeliveryViewSet
from .offtakes.api import ContractViewSet
from .prices.api import FxRateViewSet, PriceIndexViewSet

router = SimpleRouter()
router.register("counterparties", CounterpartyViewSet, basename="counterparty")
router.register("contracts", ContractViewSet, basename="contract")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("price-indices", PriceIndexViewSet, basename="price-index")
router.register("fx-rates", FxRateViewSet, basename="fx-rate")
router.register("allocations", AllocationViewSet, basename="allocation")

urlpatterns = router.urls
