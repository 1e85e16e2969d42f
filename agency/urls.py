from django.urls import path

from .monitoring import views as monitoring_views
from .portfolio import views as portfolio_views
from .projects import views as project_views

app_name = "agency"

urlpatterns = [
    path("projects/", project_views.project_list, name="projects"),
    path("projects/new/", project_views.project_edit, name="project_new"),
    path("projects/<int:pk>/", project_views.project_detail, name="project"),
    path("projects/<int:pk>/edit/", project_views.project_edit, name="project_edit"),
    path("projects/<int:pk>/esg/", project_views.project_esg, name="project_esg"),
    path("portfolio/", portfolio_views.portfolio, name="portfolio"),
    path("offtake-rights/", portfolio_views.offtake_rights, name="offtake_rights"),
    path(
        "stakes/<int:pk>/monitoring/",
        monitoring_views.stake_monitoring,
        name="stake_monitoring",
    ),
]
