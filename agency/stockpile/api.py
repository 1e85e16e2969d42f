"""Stockpile API under /api/v1/stockpile/: cover, holdings and movements for the agency, bands
for the agency and the ministry (no tonne, no day count). Thin: selectors read, services write
(docs/stockpile.md)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import AGENCY, AGENCY_APPROVERS, MINISTRY
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import QuantityField
from rohstoff.core.models import Material
from rohstoff.core.openapi import with_errors
from rohstoff.core.shortcuts import get_visible_or_404

from ..four_eyes import services as four_eyes
from . import selectors, services
from .cover import Band
from .models import Holding, Location, MovementKind

T = {"max_digits": 22, "decimal_places": 6, "read_only": True}


class CoverSerializer(serializers.Serializer):
    material = serializers.CharField(source="material.code", read_only=True)
    holding_t = serializers.DecimalField(**T, help_text="All locations together")
    demand_t = serializers.DecimalField(
        **T, allow_null=True, help_text="Pooled demand of the next four quarters in the round"
    )
    days = serializers.DecimalField(
        max_digits=None, decimal_places=1, read_only=True, allow_null=True
    )
    target_days = serializers.IntegerField(read_only=True)
    high_risk = serializers.BooleanField(read_only=True)
    band = serializers.ChoiceField(choices=Band.choices, read_only=True)


class BandSerializer(serializers.Serializer):
    """What the ministry reads: a band per material, never tonnes or days."""

    material = serializers.CharField(source="material.code", read_only=True)
    target_days = serializers.IntegerField(read_only=True)
    high_risk = serializers.BooleanField(read_only=True)
    band = serializers.ChoiceField(choices=Band.choices, read_only=True)


class HoldingSerializer(serializers.Serializer):
    location = serializers.IntegerField(source="location_id", read_only=True)
    location_name = serializers.CharField(source="location.name", read_only=True)
    country = serializers.CharField(source="location.country.code", read_only=True)
    material = serializers.CharField(source="material.code", read_only=True)
    quantity_t = serializers.DecimalField(**T)


@extend_schema_view(
    cover=extend_schema(
        summary="Days of cover per material (agency)",
        responses=with_errors(CoverSerializer(many=True)),
    ),
    bands=extend_schema(
        summary="Band per material: below target, within, above (agency, ministry)",
        responses=with_errors(BandSerializer(many=True)),
    ),
    holdings=extend_schema(
        summary="Holdings per location and material (agency)",
        responses=with_errors(HoldingSerializer(many=True)),
    ),
)
class StockpileViewSet(ScopedViewSet):
    access_policies = {"cover": AGENCY, "bands": AGENCY | MINISTRY, "holdings": AGENCY}
    pagination_class = None

    def scoped_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the schema generator has no user
            return Holding.objects.none()
        return selectors.holdings(user=self.request.user)

    @action(detail=False, methods=["get"])
    def cover(self, request):
        _source, rows = selectors.cover_rows(user=request.user)
        return Response(CoverSerializer(rows, many=True).data)

    @action(detail=False, methods=["get"])
    def bands(self, request):
        _source, rows = selectors.band_rows(user=request.user)
        return Response(BandSerializer(rows, many=True).data)

    @action(detail=False, methods=["get"])
    def holdings(self, request):
        return Response(HoldingSerializer(self.get_queryset(), many=True).data)


class MovementSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=MovementKind.choices, read_only=True)
    location = serializers.IntegerField(source="location_id", read_only=True)
    material = serializers.CharField(source="material.code", read_only=True)
    quantity_t = serializers.DecimalField(**T)
    replacement_t = serializers.DecimalField(**T, allow_null=True)
    reason = serializers.CharField(read_only=True)
    state = serializers.CharField(read_only=True)
    revision = serializers.IntegerField(read_only=True)
    approvals = serializers.SerializerMethodField(help_text="Approvals of the current revision")
    author = serializers.EmailField(source="author.email", read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    booked_at = serializers.DateTimeField(read_only=True, allow_null=True)
    holding_after_t = serializers.DecimalField(**T, allow_null=True)

    def get_approvals(self, movement) -> int:
        if movement.kind != MovementKind.RELEASE:
            return 0
        return four_eyes.current_approvals(movement).count()


class MovementInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MovementKind.choices)
    location = serializers.IntegerField(min_value=1)
    material = serializers.SlugField(max_length=60)
    quantity_t = QuantityField()
    replacement_t = QuantityField(required=False, allow_null=True, help_text="Rotation only")
    reason = serializers.CharField(max_length=4000)


class ReleaseChangeInput(serializers.Serializer):
    quantity_t = QuantityField(required=False)
    reason = serializers.CharField(max_length=4000, required=False)


class DecisionInput(serializers.Serializer):
    revision = serializers.IntegerField(
        min_value=1, required=False, help_text="The version you read; refused when it changed"
    )
    reason = serializers.CharField(max_length=4000, required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="Stockpile movements, newest first (agency)",
        responses=with_errors(MovementSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One movement (agency)", responses=with_errors(MovementSerializer, 404)
    ),
    create=extend_schema(
        summary="Book a purchase or rotation, or propose a release (agency)",
        description="A release is created in review and booked by its second approval.",
        request=MovementInput,
        responses=with_errors(MovementSerializer, 400, 409, ok_status=201),
    ),
    partial_update=extend_schema(
        summary="Change a release in review (agency); voids its approvals",
        request=ReleaseChangeInput,
        responses=with_errors(MovementSerializer, 400, 404, 409),
    ),
    approve=extend_schema(
        summary="Approve a release (agency approver; not its author; second factor)",
        request=DecisionInput,
        responses=with_errors(MovementSerializer, 400, 404, 409),
    ),
    reject=extend_schema(
        summary="Reject a release with a reason (agency approver)",
        request=DecisionInput,
        responses=with_errors(MovementSerializer, 400, 404, 409),
    ),
    withdraw=extend_schema(
        summary="Withdraw a release in review (agency)",
        request=DecisionInput,
        responses=with_errors(MovementSerializer, 400, 404, 409),
    ),
)
class MovementViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": AGENCY,
        "retrieve": AGENCY,
        "create": AGENCY,
        "partial_update": AGENCY,
        "approve": AGENCY_APPROVERS,
        "reject": AGENCY_APPROVERS,
        "withdraw": AGENCY,
    }
    serializer_class = MovementSerializer
    http_method_names = ["get", "post", "patch", "head", "options"]

    def scoped_queryset(self):
        return selectors.movement_list(user=self.request.user)

    def _out(self, pk, code=status.HTTP_200_OK):
        movement = selectors.movement_get(user=self.request.user, pk=pk)
        return Response(MovementSerializer(movement).data, status=code)

    def create(self, request):
        data = MovementInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        location = Location.objects.filter(pk=values.pop("location")).first()
        material = Material.objects.filter(code=values.pop("material")).first()
        errors = {}
        if location is None:
            errors["location"] = [_("No such location.")]
        if material is None:
            errors["material"] = [_("Unknown material code.")]
        if errors:
            raise serializers.ValidationError(errors)
        kind = values.pop("kind")
        replacement = values.pop("replacement_t", None)
        common = {"actor": request.user, "location": location, "material": material, **values}
        if kind == MovementKind.PURCHASE:
            movement = services.purchase_book(**common)
        elif kind == MovementKind.ROTATION:
            if replacement is None:
                raise serializers.ValidationError(
                    {"replacement_t": [_("A rotation names its replacement.")]}
                )
            movement = services.rotation_book(replacement_t=replacement, **common)
        else:
            movement = services.release_propose(**common)
        return self._out(movement.pk, status.HTTP_201_CREATED)

    def _release(self, pk):
        return get_visible_or_404(
            selectors.movements_visible_to(self.request.user).filter(kind=MovementKind.RELEASE),
            pk=pk,
        )

    def partial_update(self, request, pk=None):
        release = self._release(pk)
        data = ReleaseChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_change(release=release, actor=request.user, **data.validated_data)
        return self._out(pk)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        release = self._release(pk)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_approve(
            release=release, actor=request.user, revision=data.validated_data.get("revision")
        )
        return self._out(pk)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        release = self._release(pk)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        revision = data.validated_data.get("revision")
        if revision is not None and revision != release.revision:
            from rohstoff.core.errors import StateConflict

            raise StateConflict(_("The release has changed since you read it."))
        services.release_reject(
            release=release, actor=request.user, reason=data.validated_data.get("reason", "")
        )
        return self._out(pk)

    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        release = self._release(pk)
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.release_withdraw(
            release=release, actor=request.user, reason=data.validated_data.get("reason", "")
        )
        return self._out(pk)
