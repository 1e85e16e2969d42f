from django.urls import path

from . import views

app_name = "contracts"

urlpatterns = [
    path("", views.book, name="book"),
    path("new/", views.contract_create, name="create"),
    path("<int:pk>/", views.contract_detail, name="detail"),
    path("<int:pk>/edit/", views.contract_edit, name="edit"),
    path("<int:pk>/transition/", views.contract_transition, name="transition"),
    path("<int:pk>/schedule/", views.schedule_edit, name="schedule"),
    path("<int:pk>/deliveries/new/", views.delivery_create, name="delivery_create"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("<int:pk>/allocation/", views.allocation, name="allocation"),
    path("<int:pk>/allocation/preview/", views.allocation_preview, name="allocation_preview"),
    path("deliveries/<int:pk>/", views.delivery_edit, name="delivery_edit"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path(
        "allocation-rounds/<int:pk>/release/", views.allocation_release, name="allocation_release"
    ),
    path("allocations/", views.my_allocations, name="my_allocations"),
    path("allocations/export.<str:fmt>", views.my_allocations_export, name="my_allocations_export"),
    path("allocations/<int:pk>/", views.my_allocation_detail, name="my_allocation"),
    path(
        "allocations/<int:pk>/respond/", views.my_allocation_respond, name="my_allocation_respond"
    ),
    path("allocations/<int:pk>/override/", views.allocation_override, name="allocation_override"),
    path("due/", views.due, name="due"),
    path("counterparties/", views.counterparty_list, name="counterparties"),
    path("counterparties/new/", views.counterparty_edit, name="counterparty_create"),
    path("counterparties/<int:pk>/edit/", views.counterparty_edit, name="counterparty_edit"),
    path("prices/", views.prices, name="prices"),
    path("prices/fx/", views.fx_rate_add, name="fx_rate_add"),
    path("prices/indices/new/", views.index_create, name="index_create"),
    path("prices/indices/<int:pk>/", views.index_detail, name="index"),
    path("prices/indices/<int:pk>/values/", views.index_value_add, name="index_value_add"),
    path("mark-to-market/", views.mtm, name="mtm"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("overview/", views.overview, name="overview"),
]
