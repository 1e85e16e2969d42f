"""REST API of monitoring reports (the agency): separate input and output serializers; every
write goes through the service."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from contracts.api_fields import QuarterField
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.openapi import with_errors
from rohstoff.core.periods import Quarter

from .. import policy
from ..projects.models import T
from . import selectors, services
from .models import CovenantStatus, MonitoringReport, Rating
from .services import TEXT_MAX


class MonitoringReportSerializer(serializers.ModelSerializer):
    period = QuarterField(source="quarter", read_only=True)
    due_on = serializers.DateField(read_only=True)

    class Meta:
        model = MonitoringReport
        fields = [
            "id",
            "stake",
            "period",
            "due_on",
            "production_t",
            "milestones",
            "covenant_status",
            "rating",
            "rating_reason",
            "submitted_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class MonitoringReportInput(serializers.Serializer):
    stake = serializers.IntegerField(help_text="an approved stake (its proposal id)")
    period = QuarterField(help_text="the quarter reported on, e.g. 2027-Q1")
    production_t = StrictDecimalField(**T, min_value=0, required=False, allow_null=True)
    milestones = serializers.CharField(
        max_length=TEXT_MAX, required=False, allow_blank=True, default=""
    )
    covenant_status = serializers.ChoiceField(choices=CovenantStatus.choices)
    rating = serializers.ChoiceField(choices=Rating.choices)
    rating_reason = serializers.CharField(max_length=TEXT_MAX)


@extend_schema_view(
    list=extend_schema(
        summary="Monitoring reports of approved stakes (agency); filter with ?stake=",
        responses=with_errors(MonitoringReportSerializer(many=True), 400, 404),
    ),
    retrieve=extend_schema(
        summary="One monitoring report",
        responses=with_errors(MonitoringReportSerializer, 404),
    ),
    create=extend_schema(
        summary="Submit a stake's quarterly report (replaces the quarter's earlier one)",
        request=MonitoringReportInput,
        responses=with_errors(MonitoringReportSerializer, 400, 404, 409, ok_status=201),
    ),
)
class MonitoringReportViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policy = policy.MONITORING_USERS
    serializer_class = MonitoringReportSerializer
    http_method_names = ["get", "post", "head", "options"]
    filterset_fields = ["stake"]

    def scoped_queryset(self):
        return policy.monitoring_reports_visible_to(self.request.user).order_by(
            "stake_id", "-quarter"
        )

    def create(self, request):
        data = MonitoringReportInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        stake = selectors.stake_get(user=request.user, pk=values.pop("stake"))
        report = services.report_save(
            actor=request.user,
            stake=stake,
            quarter=Quarter.from_index(values.pop("period")),
            **values,
        )
        return Response(MonitoringReportSerializer(report).data, status=status.HTTP_201_CREATED)
