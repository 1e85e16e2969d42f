"""REST API of stake proposals: proposals with their cap table and offtake right, documents,
stage moves, notes and the committee's decisions; the desk's view of approved stakes' offtake
rights. Separate input and output serializers; every write goes through a service
(docs/stakes.md)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.api_parsers import MultiPartParser
from rohstoff.core.documents import document_response
from rohstoff.core.errors import StateConflict
from rohstoff.core.models import Material
from rohstoff.core.money import Currency
from rohstoff.core.openapi import with_errors

from .. import policy
from ..models import (
    CapTableEntry,
    DocumentStatus,
    Instrument,
    Project,
    ProposalDocument,
    StageNote,
    StakeProposal,
)
from . import rules, selectors, services
from .rules import Shareholder

MONEY = {"max_digits": 20, "decimal_places": 4}
T = {"max_digits": 22, "decimal_places": 6}
PCT = {"max_digits": 7, "decimal_places": 4}


class CapTableRowSerializer(serializers.ModelSerializer):
    share_pct = StrictDecimalField(**PCT, read_only=True)

    class Meta:
        model = CapTableEntry
        fields = ["shareholder", "share_pct", "is_agency"]


class NoteSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.get_full_name", read_only=True)

    class Meta:
        model = StageNote
        fields = ["id", "stage", "reviewer", "note", "created_at"]


class DocumentSerializer(serializers.ModelSerializer):
    proposal = serializers.IntegerField(source="proposal_id", read_only=True)
    uploaded_by = serializers.CharField(
        source="uploaded_by.get_full_name", read_only=True, allow_null=True, default=None
    )

    class Meta:
        model = ProposalDocument
        fields = [
            "id",
            "proposal",
            "item",
            "status",
            "original_name",
            "content_type",
            "size",
            "sha256",
            "uploaded_by",
            "uploaded_at",
            "reviewed_at",
        ]


class ProposalSerializer(serializers.ModelSerializer):
    project_name = serializers.CharField(source="project.name", read_only=True)
    author = serializers.CharField(source="author.get_full_name", read_only=True)
    amount = StrictDecimalField(**MONEY, read_only=True)
    amount_eur = StrictDecimalField(**MONEY, read_only=True, allow_null=True)
    equity_share_pct = StrictDecimalField(**PCT, read_only=True, allow_null=True)
    offtake_material = serializers.CharField(
        source="offtake_material.code", read_only=True, allow_null=True, default=None
    )
    offtake_t_per_year = StrictDecimalField(**T, read_only=True, allow_null=True)
    cap_table = CapTableRowSerializer(many=True, read_only=True)
    special_necessity_flag = serializers.SerializerMethodField(
        help_text="the equity share bought is above 50 %: approvers read the justification"
    )
    approvals = serializers.SerializerMethodField(
        help_text="approvals given on the current revision (two approve the proposal)"
    )
    offtake_contract = serializers.SerializerMethodField(
        help_text="id of the draft offtake contract the approval created, if any"
    )

    class Meta:
        model = StakeProposal
        fields = [
            "id",
            "project",
            "project_name",
            "instrument",
            "amount",
            "currency",
            "amount_eur",
            "fx_date",
            "equity_share_pct",
            "special_necessity",
            "special_necessity_flag",
            "cap_table",
            "offtake_material",
            "offtake_t_per_year",
            "offtake_first_year",
            "offtake_last_year",
            "offtake_shortfall_reason",
            "conditions",
            "author",
            "stage",
            "stage_changed_at",
            "revision",
            "approvals",
            "decision_reason",
            "decided_at",
            "offtake_contract",
            "created_at",
            "updated_at",
        ]

    def get_special_necessity_flag(self, obj) -> bool:
        return rules.needs_justification(obj.equity_share_pct)

    def get_approvals(self, obj) -> int:
        from ..four_eyes.services import current_approvals

        return current_approvals(obj).count()

    def get_offtake_contract(self, obj) -> int | None:
        contract = getattr(obj, "offtake_contract", None)
        return contract.pk if contract is not None else None


class ProposalDetailSerializer(ProposalSerializer):
    documents = DocumentSerializer(many=True, read_only=True)
    notes = NoteSerializer(many=True, read_only=True)

    class Meta(ProposalSerializer.Meta):
        fields = [*ProposalSerializer.Meta.fields, "documents", "notes"]


class CapTableRowInput(serializers.Serializer):
    shareholder = serializers.CharField(max_length=200)
    share_pct = StrictDecimalField(**PCT)
    is_agency = serializers.BooleanField(required=False, default=False)


class ProposalInput(serializers.Serializer):
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    instrument = serializers.ChoiceField(choices=Instrument.choices)
    amount = StrictDecimalField(**MONEY)
    currency = serializers.ChoiceField(choices=Currency.choices)
    equity_share_pct = StrictDecimalField(**PCT, required=False, allow_null=True, default=None)
    special_necessity = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    cap_table = CapTableRowInput(many=True, required=False, default=list)
    offtake_material = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Material.objects.all(),
        required=False,
        allow_null=True,
        default=None,
    )
    offtake_t_per_year = StrictDecimalField(**T, required=False, allow_null=True, default=None)
    offtake_first_year = serializers.IntegerField(
        min_value=1950, max_value=2100, required=False, allow_null=True, default=None
    )
    offtake_last_year = serializers.IntegerField(
        min_value=1950, max_value=2100, required=False, allow_null=True, default=None
    )
    offtake_shortfall_reason = serializers.CharField(
        max_length=10000, required=False, allow_blank=True, default=""
    )
    conditions = serializers.CharField(
        max_length=20000, required=False, allow_blank=True, default=""
    )

    def validate_cap_table(self, rows):
        if len(rows) > rules.MAX_CAP_TABLE_ROWS:
            raise serializers.ValidationError(
                _("A capital table has at most %(n)s shareholders.")
                % {"n": rules.MAX_CAP_TABLE_ROWS}
            )
        return rows


def _shareholders(rows) -> list[Shareholder]:
    return [Shareholder(r["shareholder"], r["share_pct"], r["is_agency"]) for r in rows]


class NoteInput(serializers.Serializer):
    note = serializers.CharField(max_length=services.MAX_NOTE, required=False, allow_blank=True)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=services.MAX_NOTE)


class ApproveInput(serializers.Serializer):
    revision = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="the revision the approver read; refused (409) when the proposal has changed",
    )


class ReviewInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[DocumentStatus.ACCEPTED, DocumentStatus.RECEIVED])
    note = serializers.CharField(max_length=services.MAX_NOTE, required=False, allow_blank=True)


UPLOAD = inline_serializer("ProposalDocumentUpload", {"file": serializers.FileField()})


@extend_schema_view(
    list=extend_schema(
        summary="Stake proposals (agency)",
        responses=with_errors(ProposalSerializer(many=True), 400, 404),  # 404: members
    ),
    retrieve=extend_schema(
        summary="One stake proposal with its documents checklist and stage notes",
        responses=with_errors(ProposalDetailSerializer, 404),
    ),
    create=extend_schema(
        summary="Propose a stake (agency analyst)",
        request=ProposalInput,
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409, ok_status=201),
    ),
    partial_update=extend_schema(
        summary="Change an open proposal (agency analyst); voids approvals given before",
        request=ProposalInput(partial=True),
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409),
    ),
)
class ProposalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": policy.PROPOSAL_READERS,
        "retrieve": policy.PROPOSAL_READERS,
        "note": policy.PROPOSAL_READERS,
        "reject": policy.PROPOSAL_READERS,
        "create": policy.PROPOSAL_WRITERS,
        "partial_update": policy.PROPOSAL_WRITERS,
        "advance": policy.PROPOSAL_WRITERS,
        "withdraw": policy.PROPOSAL_WRITERS,
        "approve": policy.PROPOSAL_DECIDERS,
    }
    serializer_class = ProposalSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["stage", "instrument", "project"]

    def scoped_queryset(self):
        return selectors.proposal_list(user=self.request.user).select_related("offtake_contract")

    def _proposal(self) -> StakeProposal:
        return selectors.proposal_get(user=self.request.user, pk=self.kwargs["pk"])

    def _detail(self, proposal, **kwargs) -> Response:
        proposal = selectors.proposal_get(user=self.request.user, pk=proposal.pk)
        return Response(ProposalDetailSerializer(proposal).data, **kwargs)

    def retrieve(self, request, pk=None):
        return self._detail(self._proposal())

    def create(self, request):
        data = ProposalInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        cap_table = _shareholders(values.pop("cap_table"))
        proposal = services.proposal_create(actor=request.user, cap_table=cap_table, **values)
        return self._detail(proposal, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        proposal = self._proposal()
        data = ProposalInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        sent = set(request.data) if hasattr(request.data, "keys") else set()
        values = {k: v for k, v in data.validated_data.items() if k in sent}
        cap_table = _shareholders(values.pop("cap_table")) if "cap_table" in values else None
        proposal = services.proposal_update(
            proposal=proposal, actor=request.user, cap_table=cap_table, **values
        )
        return self._detail(proposal)

    @extend_schema(
        summary="Move the proposal to its next review stage (agency analyst)",
        request=NoteInput,
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def advance(self, request, pk=None):
        proposal = self._proposal()
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_advance(
            proposal=proposal, actor=request.user, note=data.validated_data.get("note", "")
        )
        return self._detail(proposal)

    @extend_schema(
        summary="Add a reviewer's note at the current stage (agency)",
        request=NoteInput,
        responses=with_errors(NoteSerializer, 400, 404, 409, ok_status=201),
    )
    @action(detail=True, methods=["post"])
    def note(self, request, pk=None):
        proposal = self._proposal()
        data = NoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        note = services.proposal_note_add(
            proposal=proposal, actor=request.user, note=data.validated_data.get("note", "")
        )
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Withdraw an open proposal with the reason (agency analyst)",
        request=ReasonInput,
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        proposal = self._proposal()
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_withdraw(
            proposal=proposal, actor=request.user, reason=data.validated_data["reason"]
        )
        return self._detail(proposal)

    @extend_schema(
        summary="Reject with the reason: an approver at the committee, an analyst before it",
        request=ReasonInput,
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        proposal = self._proposal()
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_reject(
            proposal=proposal, actor=request.user, reason=data.validated_data["reason"]
        )
        return self._detail(proposal)

    @extend_schema(
        summary="Approve at the committee (agency approver with a second factor, not the author)",
        request=ApproveInput,
        responses=with_errors(ProposalDetailSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        proposal = self._proposal()
        data = ApproveInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.proposal_approve(
            proposal=proposal, actor=request.user, revision=data.validated_data["revision"]
        )
        return self._detail(proposal)


@extend_schema_view(
    list=extend_schema(
        summary="Checklist documents of stake proposals (agency)",
        responses=with_errors(DocumentSerializer(many=True), 400, 404),  # 404: members
    ),
    retrieve=extend_schema(
        summary="One checklist document", responses=with_errors(DocumentSerializer, 404)
    ),
)
class ProposalDocumentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": policy.PROPOSAL_READERS,
        "retrieve": policy.PROPOSAL_READERS,
        "download": policy.PROPOSAL_READERS,
        "upload": policy.PROPOSAL_WRITERS,
        "review": policy.PROPOSAL_WRITERS,
    }
    serializer_class = DocumentSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["proposal", "item", "status"]

    def scoped_queryset(self):
        return (
            policy.proposal_documents_visible_to(self.request.user)
            .select_related("uploaded_by")
            .order_by("proposal_id", "item")
        )

    def _document(self) -> ProposalDocument:
        return selectors.document_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="Download the document's file",
        responses=with_errors(
            OpenApiResponse(
                OpenApiTypes.BINARY, description="The file as uploaded (PDF, XLSX or DOCX)."
            ),
            404,
        ),
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        document = self._document()
        if not document.file:
            raise Http404
        return document_response(
            document.file, filename=document.original_name, content_type=document.content_type
        )

    @extend_schema(
        summary="Upload the file of a checklist item (PDF, XLSX or DOCX by content; agency analyst)",
        request={"multipart/form-data": UPLOAD},
        responses=with_errors(DocumentSerializer, 400, 404, 409, ok_status=201),
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request, pk=None):
        document = self._document()
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return Response(
                {"file": [_("Send the file in the multipart field “file”.")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        document = services.document_upload(
            proposal=document.proposal, actor=request.user, item=document.item, upload=uploaded
        )
        return Response(DocumentSerializer(document).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Accept a received document or return it to received (agency analyst)",
        request=ReviewInput,
        responses=with_errors(DocumentSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        document = self._document()
        data = ReviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        document = services.document_review(
            document=document,
            actor=request.user,
            status=data.validated_data["status"],
            note=data.validated_data.get("note", ""),
        )
        return Response(DocumentSerializer(document).data)


class OfftakeRightSerializer(serializers.ModelSerializer):
    """What the desk sees of an approved stake: its offtake right and nothing else."""

    stake = serializers.IntegerField(source="pk", read_only=True)
    project = serializers.IntegerField(source="project_id", read_only=True)
    project_name = serializers.CharField(source="project.name", read_only=True)
    operator = serializers.CharField(source="project.operator", read_only=True)
    country = serializers.CharField(source="project.country.code", read_only=True)
    material = serializers.CharField(source="offtake_material.code", read_only=True)
    t_per_year = StrictDecimalField(**T, source="offtake_t_per_year", read_only=True)
    first_year = serializers.IntegerField(source="offtake_first_year", read_only=True)
    last_year = serializers.IntegerField(source="offtake_last_year", read_only=True)
    approved_at = serializers.DateTimeField(source="decided_at", read_only=True)
    contract = serializers.SerializerMethodField(help_text="the draft (or later) offtake contract")

    class Meta:
        model = StakeProposal
        fields = [
            "stake",
            "project",
            "project_name",
            "operator",
            "country",
            "material",
            "t_per_year",
            "first_year",
            "last_year",
            "approved_at",
            "contract",
        ]

    def get_contract(self, obj) -> int | None:
        contract = getattr(obj, "offtake_contract", None)
        return contract.pk if contract is not None else None


@extend_schema_view(
    list=extend_schema(
        summary="Offtake rights of approved stakes (desk, agency)",
        responses=with_errors(OfftakeRightSerializer(many=True), 404),
    ),
    retrieve=extend_schema(
        summary="One approved stake's offtake right",
        responses=with_errors(OfftakeRightSerializer, 404),
    ),
)
class OfftakeRightViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": policy.OFFTAKE_RIGHT_READERS,
        "retrieve": policy.OFFTAKE_RIGHT_READERS,
        "draft_contract": policy.OFFTAKE_RIGHT_DRAFTERS,
    }
    serializer_class = OfftakeRightSerializer
    http_method_names = ["get", "post", "head", "options"]

    def scoped_queryset(self):
        return selectors.offtake_right_list(user=self.request.user)

    @extend_schema(
        summary="Create the draft contract of an offtake right that has none yet (desk)",
        request=None,
        responses=with_errors(OfftakeRightSerializer, 404, 409),
    )
    @action(detail=True, methods=["post"], url_path="draft-contract")
    def draft_contract(self, request, pk=None):
        stake = self.get_object()
        contract = services.stake_contract_draft(proposal=stake, actor=request.user)
        if contract is None:
            raise StateConflict(
                _(
                    "No demand round collects %(material)s for %(first)s to %(last)s yet; open one, "
                    "then try again."
                )
                % {
                    "material": stake.offtake_material,
                    "first": stake.offtake_first_year,
                    "last": stake.offtake_last_year,
                }
            )
        stake = self.get_queryset().get(pk=stake.pk)
        return Response(OfftakeRightSerializer(stake).data)
