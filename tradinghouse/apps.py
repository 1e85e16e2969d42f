from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The sidebar's section and link (rohstoff/navigation.py); translated in this app's catalogue.
POSITIONS_SECTION = _("Positions")
POSITIONS_LINK = _("Procurement positions")
POSITIONS_DESCRIPTION = _(
    "Pooled demand per material and quarter, with contracted supply and disclosure control."
)


class TradinghouseConfig(AppConfig):
    name = "tradinghouse"
    verbose_name = _("Trading house")

    def ready(self):
        from industry.signals import reported_contracts_changed, round_closed
        from rohstoff.core import capabilities

        from . import policy
        from .receivers import aggregate_closed_round, refresh_for_reported_contracts

        capabilities.register("tradinghouse", policy.capabilities)

        round_closed.connect(
            aggregate_closed_round, dispatch_uid="tradinghouse.aggregate_closed_round"
        )
        reported_contracts_changed.connect(
            refresh_for_reported_contracts,
            dispatch_uid="tradinghouse.refresh_for_reported_contracts",
        )
