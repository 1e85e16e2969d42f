from django.urls import path

from . import views

# Included by agency/urls.py under agency/stockpile/ (namespace "agency").
urlpatterns = [
    path("", views.overview, name="stockpile"),
    path("targets/", views.target_set, name="stockpile_target"),
    path("locations/", views.location_create, name="stockpile_location"),
    path("movements/", views.movements, name="stockpile_movements"),
    path("releases/", views.releases, name="stockpile_releases"),
    path("releases/<int:pk>/", views.release_detail, name="stockpile_release"),
    path("releases/<int:pk>/approve/", views.release_approve, name="stockpile_release_approve"),
    path("releases/<int:pk>/reject/", views.release_reject, name="stockpile_release_reject"),
    path("releases/<int:pk>/change/", views.release_change, name="stockpile_release_change"),
    path("releases/<int:pk>/withdraw/", views.release_withdraw, name="stockpile_release_withdraw"),
    path("bands/", views.bands, name="stockpile_bands"),
    path("bands.csv", views.bands_export, name="stockpile_bands_csv"),
]
