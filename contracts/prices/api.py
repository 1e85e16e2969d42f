"""REST API of price indices, FX rates and contract prices: separate input and output serializers;
every write goes through a service."""

from __future__ import annotations

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.access import CONTRACT_READERS, DESK
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.models import Material
from rohstoff.core.openapi import with_errors

from .. import policy
from ..models import (
    Currency,
    FxRate,
    IndexValue,
    PriceIndex,
)
from . import selectors, services


class PriceIndexSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(slug_field="code", queryset=Material.objects.all())

    class Meta:
        model = PriceIndex
        fields = ["id", "code", "name", "provider", "material", "currency", "unit"]


class IndexValueSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndexValue
        fields = ["date", "value"]


class FxRateSerializer(serializers.ModelSerializer):
    class Meta:
        model = FxRate
        fields = ["currency", "date", "per_eur"]


class FxRateInput(serializers.Serializer):
    """Not the model serializer: its unique-together check on (currency, date) would refuse the
    correction of a day's rate, which the service allows."""

    currency = serializers.ChoiceField(choices=Currency.choices)
    date = serializers.DateField()
    per_eur = StrictDecimalField(max_digits=16, decimal_places=6)


@extend_schema_view(
    list=extend_schema(
        summary="Price indices",
        responses=with_errors(PriceIndexSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One price index",
        responses=with_errors(PriceIndexSerializer, 404),
    ),
    create=extend_schema(
        summary="Add a price index (desk)",
        request=PriceIndexSerializer,
        responses=with_errors(PriceIndexSerializer, 400, ok_status=201),
    ),
)
class PriceIndexViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CONTRACT_READERS,
        "retrieve": CONTRACT_READERS,
        "values": CONTRACT_READERS,
        "create": DESK,
        "value_set": DESK,
    }
    serializer_class = PriceIndexSerializer

    def scoped_queryset(self):
        return policy.indices_visible_to(self.request.user).order_by("code")

    def create(self, request):
        data = PriceIndexSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        index = services.index_create(actor=request.user, **data.validated_data)
        return Response(PriceIndexSerializer(index).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The index's values, newest first",
        responses=with_errors(IndexValueSerializer(many=True), 404),
    )
    @action(detail=True, methods=["get"])
    def values(self, request, pk=None):
        index = selectors.index_get(user=request.user, pk=pk)
        page = self.paginate_queryset(IndexValue.objects.filter(index=index).order_by("-date"))
        return self.get_paginated_response(IndexValueSerializer(page, many=True).data)

    @extend_schema(
        summary="Enter (or correct) the value of one day (desk)",
        request=IndexValueSerializer,
        responses=with_errors(IndexValueSerializer, 400, 404, ok_status=201),
    )
    @values.mapping.post
    def value_set(self, request, pk=None):
        index = selectors.index_get(user=request.user, pk=pk)
        data = IndexValueSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        value = services.index_value_set(actor=request.user, index=index, **data.validated_data)
        return Response(IndexValueSerializer(value).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(
        summary="FX rates (units of a currency per EUR), newest first",
        responses=with_errors(FxRateSerializer(many=True)),
    ),
    create=extend_schema(
        summary="Enter (or correct) a rate (desk)",
        request=FxRateInput,
        responses=with_errors(FxRateSerializer, 400, ok_status=201),
    ),
)
class FxRateViewSet(mixins.ListModelMixin, ScopedViewSet):
    access_policies = {"list": CONTRACT_READERS, "create": DESK}
    serializer_class = FxRateSerializer
    filterset_fields = ["currency"]

    def scoped_queryset(self):
        return policy.fx_rates_visible_to(self.request.user).order_by("-date", "currency")

    def create(self, request):
        data = FxRateInput(data=request.data)
        data.is_valid(raise_exception=True)
        rate = services.fx_rate_set(actor=request.user, **data.validated_data)
        return Response(FxRateSerializer(rate).data, status=status.HTTP_201_CREATED)
