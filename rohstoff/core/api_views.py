from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from .access import LOGGED_IN
from .api import ScopedViewSet
from .models import Material

UNAUTHORISED = OpenApiResponse(description="No or invalid credentials.")
FORBIDDEN = OpenApiResponse(description="Your role may not use this endpoint.")
NOT_FOUND = OpenApiResponse(description="No such object, or not one you may see.")


class MaterialSerializer(serializers.ModelSerializer):
    element_content = serializers.DecimalField(max_digits=12, decimal_places=10, read_only=True)
    lce_factor = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = ["code", "name_en", "name_de", "formula", "composition", "element", "family", "crma",
                  "element_content", "lce_factor"]

    def get_lce_factor(self, material) -> str | None:
        factor = material.lce_factor
        return None if factor is None else str(factor.quantize(material.element_content.__class__("0.0001")))


@extend_schema_view(
    list=extend_schema(summary="The material reference list", responses={200: MaterialSerializer(many=True), 401: UNAUTHORISED}),
    retrieve=extend_schema(summary="One material", responses={200: MaterialSerializer, 401: UNAUTHORISED, 404: NOT_FOUND}),
)
class MaterialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policy = LOGGED_IN
    serializer_class = MaterialSerializer
    lookup_field = "code"
    pagination_class = None

    def scoped_queryset(self):
        return Material.objects.all()
