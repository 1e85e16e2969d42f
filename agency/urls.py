from django.urls import include, path

from . import views
from .stakes import views as stake_views
from .stockpile.urls import urlpatterns as stockpile_urls

app_name = "agency"

urlpatterns = [
    path("projects/", views.project_list, name="projects"),
    path("projects/<int:pk>/", views.project_detail, name="project"),
    # stake proposals (docs/stakes.md)
    path("proposals/", stake_views.proposal_list, name="proposals"),
    path("proposals/new/", stake_views.proposal_create, name="proposal_create"),
    path("proposals/<int:pk>/", stake_views.proposal_detail, name="proposal"),
    path("proposals/<int:pk>/edit/", stake_views.proposal_edit, name="proposal_edit"),
    path("proposals/<int:pk>/advance/", stake_views.proposal_advance, name="proposal_advance"),
    path("proposals/<int:pk>/note/", stake_views.proposal_note, name="proposal_note"),
    path("proposals/<int:pk>/withdraw/", stake_views.proposal_withdraw, name="proposal_withdraw"),
    path("proposals/<int:pk>/reject/", stake_views.proposal_reject, name="proposal_reject"),
    path("proposals/<int:pk>/approve/", stake_views.proposal_approve, name="proposal_approve"),
    path(
        "proposal-documents/<int:pk>/",
        stake_views.document_download,
        name="proposal_document",
    ),
    path(
        "proposal-documents/<int:pk>/upload/",
        stake_views.document_upload,
        name="proposal_document_upload",
    ),
    path(
        "proposal-documents/<int:pk>/review/",
        stake_views.document_review,
        name="proposal_document_review",
    ),
    path("offtake-rights/", stake_views.offtake_rights, name="offtake_rights"),
    path(
        "offtake-rights/<int:pk>/draft-contract/",
        stake_views.offtake_right_draft,
        name="offtake_right_draft",
    ),
]
urlpatterns += [path("stockpile/", include(stockpile_urls))]
