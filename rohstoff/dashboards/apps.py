from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "rohstoff.dashboards"
    label = "dashboards"
    verbose_name = _("Dashboards")

    def ready(self):
        from .home_widgets import register_all

        register_all()
