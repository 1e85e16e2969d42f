from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TradinghouseConfig(AppConfig):
    name = "tradinghouse"
    verbose_name = _("Trading house")
