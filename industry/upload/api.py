"""REST API of demand files: the upload of a whole file, all rows or none."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from rohstoff.core.api_parsers import MultiPartParser
from rohstoff.core.language import uses_decimal_comma
from rohstoff.core.openapi import with_errors

from . import services
from .reading import size_error
from .validation import for_reader


class UploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A demand file (CSV or XLSX), one demand line a row")


UPLOAD_ERRORS = inline_serializer(
    "UploadErrors",
    {
        "errors": serializers.ListField(
            child=inline_serializer(
                "UploadError",
                {
                    "row": serializers.IntegerField(allow_null=True),
                    "column": serializers.CharField(allow_null=True),
                    "message": serializers.CharField(),
                    "more": serializers.IntegerField(
                        required=False,
                        help_text="Only on the last entry when errors were left out: how many "
                        "(the first 100 are listed)",
                    ),
                },
            )
        )
    },
)
UPLOAD_OK = inline_serializer(
    "UploadResult", {"created": serializers.IntegerField(), "replaced": serializers.IntegerField()}
)


# The ``upload`` action of the demand-line viewset, which supplies ``round()``. A comment, not a
# docstring: drf-spectacular would print a docstring into every operation of the viewset.
class DemandUploadMixin:
    @extend_schema(
        summary="Upload a demand file (CSV or XLSX): all rows or none",
        request={"multipart/form-data": UploadSerializer},
        responses={
            **with_errors(UPLOAD_OK, 404, 409, ok_status=201),
            # Not the usual {field: [messages]}: every error of the file by row and column.
            400: OpenApiResponse(UPLOAD_ERRORS, description="Every error by row and column"),
        },
    )
    @action(detail=False, methods=["post"], parser_classes=[MultiPartParser])
    def upload(self, request, round_pk=None):
        round = self.round()
        uploaded = request.FILES.get("file")
        if uploaded is None:
            return Response(
                {
                    "errors": [
                        {
                            "row": None,
                            "column": None,
                            "message": _("Send the file in the multipart field “file”."),
                        }
                    ]
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        if uploaded.size > settings.DEMAND_FILE_MAX_BYTES:
            return Response(
                {"errors": for_reader([size_error(uploaded.size)])},
                status=status.HTTP_400_BAD_REQUEST,
            )
        data = uploaded.read()
        result = services.demand_import(
            round=round,
            actor=request.user,
            data=data,
            filename=uploaded.name,
            prefer_comma=uses_decimal_comma(),
        )
        if result.errors:
            return Response(
                {"errors": for_reader(result.errors)}, status=status.HTTP_400_BAD_REQUEST
            )
        return Response(
            {"created": result.created, "replaced": result.replaced}, status=status.HTTP_201_CREATED
        )
