"""Pages of tradinghouse under /positions/."""

from django.urls import path, re_path

from . import views

app_name = "tradinghouse"

urlpatterns = [
    path("", views.position_overview, name="position_overview"),
    path("rounds/<int:pk>/", views.round_dashboard, name="round_dashboard"),
    path("rounds/<int:pk>/panel/", views.round_panel, name="round_panel"),
    path("rounds/<int:pk>/aggregate/", views.round_aggregate, name="round_aggregate"),
    re_path(
        r"^rounds/(?P<pk>[0-9]+)/export\.(?P<fmt>csv|xlsx)$",
        views.round_export,
        name="round_export",
    ),
]
