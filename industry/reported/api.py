"""REST API of reported contracts: a member firm reads and writes its own (docs/reported-contracts.md)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.response import Response

from rohstoff.core.access import MEMBERS
from rohstoff.core.api import ScopedViewSet
from rohstoff.core.api_fields import QuantityField, StrictDecimalField
from rohstoff.core.openapi import with_errors
from rohstoff.core.periods import Quarter
from rohstoff.core.units import Unit

from ..lines.api import MaterialCodeField
from ..models import ReportedContract, ReportedQuarter
from . import selectors, services
from .services import MAX_QUARTERS, NOTE_MAX_LENGTH, SUPPLIER_MAX_LENGTH


class ReportedQuarterSerializer(serializers.ModelSerializer):
    period = serializers.SerializerMethodField()
    quantity = StrictDecimalField(max_digits=20, decimal_places=6)
    quantity_t = StrictDecimalField(max_digits=20, decimal_places=6)

    class Meta:
        model = ReportedQuarter
        fields = ["period", "quantity", "quantity_t"]
        read_only_fields = fields

    def get_period(self, obj) -> str:
        return str(Quarter.from_index(obj.quarter))


class ReportedContractSerializer(serializers.ModelSerializer):
    material = serializers.SlugRelatedField(slug_field="code", read_only=True)
    origin_country = serializers.CharField()
    quarters = ReportedQuarterSerializer(many=True, read_only=True)

    class Meta:
        model = ReportedContract
        fields = [
            "id",
            "material",
            "origin_country",
            "supplier_name",
            "unit",
            "note",
            "quarters",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class VolumeInputSerializer(serializers.Serializer):
    period = serializers.CharField(max_length=10, help_text="a quarter, e.g. 2027-Q3")
    quantity = QuantityField(help_text="in the contract's unit")


class ReportedContractInputSerializer(serializers.Serializer):
    """Parses the values; the rules are the service's, as for the page's form."""

    material = MaterialCodeField(help_text="Material code or German or English name")
    origin_country = serializers.CharField(max_length=2, help_text="ISO 3166, e.g. CL")
    supplier_name = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=SUPPLIER_MAX_LENGTH
    )
    unit = serializers.ChoiceField(choices=Unit.choices, default=Unit.TONNE)
    note = serializers.CharField(
        required=False, allow_blank=True, default="", max_length=NOTE_MAX_LENGTH
    )
    quarters = serializers.ListField(
        child=VolumeInputSerializer(), min_length=1, max_length=MAX_QUARTERS
    )

    def values(self) -> dict:
        data = dict(self.validated_data)
        data["volumes"] = [(q["period"], q["quantity"]) for q in data.pop("quarters")]
        return data


@extend_schema_view(
    list=extend_schema(
        summary="Your firm's reported contracts",
        responses=with_errors(ReportedContractSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One of your firm's reported contracts",
        responses=with_errors(ReportedContractSerializer, 404),
    ),
)
class ReportedContractViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policies = {
        "list": MEMBERS,
        "retrieve": MEMBERS,
        "create": MEMBERS,
        "update": MEMBERS,
        "destroy": MEMBERS,
    }
    serializer_class = ReportedContractSerializer

    def scoped_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ReportedContract.objects.none()
        return selectors.reported_contracts(user=self.request.user)

    @extend_schema(
        summary="Report a contract your firm concluded itself",
        request=ReportedContractInputSerializer,
        responses=with_errors(ReportedContractSerializer, 400, 409, ok_status=201),
    )
    def create(self, request):
        data = ReportedContractInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        contract = services.reported_contract_create(actor=request.user, **data.values())
        contract = selectors.reported_contract_get(user=request.user, pk=contract.pk)
        return Response(ReportedContractSerializer(contract).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change one of your firm's reported contracts (quarters replaced as a whole)",
        request=ReportedContractInputSerializer,
        responses=with_errors(ReportedContractSerializer, 400, 404, 409),
    )
    def update(self, request, pk=None):
        contract = self.get_object()
        data = ReportedContractInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.reported_contract_update(contract=contract, actor=request.user, **data.values())
        contract = selectors.reported_contract_get(user=request.user, pk=contract.pk)
        return Response(ReportedContractSerializer(contract).data)

    @extend_schema(
        summary="Delete one of your firm's reported contracts",
        request=None,
        responses=with_errors(None, 404, 409, ok_status=204),
    )
    def destroy(self, request, pk=None):
        services.reported_contract_delete(contract=self.get_object(), actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)
