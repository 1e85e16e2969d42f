from django.urls import path, re_path

from .demandexport import views as demandexport
from .lines import views as lines
from .rounds import views as rounds
from .upload import views as upload

app_name = "industry"

urlpatterns = [
    path("", rounds.round_list, name="round_list"),
    path("new/", rounds.round_create, name="round_create"),
    path("<int:pk>/", rounds.round_detail, name="round_detail"),
    path("<int:pk>/edit/", rounds.round_edit, name="round_edit"),
    path("<int:pk>/open/", rounds.round_open, name="round_open"),
    path("<int:pk>/close/", rounds.round_close, name="round_close"),
    path("<int:pk>/reopen/", rounds.round_reopen, name="round_reopen"),
    path("<int:pk>/terms/", rounds.round_terms, name="round_terms"),
    path("<int:pk>/demand/", lines.demand_grid, name="demand_grid"),
    path("<int:pk>/demand/table/", lines.lines_table, name="lines_table"),
    path("<int:pk>/demand/<int:line_pk>/edit/", lines.line_edit, name="line_edit"),
    path("<int:pk>/demand/<int:line_pk>/withdraw/", lines.line_withdraw, name="line_withdraw"),
    path("<int:pk>/demand/upload/", upload.demand_upload, name="demand_upload"),
    path("<int:pk>/demand/uploads/<uuid:upload_pk>/", upload.upload_preview, name="upload_preview"),
    path(
        "<int:pk>/demand/uploads/<uuid:upload_pk>/errors.csv",
        upload.upload_errors,
        name="upload_errors",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/demand/template\.(?P<fmt>csv|xlsx)$",
        upload.demand_template,
        name="demand_template",
    ),
    re_path(
        r"^(?P<pk>[0-9]+)/demand/export\.(?P<fmt>csv|xlsx)$",
        lines.demand_export,
        name="demand_export",
    ),
    path("<int:pk>/demand/exports/<uuid:job_pk>/", demandexport.export_job, name="export_job"),
    path(
        "<int:pk>/demand/exports/<uuid:job_pk>/download/",
        demandexport.export_job_download,
        name="export_job_download",
    ),
    path("<int:pk>/screening/", lines.screening, name="screening"),
    path("<int:pk>/screening/<int:line_pk>/exclude/", lines.line_exclude, name="line_exclude"),
    path("<int:pk>/screening/<int:line_pk>/restore/", lines.line_restore, name="line_restore"),
]
