"""REST API of demand lines (docs/demand-file.md): a member its own firm's lines, the desk all."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import DESK, MEMBERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import QuantityField, StrictDecimalField
from rohstoff.core.openapi import with_errors
from rohstoff.core.units import Unit

from .. import policy
from ..models import Commitment, DemandLine, DemandRound
from ..rounds.selectors import round_get
from ..upload.api import DemandUploadMixin
from . import rules, screening, selectors, services
from .rules import DEFAULT_COUNTRY


class LineSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(slug_field="code", read_only=True)
    quantity = StrictDecimalField(max_digits=20, decimal_places=6)
    quantity_t = StrictDecimalField(max_digits=20, decimal_places=6)
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
        if not (request and policy.may_screen_lines(request.user)):
            self.fields.pop("firm")  # a member sees only its own lines; the firm name is the desk's

    def get_entered_by(self, obj) -> str:
        return obj.entered_by.get_full_name() if obj.entered_by_id else ""

    # The list builds its rows from plain values, one tuple per line: model objects (a page of
    # 500 lines built 2,000 of them, with three related ones each) and DRF's per-field lookups were
    # most of the request (docs/benchmarks.md). The column behind each field; the same field
    # objects format the values, so the JSON is the same (tests/industry/test_api_list_values.py).
    VALUE_COLUMNS = {
        "id": "id",
        "material": "material__code",  # the slug itself
        "period": "period",
        "quantity": "quantity",
        "unit": "unit",
        "quantity_t": "quantity_t",
        "commitment": "commitment",
        "grade": "grade",
        "delivery_country": "delivery_country",
        "firm": "organisation__name",
        "excluded": "excluded",
        "exclusion_reason": "exclusion_reason",
        "version": "version",
        "entered_by": "entered_by__full_name",  # with the e-mail (last column) when empty
        "updated_at": "updated_at",
    }
    _AS_READ = ("material", "entered_by")  # values that are already what the field shows

    def values_of(self, lines: QuerySet[DemandLine]) -> QuerySet:
        """``lines`` as rows of plain values for :meth:`represent_values`."""
        return lines.values_list(
            *(self.VALUE_COLUMNS[name] for name in self.fields), "entered_by__email"
        )

    def represent_values(self, rows) -> list[dict]:
        """What ``to_representation`` gives for each line, from rows of :meth:`values_of`."""
        names = list(self.fields)
        formats = [
            None if name in self._AS_READ else field.to_representation
            for name, field in self.fields.items()
        ]
        entered_by = names.index("entered_by")
        represented = []
        for row in rows:
            item = {
                name: value if value is None or format is None else format(value)
                for name, format, value in zip(names, formats, row[:-1], strict=True)
            }
            item["entered_by"] = row[entered_by] or row[-1]  # as User.get_full_name()
            represented.append(item)
        return represented


class _CountedValues:
    """Lines for the paginator: counted as the lines themselves (the count of the values would
    join the related tables for nothing), a page read as plain values."""

    def __init__(self, lines: QuerySet[DemandLine], values: QuerySet):
        self.lines, self.values = lines, values
        self.ordered = lines.ordered

    def count(self) -> int:
        return self.lines.count()

    def __getitem__(self, index):
        return self.values[index]


class MaterialCodeField(serializers.CharField):
    """A material of the reference list by its code or its German or English name, in any case
    (``rules.material_of``, as the grid and the demand file read it); whether it is one of the
    round's is a line rule (industry.lines.rules)."""

    MAX_LENGTH = 300  # longer than any code or name of the reference list

    def to_internal_value(self, data):
        text = super().to_internal_value(data)
        if len(text) > self.MAX_LENGTH:
            raise serializers.ValidationError(rules.MATERIAL_KNOWN.error(value=text[:40] + "…"))
        material = rules.material_of(text, rules.material_words())
        if material is None:
            raise serializers.ValidationError(rules.MATERIAL_KNOWN.error(value=text))
        return material


class LineInputSerializer(serializers.Serializer):
    """Parses the values; the line's rules (industry.lines.rules) are checked by the service, as
    for the grid's form and the demand file."""

    material = MaterialCodeField(
        help_text="A material of the round: its code (lithium-hydroxide) or its German or "
        "English name (Lithiumhydroxid, lithium hydroxide), in any case"
    )
    period = serializers.CharField(max_length=10, help_text="2027 or 2027-Q3")
    quantity = QuantityField()
    unit = serializers.CharField(help_text=" / ".join(Unit.values))
    commitment = serializers.CharField(
        required=False,
        allow_blank=True,
        default=Commitment.INDICATIVE,
        help_text="indicative (default) or firm; indikativ / verbindlich too",
    )
    grade = serializers.CharField(
        required=False, allow_blank=True, default="", trim_whitespace=False
    )
    delivery_country = serializers.CharField(
        required=False, allow_blank=True, default=DEFAULT_COUNTRY, help_text="ISO 3166, e.g. DE"
    )
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="PUT: the version you read; a newer one on the server answers 409",
    )

    def validate_unit(self, value):
        # Reported with the other fields' errors, as the form and the demand file do.
        if rules.unit_of(value) is None:
            raise serializers.ValidationError(rules.UNIT_KNOWN.error(value=value))
        return value


class ExcludeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


@extend_schema_view(
    list=extend_schema(
        summary="Lines of a round: a member its own firm's, the desk all (with firm)",
        responses=with_errors(LineSerializer(many=True), 404),
    ),
    retrieve=extend_schema(summary="One line", responses=with_errors(LineSerializer, 404)),
)
class DemandLineViewSet(
    DemandUploadMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet
):
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
            self._round = round_get(user=self.request.user, pk=self.kwargs["round_pk"])
        return self._round

    def scoped_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular reads the model only
            return DemandLine.objects.none()
        # Materials of the same place in the list keep their lines together (material id).
        return selectors.lines_visible_to(self.request.user, round=self.round()).order_by(
            "material__sort_order", "material_id", "first_quarter", "is_year", "pk"
        )

    def list(self, request, round_pk=None):
        serializer = self.get_serializer()
        lines = self.filter_queryset(self.get_queryset())
        if policy.may_screen_lines(request.user):  # the whole round
            by_material = screening.RoundByMaterial(
                self.round(), lines, serializer.values_of, id_at=list(serializer.fields).index("id")
            )
            page = self.paginate_queryset(by_material)
        else:
            page = self.paginate_queryset(_CountedValues(lines, serializer.values_of(lines)))
        if page is None:
            return Response(serializer.represent_values(serializer.values_of(lines)))
        return self.get_paginated_response(serializer.represent_values(page))

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
            **with_errors(LineSerializer, 400, 404, 409),
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
        responses=with_errors(LineSerializer, 400, 404, 409),
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
        responses=with_errors(None, 404, 409, ok_status=204),
    )
    def destroy(self, request, round_pk=None, pk=None):
        line = selectors.own_line_get(user=request.user, round=self.round(), pk=pk)
        services.line_withdraw(line=line, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Exclude a line from pooling, with a reason the firm sees (desk)",
        request=ExcludeSerializer,
        responses=with_errors(LineSerializer, 400, 404, 409),
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
        responses=with_errors(LineSerializer, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def restore(self, request, round_pk=None, pk=None):
        line = services.line_restore(line=self.get_object(), actor=request.user)
        return Response(LineSerializer(line, context={"request": request}).data)
