from django.urls import path

from . import views

app_name = "market"

urlpatterns = [
    path("", views.call_list, name="calls"),
    path("new/", views.call_create, name="call_create"),
    path("<int:pk>/", views.call_detail, name="call"),
    path("<int:pk>/sheet.<str:fmt>", views.call_sheet_export, name="call_export"),
    path("<int:pk>/offers/", views.offer_list, name="offers"),
    path("<int:pk>/offers/new/", views.offer_create, name="offer_create"),
    path("<int:pk>/offers/upload/", views.offer_upload, name="offer_upload"),
    path("<int:pk>/review/", views.review, name="review"),
    path("<int:pk>/match/", views.match_start, name="match"),
    path("<int:pk>/result/", views.my_result, name="my_result"),
    path("<int:pk>/dashboard/", views.dashboard, name="dashboard"),
    path("<int:pk>/dashboard.<str:fmt>", views.dashboard_export, name="dashboard_export"),
    path("offers/<int:pk>/", views.offer_detail, name="offer"),
    path("offers/<int:pk>/edit/", views.offer_edit, name="offer_edit"),
    path("offers/<int:pk>/withdraw/", views.offer_withdraw, name="offer_withdraw"),
    path("offers/<int:pk>/documents/", views.offer_document_upload, name="offer_document_upload"),
    path("documents/<int:pk>/", views.offer_document, name="document"),
    path("matches/<int:pk>/adjust/", views.allocation_adjust, name="adjust"),
    path("results/<int:pk>/contract/", views.result_contract, name="result_contract"),
]
