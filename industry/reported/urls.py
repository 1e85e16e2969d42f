from django.urls import path

from . import views

app_name = "reported"

urlpatterns = [
    path("", views.reported_list, name="list"),
    path("new/", views.reported_create, name="create"),
    path("<int:pk>/edit/", views.reported_edit, name="edit"),
    path("<int:pk>/delete/", views.reported_delete, name="delete"),
]
