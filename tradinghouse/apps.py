from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradinghouseConfig(AppConfig):
    name = "tradinghouse"
    verbose_name = _("Trading house")

    def ready(self):
        from industry.signals import round_closed

        from .receivers import aggregate_closed_round

        round_closed.connect(
            aggregate_closed_round, dispatch_uid="tradinghouse.aggregate_closed_round"
        )
