"""REST API of demand rounds (docs/demand-file.md, "The API"). Thin: serializers parse, services
write, selectors scope (objects outside the caller's scope answer 404)."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import DESK, MEMBERS, ROUND_READERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.models import Material
from rohstoff.core.openapi import with_errors

from .. import policy
from ..models import DemandRound
from . import selectors, services

# ---- rounds ----------------------------------------------------------------------------------


class RoundSerializer(serializers.ModelSerializer):
    materials = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    first_period = serializers.SerializerMethodField()
    last_period = serializers.SerializerMethodField()
    min_quantity_t = StrictDecimalField(max_digits=20, decimal_places=6, read_only=True)

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
    min_quantity_t = StrictDecimalField(
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


@extend_schema_view(
    list=extend_schema(
        summary="Demand rounds you may see (drafts: the desk only)",
        responses=with_errors(RoundSerializer(many=True)),
    ),
    retrieve=extend_schema(summary="One demand round", responses=with_errors(RoundSerializer, 404)),
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
        return policy.rounds_visible_to(self.request.user).prefetch_related("materials")

    def get_object(self):
        return selectors.round_get(user=self.request.user, pk=self.kwargs["pk"])

    def _answer(self, round, code=status.HTTP_200_OK):
        round = DemandRound.objects.prefetch_related("materials").get(pk=round.pk)
        return Response(RoundSerializer(round).data, status=code)

    @extend_schema(
        summary="Create a draft round (desk)",
        request=RoundInputSerializer,
        responses=with_errors(RoundSerializer, 400, ok_status=201),
    )
    def create(self, request):
        data = RoundInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        round = services.round_create(actor=request.user, **data.validated_data)
        return self._answer(round, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Edit a draft round (desk)",
        request=RoundInputSerializer(partial=True),
        responses=with_errors(RoundSerializer, 400, 404, 409),
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
        responses=with_errors(RoundSerializer, 400, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def open(self, request, pk=None):
        return self._answer(services.round_open(round=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Close an open round (desk); aggregation starts",
        request=None,
        responses=with_errors(RoundSerializer, 404, 409),
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        return self._answer(services.round_close(round=self.get_object(), actor=request.user))

    @extend_schema(
        summary="Reopen a closed round before aggregation (desk)",
        request=ReopenSerializer,
        responses=with_errors(RoundSerializer, 400, 404, 409),
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
        responses=with_errors(
            inline_serializer(
                "TermsAccepted",
                {
                    "accepted_at": serializers.DateTimeField(),
                    "accepted_by": serializers.EmailField(),
                },
            ),
            404,
            409,
        ),
    )
    @action(detail=True, methods=["post"])
    def terms(self, request, pk=None):
        acceptance = services.terms_accept(round=self.get_object(), actor=request.user)
        return Response(
            {"accepted_at": acceptance.accepted_at, "accepted_by": acceptance.accepted_by.email}
        )
