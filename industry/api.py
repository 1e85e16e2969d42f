"""REST API of demand rounds and lines, as DESIGN.md fixes it. Thin: serializers parse, services
write, selectors scope (objects outside the caller's scope answer 404)."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from rohstoff.core.access import DESK, MEMBERS, ROUND_READERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_views import FORBIDDEN, NOT_FOUND, UNAUTHORISED
from rohstoff.core.models import Material
from rohstoff.core.units import Unit, parse_decimal

from . import selectors, services
from .demand_file import COMMITMENT_WORDS, size_error
from .forms import prefers_comma
from .models import Commitment, DemandLine, DemandRound

CONFLICT = OpenApiResponse(
    description="The round's state forbids this (closed, past its deadline, terms not "
    "accepted, a transition out of order, or a stale version)."
)
BAD_REQUEST = OpenApiResponse(description="Invalid input: DRF's {field: [messages]}.")


# ---- rounds ----------------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    materials = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    first_period = serializers.SerializerMethodField()
    last_period = serializers.SerializerMethodField()
    min_quantity_t = serializers.DecimalField(max_digits=20, decimal_places=6, read_only=True)

    class Meta:
        model = DemandRound
        fields = [
            "id",
            "title",
            "description",
            "materials",
            "first_period",
            "last_period",
            "opens_at",
            "closes_at",
            "min_quantity_t",
            "state",
            "terms",
        ]
        read_only_fields = fields

    def get_first_period(self, obj) -> str:
        return str(obj.first_period)

    def get_last_period(self, obj) -> str:
        return str(obj.last_period)


class RoundInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    materials = serializers.SlugRelatedField(
        slug_field="code", many=True, queryset=Material.objects.all()
    )
    first_period = serializers.CharField(help_text="A quarter, e.g. 2027-Q1")
    last_period = serializers.CharField(help_text="A quarter, e.g. 2031-Q4")
    opens_at = serializers.DateTimeField()
    closes_at = serializers.DateTimeField()
    min_quantity_t = serializers.DecimalField(
        max_digits=20,
        decimal_places=6,
        required=False,
        default=Decimal("0"),
        min_value=Decimal("0"),
    )
    terms = serializers.CharField(required=False, allow_blank=True)


class ReopenSerializer(serializers.Serializer):
    closes_at = serializers.DateTimeField(
        required=False, help_text="A new deadline; needed when the old one has passed."
    )


def _round_responses(ok, *, extra=None):
    responses = {ok[0]: ok[1], 401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND}
    responses.update(extra or {})
    return responses


@extend_schema_view(
    list=extend_schema(
        summary="Demand rounds you may see (drafts: the desk only)",
        responses={200: RoundSerializer(many=True), 401: UNAUTHORISED, 403: FORBIDDEN},
    ),
    retrieve=extend_schema(
        summary="One demand round", responses=_round_responses((200, RoundSerializer))
    ),
)
class RoundViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": ROUND_READERS,
        "retrieve": ROUND_READERS,
        "create": DESK,
        "partial_update": DESK,
        "open": DESK,
        "close": DESK,
        "reopen": DESK,
        "terms": MEMBERS,
    }
    serializer_class = RoundSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    lookup_value_regex = "[0-9]+"

    def scoped_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return DemandRound.objects.none()
        return selectors.rounds_visible_to(self.request.user).prefetch_related("materials")

    def get_object(self):
        return selectors.round_get(user=self.request.user, pk=self.kwargs["pk"])

    def _answer(self, round, code=status.HTTP_200_OK):
        round = DemandRound.objects.prefetch_related("materials").get(pk=round.pk)
        return Response(RoundSerializer(round).data, status=code)

    @extend_schema(
        summary="Create a draft round (desk)",
        request=RoundInputSerializer,
        responses={201: RoundSerializer, 400: BAD_REQUEST, 401: UNAUTHORISED, 403: FORBIDDEN},
    )
    def create(self, request):
        data = RoundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round = services.round_create(actor=request.user, **data.validated_data)
        return self._answer(round, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft round (desk)",
        request=RoundInputSerializer(partial=True),
        responses=_round_responses((200, RoundSerializer), extra={400: BAD_REQUEST, 409: CONFLICT}),
    )
    def partial_update(self, request, pk=None):
        round = self.get_object()
        data = RoundInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        round = services.round_update(round=round, actor=request.user, **data.validated_data)
        return self._answer(round)

    @extend_schema(
        summary="Open a draft round (desk)",
        request=None,
        responses=_round_responses((200, RoundSerializer), extra={400: BAD_REQUEST, 409: CONFLICT}),
    )
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return self._answer(services.round_open(round=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Close an open round (desk); aggregation starts",
        request=None,
        responses=_round_responses((200, RoundSerializer), extra={409: CONFLICT}),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._answer(services.round_close(round=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Reopen a closed round before aggregation (desk)",
        request=ReopenSerializer,
        responses=_round_responses((200, RoundSerializer), extra={400: BAD_REQUEST, 409: CONFLICT}),
    )
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        data = ReopenSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._answer(
            services.round_reopen(
                round=self.get_object(),
                actor=request.user,
                closes_at=data.validated_data.get("closes_at"),
            )
        )

    @extend_schema(
        summary="Accept the round's participation terms for your firm (member)",
        request=None,
        responses=_round_responses(
            (
                200,
                inline_serializer(
                    "TermsAccepted",
                    {
                        "accepted_at": serializers.DateTimeField(),
                        "accepted_by": serializers.EmailField(),
                    },
                ),
            ),
            extra={409: CONFLICT},
        ),
    )
    @action(detail=True, methods=["post"])
    def terms(self, request, pk=None):
        acceptance = services.terms_accept(round=self.get_object(), actor=request.user)
        return Response(
            {"accepted_at": acceptance.accepted_at, "accepted_by": acceptance.accepted_by.email}
        )


# ---- demand lines ----------------------------------------------------------------------------


@extend_schema_field(OpenApiTypes.STR)
class QuantityField(serializers.Field):
    """A decimal string ("1500.5") or a JSON number; never read through a float."""

    default_error_messages = {"invalid": _("Enter a number such as 1500.5.")}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            self.fail("invalid")
        if isinstance(data, int):
            return Decimal(data)
        if isinstance(data, float):
            return Decimal(repr(data))
        try:
            return parse_decimal(str(data), decimal_comma=False)
        except ValueError:
            self.fail("invalid")

    def to_representation(self, value):
        return str(value)


class LineSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(slug_field="code", read_only=True)
    quantity = serializers.DecimalField(max_digits=20, decimal_places=6)
    quantity_t = serializers.DecimalField(max_digits=20, decimal_places=6)
    delivery_country = serializers.CharField()
    firm = serializers.CharField(source="organisation.name", help_text="desk only")
    entered_by = serializers.SerializerMethodField()

    class Meta:
        model = DemandLine
        fields = [
            "id",
            "material",
            "period",
            "quantity",
            "unit",
            "quantity_t",
            "commitment",
            "grade",
            "delivery_country",
            "firm",
            "excluded",
            "exclusion_reason",
            "version",
            "entered_by",
            "updated_at",
        ]
        read_only_fields = fields

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if not (request and request.user.is_desk):
            self.fields.pop("firm")  # a member sees only its own lines; the firm name is the desk's

    def get_entered_by(self, obj) -> str:
        return obj.entered_by.get_full_name() if obj.entered_by_id else ""


class LineInputSerializer(serializers.Serializer):
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())
    period = serializers.CharField(max_length=10, help_text="2027 or 2027-Q3")
    quantity = QuantityField()
    unit = serializers.ChoiceField(choices=Unit.values)
    commitment = serializers.CharField(
        required=False,
        default=Commitment.INDICATIVE,
        help_text="indicative (default) or firm; indikativ / verbindlich too",
    )
    grade = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    delivery_country = serializers.CharField(required=False, default="DE", max_length=2)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="PUT: the version you read; a newer one on the server answers 409",
    )

    def validate_commitment(self, value):
        mapped = COMMITMENT_WORDS.get(str(value).strip().lower())
        if not mapped:
            raise serializers.ValidationError(_("Use indicative or firm."))
        return mapped


class ExcludeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV or XLSX as DESIGN.md's demand file")


UPLOAD_ERRORS = inline_serializer(
    "UploadErrors",
    {
        "errors": serializers.ListField(
            child=inline_serializer(
                "UploadError",
                {
                    "row": serializers.IntegerField(allow_null=True),
                    "column": serializers.CharField(allow_null=True),
                    "message": serializers.CharField(),
                },
            )
        )
    },
)
UPLOAD_OK = inline_serializer(
    "UploadResult", {"created": serializers.IntegerField(), "replaced": serializers.IntegerField()}
)
LINE_RESPONSES = {401: UNAUTHORISED, 403: FORBIDDEN, 404: NOT_FOUND}


@extend_schema_view(
    list=extend_schema(
        summary="Lines of a round: a member its own firm's, the desk all (with firm)",
        responses={200: LineSerializer(many=True), **LINE_RESPONSES},
    ),
    retrieve=extend_schema(summary="One line", responses={200: LineSerializer, **LINE_RESPONSES}),
)
class DemandLineViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": MEMBERS | DESK,
        "retrieve": MEMBERS | DESK,
        "create": MEMBERS,
        "update": MEMBERS,
        "destroy": MEMBERS,
        "exclude": DESK,
        "restore": DESK,
        "upload": MEMBERS,
    }
    serializer_class = LineSerializer

    def round(self) -> DemandRound:
        if not hasattr(self, "_round"):
            self._round = selectors.round_get(user=self.request.user, pk=self.kwargs["round_pk"])
        return self._round

    def scoped_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return DemandLine.objects.none()
        return selectors.lines_visible_to(self.request.user, round=self.round()).order_by(
            "material__sort_order", "first_quarter", "is_year", "pk"
        )

    def get_object(self):
        return selectors.line_get(user=self.request.user, round=self.round(), pk=self.kwargs["pk"])

    def _values(self, data) -> dict:
        values = dict(data)
        values.pop("version", None)
        return values

    @extend_schema(
        summary="Add a line; a line with the same key is replaced (200)",
        request=LineInputSerializer,
        responses={
            201: LineSerializer,
            200: LineSerializer,
            400: BAD_REQUEST,
            409: CONFLICT,
            **LINE_RESPONSES,
        },
    )
    def create(self, request, round_pk=None):
        data = LineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line, outcome = services.line_enter(
            round=self.round(), actor=request.user, **self._values(data.validated_data)
        )
        code = (
            status.HTTP_201_CREATED
            if outcome == services.LineOutcome.CREATED
            else status.HTTP_200_OK
        )
        return Response(LineSerializer(line, context={"request": request}).data, status=code)

    @extend_schema(
        summary="Change a line of your firm",
        request=LineInputSerializer,
        responses={200: LineSerializer, 400: BAD_REQUEST, 409: CONFLICT, **LINE_RESPONSES},
    )
    def update(self, request, round_pk=None, pk=None):
        line = selectors.own_line_get(user=request.user, round=self.round(), pk=pk)
        data = LineInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.line_update(
            line=line,
            actor=request.user,
            expected_version=data.validated_data.get("version"),
            **self._values(data.validated_data),
        )
        return Response(LineSerializer(line, context={"request": request}).data)

    @extend_schema(
        summary="Withdraw a line of your firm (its history is kept)",
        request=None,
        responses={204: None, 409: CONFLICT, **LINE_RESPONSES},
    )
    def destroy(self, request, round_pk=None, pk=None):
        line = selectors.own_line_get(user=request.user, round=self.round(), pk=pk)
        services.line_withdraw(line=line, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Exclude a line from pooling, with a reason the firm sees (desk)",
        request=ExcludeSerializer,
        responses={200: LineSerializer, 400: BAD_REQUEST, 409: CONFLICT, **LINE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def exclude(self, request, round_pk=None, pk=None):
        line = self.get_object()
        data = ExcludeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        line = services.line_exclude(
            line=line, actor=request.user, reason=data.validated_data["reason"]
        )
        return Response(LineSerializer(line, context={"request": request}).data)

    @extend_schema(
        summary="Restore an excluded line (desk)",
        request=None,
        responses={200: LineSerializer, 409: CONFLICT, **LINE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, round_pk=None, pk=None):
        line = services.line_restore(line=self.get_object(), actor=request.user)
        return Response(LineSerializer(line, context={"request": request}).data)

    @extend_schema(
        summary="Upload a demand file (CSV or XLSX): all rows or none",
        request={"multipart/form-data": UploadSerializer},
        responses={
            201: UPLOAD_OK,
            400: OpenApiResponse(UPLOAD_ERRORS, description="Every error by row and column"),
            409: CONFLICT,
            **LINE_RESPONSES,
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def upload(self, request, round_pk=None):
        round = self.round()
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return Response(
                {
                    "errors": [
                        {
                            "row": None,
                            "column": None,
                            "message": _("Send the file in the multipart field “file”."),
                        }
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if uploaded.size > settings.DEMAND_FILE_MAX_BYTES:
            return Response(
                {"errors": [size_error(uploaded.size)]}, status=status.HTTP_400_BAD_REQUEST
            )
        data = uploaded.read()
        result = services.demand_import(
            round=round,
            actor=request.user,
            data=data,
            filename=uploaded.name,
            prefer_comma=prefers_comma(),
        )
        if result.errors:
            return Response({"errors": result.errors}, status=status.HTTP_400_BAD_REQUEST)
        return Response(
            {"created": result.created, "replaced": result.replaced}, status=status.HTTP_201_CREATED
        )
