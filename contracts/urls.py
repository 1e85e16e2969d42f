from django.urls import path

from .allocations import views as allocations
from .counterparties import views as counterparties
from .dashboards import views as dashboards
from .deliveries import views as deliveries
from .documents import views as documents
from .offtakes import views as offtakes
from .prices import views as prices

app_name = "contracts"

urlpatterns = [
    path("", offtakes.book, name="book"),
    path("new/", offtakes.contract_create, name="create"),
    path("<int:pk>/", offtakes.contract_detail, name="detail"),
    path("<int:pk>/edit/", offtakes.contract_edit, name="edit"),
    path("<int:pk>/transition/", offtakes.contract_transition, name="transition"),
    path("<int:pk>/schedule/", offtakes.schedule_edit, name="schedule"),
    path("<int:pk>/deliveries/new/", deliveries.delivery_create, name="delivery_create"),
    path("<int:pk>/documents/", documents.document_upload, name="document_upload"),
    path("<int:pk>/allocation/", allocations.allocation, name="allocation"),
    path("<int:pk>/allocation/preview/", allocations.allocation_preview, name="allocation_preview"),
    path("deliveries/<int:pk>/", deliveries.delivery_edit, name="delivery_edit"),
    path("documents/<int:pk>/", documents.document_download, name="document"),
    path(
        "allocation-rounds/<int:pk>/release/",
        allocations.allocation_release,
        name="allocation_release",
    ),
    path("allocations/", allocations.my_allocations, name="my_allocations"),
    path(
        "allocations/export.<str:fmt>",
        allocations.my_allocations_export,
        name="my_allocations_export",
    ),
    path("allocations/<int:pk>/", allocations.my_allocation_detail, name="my_allocation"),
    path(
        "allocations/<int:pk>/respond/",
        allocations.my_allocation_respond,
        name="my_allocation_respond",
    ),
    path(
        "allocations/contract/<int:pk>/",
        allocations.my_allocation_answer,
        name="my_allocation_answer",
    ),
    path(
        "allocations/<int:pk>/override/",
        allocations.allocation_override,
        name="allocation_override",
    ),
    path(
        "allocations/<int:pk>/reopen/",
        allocations.allocation_reopen,
        name="allocation_reopen",
    ),
    path("due/", deliveries.due, name="due"),
    path("counterparties/", counterparties.counterparty_list, name="counterparties"),
    path("counterparties/new/", counterparties.counterparty_edit, name="counterparty_create"),
    path(
        "counterparties/<int:pk>/edit/", counterparties.counterparty_edit, name="counterparty_edit"
    ),
    path("prices/", prices.prices, name="prices"),
    path("prices/fx/", prices.fx_rate_add, name="fx_rate_add"),
    path("prices/indices/new/", prices.index_create, name="index_create"),
    path("prices/indices/<int:pk>/", prices.index_detail, name="index"),
    path("prices/indices/<int:pk>/values/", prices.index_value_add, name="index_value_add"),
    path("mark-to-market/", prices.mtm, name="mtm"),
    path("dashboard/", dashboards.dashboard, name="dashboard"),
    path("overview/", dashboards.overview, name="overview"),
]
