from django.urls import include, path

from . import views
from .stockpile.urls import urlpatterns as stockpile_urls

app_name = "agency"

urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
]
urlpatterns += [path("stockpile/", include(stockpile_urls))]
