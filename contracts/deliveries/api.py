"""REST API of deliveries against a contract's schedule: separate input and output serializers;
every write goes through a service."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import (
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from rohstoff.core.access import CONTRACT_READERS, DESK
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import StrictDecimalField
from rohstoff.core.openapi import with_errors

from .. import policy, pricing
from ..api_fields import AMOUNT, MONEY, QuarterField, T
from ..models import (
    Delivery,
)
from ..offtakes import selectors as offtake_selectors
from . import selectors, services


def _money_str(value):
    return None if value is None else str(pricing.money(value))


class DeliverySerializer(serializers.ModelSerializer):
    period = QuarterField(source="quarter", read_only=True)
    provisional_amount = serializers.SerializerMethodField(
        help_text="quantity x provisional price x provisional_pct, contract currency"
    )
    final_amount = serializers.SerializerMethodField(
        help_text="quantity x final price, contract currency"
    )
    difference = serializers.SerializerMethodField(
        help_text="final minus provisional amount: what the final invoice settles"
    )

    def _amounts(self, obj) -> dict:
        if not hasattr(obj, "_amounts"):
            obj._amounts = pricing.delivery_amounts(obj, obj.contract.price_unit)
        return obj._amounts

    @extend_schema_field(StrictDecimalField(**AMOUNT, allow_null=True))
    def get_provisional_amount(self, obj):
        return _money_str(self._amounts(obj)["provisional"])

    @extend_schema_field(StrictDecimalField(**AMOUNT, allow_null=True))
    def get_final_amount(self, obj):
        return _money_str(self._amounts(obj)["final"])

    @extend_schema_field(StrictDecimalField(**AMOUNT, allow_null=True))
    def get_difference(self, obj):
        return _money_str(self._amounts(obj)["difference"])

    class Meta:
        model = Delivery
        fields = [
            "id",
            "contract",
            "period",
            "delivered_on",
            "quantity_t",
            "assay",
            "provisional_pct",
            "provisional_price",
            "final_price",
            "invoice_state",
            "provisional_amount",
            "final_amount",
            "difference",
            "notes",
        ]
        read_only_fields = fields


class DeliveryInput(serializers.Serializer):
    contract = serializers.IntegerField()
    period = QuarterField(
        source="quarter",
        required=False,
        help_text="the scheduled quarter; default: the quarter of delivered_on",
    )
    delivered_on = serializers.DateField()
    quantity_t = StrictDecimalField(**T)
    assay = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    provisional_pct = StrictDecimalField(
        max_digits=7, decimal_places=4, required=False, default=Decimal("90")
    )
    provisional_price = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    final_price = StrictDecimalField(**MONEY, required=False, allow_null=True, default=None)
    notes = serializers.CharField(required=False, allow_blank=True, default="")


class DeliveryUpdate(serializers.Serializer):
    period = QuarterField(source="quarter", required=False)
    delivered_on = serializers.DateField(required=False)
    quantity_t = StrictDecimalField(**T, required=False)
    assay = serializers.CharField(max_length=200, required=False, allow_blank=True)
    provisional_pct = StrictDecimalField(max_digits=7, decimal_places=4, required=False)
    provisional_price = StrictDecimalField(**MONEY, required=False, allow_null=True)
    final_price = StrictDecimalField(**MONEY, required=False, allow_null=True)
    notes = serializers.CharField(required=False, allow_blank=True)


@extend_schema_view(
    list=extend_schema(
        summary="Deliveries (desk, agency); filter with ?contract=",
        responses=with_errors(DeliverySerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One delivery",
        responses=with_errors(DeliverySerializer, 404),
    ),
    create=extend_schema(
        summary="Record a delivery (desk)",
        request=DeliveryInput,
        responses=with_errors(DeliverySerializer, 400, 404, 409, ok_status=201),
    ),
    partial_update=extend_schema(
        summary="Correct a delivery or enter its final price (desk)",
        request=DeliveryUpdate,
        responses=with_errors(DeliverySerializer, 400, 404),
    ),
)
class DeliveryViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": CONTRACT_READERS,
        "retrieve": CONTRACT_READERS,
        "create": DESK,
        "partial_update": DESK,
    }
    serializer_class = DeliverySerializer
    http_method_names = ["get", "post", "patch", "head", "options"]
    filterset_fields = ["contract"]

    def scoped_queryset(self):
        return policy.deliveries_visible_to(self.request.user).order_by(
            "contract_id", "delivered_on", "pk"
        )

    def create(self, request):
        data = DeliveryInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        contract = offtake_selectors.contract_get(user=request.user, pk=values.pop("contract"))
        delivery = services.delivery_record(contract=contract, actor=request.user, **values)
        return Response(DeliverySerializer(delivery).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        delivery = selectors.delivery_get(user=request.user, pk=pk)
        data = DeliveryUpdate(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        delivery = services.delivery_update(
            delivery=delivery, actor=request.user, **data.validated_data
        )
        return Response(DeliverySerializer(delivery).data)
