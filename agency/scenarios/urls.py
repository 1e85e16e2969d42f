from django.urls import path

from . import views

app_name = "scenarios"

urlpatterns = [
    path("", views.run, name="run"),
    path("export.csv", views.export, name="export"),
    path("save/", views.save, name="save"),
    path("compare/", views.compare, name="compare"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/delete/", views.delete, name="delete"),
]
