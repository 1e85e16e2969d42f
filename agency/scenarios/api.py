"""Export-stop scenario API under /api/v1/scenarios/: run one, save, list, open and delete saved
ones, and a saved one's result. Results follow the reader's rules: the ministry gets disclosed
cells only, and only the agency gets the stockpile's tonnes and days (docs/scenarios.md)."""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import AGENCY, DESK, MINISTRY
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.openapi import with_errors
from rohstoff.core.periods import PeriodError, Quarter

from . import selectors, services
from .models import MAX_COUNTRIES

SCENARIO_USERS = AGENCY | DESK | MINISTRY
T = {"max_digits": 22, "decimal_places": 6, "read_only": True, "allow_null": True}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-Q[1-4]$", "example": "2027-Q3"})
class QuarterInput(serializers.Field):
    default_error_messages = {"invalid": gettext_lazy("Write a quarter such as 2027-Q1.")}

    def to_internal_value(self, data):
        if not isinstance(data, str) or len(data) > 10:
            self.fail("invalid")
        try:
            return Quarter.parse(data)
        except PeriodError:
            self.fail("invalid")

    def to_representation(self, value):
        return str(value)


class ScenarioInput(serializers.Serializer):
    round = serializers.IntegerField(min_value=1)
    countries = serializers.ListField(
        child=serializers.CharField(max_length=2, min_length=2),
        min_length=1,
        max_length=MAX_COUNTRIES,
        help_text="ISO 3166 alpha-2 codes of the countries that stop exporting",
    )
    first_quarter = QuarterInput(help_text="The first quarter without their supply, e.g. 2027-Q3")


class SaveInput(ScenarioInput):
    name = serializers.CharField(max_length=120)


class SavedScenarioSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    round = serializers.IntegerField(source="round_id", read_only=True)
    countries = serializers.ListField(source="country_codes", read_only=True)
    first_quarter = serializers.CharField(source="first_period", read_only=True)
    author = serializers.EmailField(source="author.email", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)


class CellSerializer(serializers.Serializer):
    period = serializers.CharField(read_only=True)
    disclosed = serializers.BooleanField(source="visible", read_only=True)
    demand_t = serializers.DecimalField(**T)
    contracted_t = serializers.DecimalField(**T)
    lost_t = serializers.DecimalField(**T, help_text="Contracted supply from the stopped countries")
    uncovered_t = serializers.DecimalField(**T, help_text="Demand the remaining supply leaves open")


class MaterialResultSerializer(serializers.Serializer):
    material = serializers.CharField(source="material.code", read_only=True)
    target_days = serializers.IntegerField(read_only=True)
    high_risk = serializers.BooleanField(read_only=True)
    bridge_band = serializers.CharField(
        read_only=True,
        allow_null=True,
        help_text="below, within, above (target), lasts (the whole window); null: not known",
    )
    below_target = serializers.BooleanField(read_only=True, allow_null=True)
    hidden_cells = serializers.IntegerField(read_only=True)
    cells = CellSerializer(many=True, read_only=True)


# Output only; not read-only, so that the schema does not list them as required: the desk and
# the ministry get the same result without them.
AGENCY_ONLY = {"required": False, "allow_null": True}


class AgencyMaterialResultSerializer(MaterialResultSerializer):
    """The agency also reads the stockpile's tonnes and the days it bridges."""

    holding_t = serializers.DecimalField(
        max_digits=22, decimal_places=6, help_text="Agency only", **AGENCY_ONLY
    )
    days_bridged = serializers.DecimalField(
        max_digits=None, decimal_places=1, help_text="Agency only", **AGENCY_ONLY
    )
    runs_out = serializers.BooleanField(help_text="Agency only", **AGENCY_ONLY)


class ResultSerializer(serializers.Serializer):
    round = serializers.IntegerField(source="round.pk", read_only=True)
    countries = serializers.ListField(read_only=True)
    first_quarter = serializers.CharField(read_only=True)
    has_positions = serializers.BooleanField(read_only=True)
    materials = MaterialResultSerializer(many=True, read_only=True)


class AgencyResultSerializer(ResultSerializer):
    materials = AgencyMaterialResultSerializer(many=True, read_only=True)


# One schema for every reader: the agency-only fields are optional (see AGENCY_ONLY).
RESULT = AgencyResultSerializer


def result_data(result) -> dict:
    serializer = AgencyResultSerializer if result.stockpile_detail else ResultSerializer
    return serializer(result).data


@extend_schema_view(
    list=extend_schema(
        summary="Saved scenarios of your organisation",
        responses=with_errors(SavedScenarioSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One saved scenario", responses=with_errors(SavedScenarioSerializer, 404)
    ),
    create=extend_schema(
        summary="Save a scenario (its inputs)",
        request=SaveInput,
        responses=with_errors(SavedScenarioSerializer, 400, 404, ok_status=201),
    ),
    destroy=extend_schema(
        summary="Delete a saved scenario", responses=with_errors(None, 404, ok_status=204)
    ),
    result=extend_schema(
        summary="A saved scenario's result under your rules",
        responses=with_errors(RESULT, 404),
    ),
    run=extend_schema(
        summary="Run an export-stop scenario",
        description=(
            "Contracted supply from the countries stops from the first quarter on. Per material "
            "and quarter: demand, contracted, lost and uncovered tonnes; per material: whether "
            "the stockpile bridges its target. The ministry gets disclosed cells only; only the "
            "agency gets holding_t, days_bridged and runs_out."
        ),
        request=ScenarioInput,
        responses=with_errors(RESULT, 400, 404),
    ),
)
class ScenarioViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.DestroyModelMixin, ScopedViewSet
):
    access_policies = {
        name: SCENARIO_USERS for name in ("list", "retrieve", "create", "destroy", "result", "run")
    }
    serializer_class = SavedScenarioSerializer

    def scoped_queryset(self):
        return selectors.saved_visible_to(self.request.user)

    def create(self, request):
        data = SaveInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        round = selectors.round_for_scenario(user=request.user, pk=values["round"])
        scenario = services.scenario_save(
            actor=request.user,
            name=values["name"],
            round=round,
            countries=values["countries"],
            first=values["first_quarter"],
        )
        return Response(SavedScenarioSerializer(scenario).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.scenario_delete(actor=self.request.user, scenario=instance)

    @action(detail=True, methods=["get"])
    def result(self, request, pk=None):
        scenario = self.get_object()
        return Response(result_data(selectors.saved_run(user=request.user, scenario=scenario)))

    @action(detail=False, methods=["post"])
    def run(self, request):
        data = ScenarioInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        round = selectors.round_for_scenario(user=request.user, pk=values["round"])
        result = selectors.scenario_run(
            user=request.user,
            round=round,
            countries=values["countries"],
            first=values["first_quarter"],
        )
        return Response(result_data(result))
