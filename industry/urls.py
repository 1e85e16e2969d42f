from django.urls import path, re_path

from . import views

app_name = "industry"

urlpatterns = [
    path("", views.round_list, name="round_list"),
    path("new/", views.round_create, name="round_create"),
    path("<int:pk>/", views.round_detail, name="round_detail"),
    path("<int:pk>/edit/", views.round_edit, name="round_edit"),
    path("<int:pk>/open/", views.round_open, name="round_open"),
    path("<int:pk>/close/", views.round_close, name="round_close"),
    path("<int:pk>/reopen/", views.round_reopen, name="round_reopen"),
    path("<int:pk>/terms/", views.round_terms, name="round_terms"),
    path("<int:pk>/demand/", views.demand_grid, name="demand_grid"),
    path("<int:pk>/demand/table/", views.lines_table, name="lines_table"),
    path("<int:pk>/demand/<int:line_pk>/edit/", views.line_edit, name="line_edit"),
    path("<int:pk>/demand/<int:line_pk>/withdraw/", views.line_withdraw, name="line_withdraw"),
    path("<int:pk>/demand/upload/", views.demand_upload, name="demand_upload"),
    path("<int:pk>/demand/uploads/<uuid:upload_pk>/", views.upload_preview, name="upload_preview"),
    path(
        "<int:pk>/demand/uploads/<uuid:upload_pk>/errors.csv",
        views.upload_errors,
        name="upload_errors",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/demand/template\.(?P<fmt>csv|xlsx)$",
        views.demand_template,
        name="demand_template",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/demand/export\.(?P<fmt>csv|xlsx)$",
        views.demand_export,
        name="demand_export",
    ),
    path("<int:pk>/screening/", views.screening, name="screening"),
    path("<int:pk>/screening/<int:line_pk>/exclude/", views.line_exclude, name="line_exclude"),
    path("<int:pk>/screening/<int:line_pk>/restore/", views.line_restore, name="line_restore"),
]
