from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics, mixins, serializers

from .access import LOGGED_IN
from .api import ScopedViewSet
from .models import Job, Material
from .openapi import FORBIDDEN, NOT_FOUND, UNAUTHORISED, with_errors  # noqa: F401  (re-exported)
from .selectors import job_get


class MaterialSerializer(serializers.ModelSerializer):
    element_content = serializers.DecimalField(max_digits=12, decimal_places=10, read_only=True)
    lce_factor = serializers.SerializerMethodField()

    class Meta:
        model = Material
        fields = [
            "code",
            "name_en",
            "name_de",
            "formula",
            "composition",
            "element",
            "family",
            "crma",
            "element_content",
            "lce_factor",
        ]

    def get_lce_factor(self, material) -> str | None:
        factor = material.lce_factor
        return (
            None
            if factor is None
            else str(factor.quantize(material.element_content.__class__("0.0001")))
        )


@extend_schema_view(
    list=extend_schema(
        summary="The material reference list",
        responses=with_errors(MaterialSerializer(many=True)),
    ),
    retrieve=extend_schema(
        summary="One material",
        responses=with_errors(MaterialSerializer, 404),
    ),
)
class MaterialViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policy = LOGGED_IN
    serializer_class = MaterialSerializer
    lookup_field = "code"
    lookup_value_regex = "[^/]+"
    pagination_class = None

    def scoped_queryset(self):
        return Material.objects.all()


class JobSerializer(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "progress",
            "phase",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]


class JobView(generics.RetrieveAPIView):
    """A background job's state and progress: for whoever started it, and the trading desk."""

    access_policy = LOGGED_IN
    serializer_class = JobSerializer

    def get_object(self):
        return job_get(user=self.request.user, pk=self.kwargs["pk"])

    @extend_schema(
        summary="State and progress of a background job",
        responses=with_errors(JobSerializer, 404),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
