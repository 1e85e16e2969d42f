from django.urls import path

from . import views

app_name = "agency"

urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
]
