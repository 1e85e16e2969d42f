"""Positions API: ``rounds/{id}/positions/`` (filters, ``?by=element``) and
``rounds/{id}/aggregate/``. Thin: selectors scope and mask, services start the job."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    PolymorphicProxySerializer,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import DESK, POSITION_READERS
from rohstoff.core.api import ScopedViewSet, bad_request
from rohstoff.core.openapi import BAD_REQUEST, CONFLICT, with_errors

from . import selectors, services
from .policy import is_trustee

T = {"max_digits": 22, "decimal_places": 6, "allow_null": True, "read_only": True}


class PositionCellSerializer(serializers.Serializer):
    material = serializers.CharField(source="material.code", read_only=True)
    period = serializers.CharField(read_only=True, help_text="Quarter, e.g. 2027-Q3")
    disclosed = serializers.BooleanField(read_only=True)
    demand_t = serializers.DecimalField(
        **T, help_text="Pooled demand in tonnes; null when the cell is hidden"
    )
    demand_firm_t = serializers.DecimalField(
        **T, help_text="Null unless the cell and both of its parts may be shown"
    )
    demand_indicative_t = serializers.DecimalField(**T)
    contributors = serializers.IntegerField(read_only=True, allow_null=True)
    contracted_t = serializers.DecimalField(**T)
    allocated_t = serializers.DecimalField(**T)
    covered_directly_t = serializers.DecimalField(
        **T,
        help_text="Covered by members' own reported contracts; null where this reader may not "
        "see it (fewer reporting firms than the disclosure minimum, or the cell's supply hidden)",
    )
    open_t = serializers.DecimalField(
        **T,
        help_text="demand - contracted - covered directly where that is shown (negative: surplus)",
    )
    # No bound on the digits: a large surplus on a tiny demand is a large ratio, never an error.
    coverage = serializers.DecimalField(
        max_digits=None,
        decimal_places=4,
        allow_null=True,
        read_only=True,
        help_text="(contracted + covered directly where shown) / demand, 4 places",
    )


# Output only. Not read-only, so that the schema does not list it as required: members and the
# ministry get the same cells without it.
HIDDEN_REASON = {
    "required": False,
    "help_text": "Desk and agency only: why the cell is hidden; empty when disclosed",
}


class TrusteeCellSerializer(PositionCellSerializer):
    """Desk and agency: every cell with its figures, and why a hidden one is hidden."""

    hidden_reason = serializers.CharField(**HIDDEN_REASON)


class ElementCellSerializer(serializers.Serializer):
    element = serializers.CharField(read_only=True)
    period = serializers.CharField(read_only=True)
    disclosed = serializers.BooleanField(read_only=True)
    demand_t = serializers.DecimalField(**T, help_text="Tonnes of contained element")
    demand_lce_t = serializers.DecimalField(
        **T, help_text="Lithium carbonate equivalent (lithium only)"
    )


class TrusteeElementSerializer(ElementCellSerializer):
    hidden_reason = serializers.CharField(**HIDDEN_REASON)


POSITION_PARAMS = [
    OpenApiParameter(
        "material", OpenApiTypes.STR, description="A material code, e.g. lithium-hydroxide"
    ),
    OpenApiParameter("family", OpenApiTypes.STR, description="A material family, e.g. lithium"),
    OpenApiParameter(
        "period",
        OpenApiTypes.STR,
        description="A year (2027: its four quarters) or a quarter (2027-Q3)",
    ),
    OpenApiParameter(
        "by",
        OpenApiTypes.STR,
        enum=["material", "element"],
        description="element: the roll-up in tonnes of contained element (and LCE for lithium)",
    ),
]
BAD_FILTER = OpenApiResponse(
    BAD_REQUEST.response, description="Invalid filter: `{parameter: [messages]}`"
)
# by=material (default): material cells; by=element: the element roll-up. Either kind carries
# hidden_reason for the desk and the agency only.
POSITION_CELLS = PolymorphicProxySerializer(
    component_name="PositionOrElementCell",
    serializers=[TrusteeCellSerializer, TrusteeElementSerializer],
    resource_type_field_name=None,
    many=True,
)
JOB_ACCEPTED = inline_serializer("AggregationStarted", {"job": serializers.UUIDField()})


class RoundPositionsViewSet(ScopedViewSet):
    """Procurement positions of a demand round."""

    access_policies = {"positions": POSITION_READERS, "aggregate": DESK}
    pagination_class = None

    def scoped_queryset(self):
        return selectors.rounds_visible_to(self.request.user)

    def get_serializer_class(self):
        trustee = is_trustee(self.request.user)
        if self.request.query_params.get("by") == "element":
            return TrusteeElementSerializer if trustee else ElementCellSerializer
        return TrusteeCellSerializer if trustee else PositionCellSerializer

    @extend_schema(
        summary="Positions of a round (disclosure control applied)",
        description=(
            "One cell per material and quarter where demand > 0. Members and the ministry get hidden "
            "cells with `disclosed: false` and every quantity and count null; the desk and the agency "
            "get every cell and `hidden_reason`. Tonnes are decimal strings with 6 places. A round "
            "without positions yet answers an empty list."
        ),
        parameters=POSITION_PARAMS,
        responses={**with_errors(POSITION_CELLS, 404), 400: BAD_FILTER},
    )
    @action(detail=True, methods=["get"])
    def positions(self, request, pk=None):
        round = self.get_object()
        by = request.query_params.get("by", "material")
        try:
            flt = selectors.parse_filter(request.query_params)
        except selectors.FilterError as exc:
            return bad_request(exc.errors)
        if by not in ("material", "element"):
            from django.utils.translation import gettext as _

            return bad_request({"by": [_("Use by=element for the roll-up, or leave it out.")]})
        if by == "element":
            data = selectors.element_cells(user=request.user, round=round, flt=flt)
        else:
            data = selectors.position_cells(user=request.user, round=round, flt=flt)
        return Response(self.get_serializer(data, many=True).data)

    @extend_schema(
        summary="Aggregate a round into positions",
        description="Starts the aggregation job; while one runs for the round, answers with that job.",
        request=None,
        responses={
            **with_errors(JOB_ACCEPTED, 404, ok_status=202),
            409: OpenApiResponse(CONFLICT.response, description="The round is not closed."),
        },
    )
    @action(detail=True, methods=["post"])
    def aggregate(self, request, pk=None):
        round = self.get_object()
        job, _created = services.aggregation_start(round=round, actor=request.user)
        return Response({"job": str(job.pk)}, status=status.HTTP_202_ACCEPTED)
