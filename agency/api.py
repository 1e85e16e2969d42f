"""Read API of agency projects (agency and trading desk)."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers

from rohstoff.core.api import ScopedViewSet
from rohstoff.core.openapi import with_errors

from . import policy
from .models import Project


class ProjectSerializer(serializers.ModelSerializer):
    materials = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)
    country = serializers.CharField(source="country.code", read_only=True)
    contracts = serializers.IntegerField(source="contract_count", read_only=True)

    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "operator",
            "country",
            "materials",
            "stage",
            "description",
            "contracts",
        ]


@extend_schema_view(
    list=extend_schema(
        summary="Agency projects (mines, refineries, recycling plants)",
        responses=with_errors(ProjectSerializer(many=True), 404),  # 404: members
    ),
    retrieve=extend_schema(
        summary="One agency project",
        responses=with_errors(ProjectSerializer, 404),
    ),
)
class ProjectViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    access_policy = policy.PROJECT_READERS
    serializer_class = ProjectSerializer

    def scoped_queryset(self):
        return policy.projects_visible_to(self.request.user).order_by("name")
