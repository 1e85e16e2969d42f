"""REST API of counterparties (the suppliers the trading house contracts with): separate input and
output serializers; every write goes through a service."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from rohstoff.core.access import CONTRACT_READERS, DESK
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.openapi import with_errors

from .. import policy
from ..models import (
    Counterparty,
)
from . import services


class CounterpartySerializer(serializers.ModelSerializer):
    country = serializers.CharField(source="country.code", read_only=True)

    class Meta:
        model = Counterparty
        fields = ["id", "name", "kind", "country", "notes"]


class CounterpartyInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=Counterparty._meta.get_field("kind").choices)
    country = serializers.CharField(max_length=2, help_text="ISO 3166 alpha-2")
    notes = serializers.CharField(required=False, allow_blank=True, default="")


@extend_schema_view(
    list=extend_schema(
        summary="Counterparties",
        responses=with_errors(CounterpartySerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One counterparty",
        responses=with_errors(CounterpartySerializer, 404),
    ),
    create=extend_schema(
        summary="Add a counterparty (desk)",
        request=CounterpartyInput,
        responses=with_errors(CounterpartySerializer, 400, ok_status=201),
    ),
)
class CounterpartyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {"list": CONTRACT_READERS, "retrieve": CONTRACT_READERS, "create": DESK}
    serializer_class = CounterpartySerializer

    def scoped_queryset(self):
        return policy.counterparties_visible_to(self.request.user).order_by("name")

    def create(self, request):
        data = CounterpartyInput(data=request.data)
        data.is_valid(raise_exception=True)
        counterparty = services.counterparty_save(actor=request.user, **data.validated_data)
        return Response(CounterpartySerializer(counterparty).data, status=status.HTTP_201_CREATED)
