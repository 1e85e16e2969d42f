from django.urls import path

from .api_views import JobView

urlpatterns = [
    path("jobs/<uuid:pk>/", JobView.as_view(), name="api_job"),
]
