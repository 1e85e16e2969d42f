"""API building blocks shared by every app: pagination, error shape, the scoped viewset."""

from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.viewsets import GenericViewSet

from .api_parsers import body_too_large_message
from .documents import StoredFileMissing
from .errors import StateConflict


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The current state does not allow this change.")
    default_code = "conflict"


def exception_handler(exc, context):
    """DRF's handler, plus: a service's StateConflict is 409 and its ValidationError is 400, and
    a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` is a 400 that names the limit. Other 404s say only
    "not found", except a stored document whose file is gone (rohstoff.core.documents)."""
    if isinstance(exc, StateConflict):
        exc = Conflict(detail=str(exc.message))
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(detail=as_serializer_error(exc))
    elif isinstance(exc, StoredFileMissing):
        exc = exceptions.NotFound(str(exc))
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, RequestDataTooBig):  # Django read no more than the limit
        exc = exceptions.ParseError(body_too_large_message())
    return drf_exception_handler(exc, context)


class ScopedViewSet(GenericViewSet):
    """A viewset whose queryset always comes from a selector scoped to the acting user.

    Subclasses implement ``scoped_queryset()``; they may not override ``get_queryset`` or set a
    class-level ``queryset``, so scoping cannot be forgotten (a subclass that tries fails at
    import). Objects outside the scope answer 404, exactly as missing ones.

    Object ids are integers: a key that is not one does not match the route (404), and the schema
    types it as an integer (rohstoff.core.openapi.AutoSchema). A viewset keyed by something else
    (materials by code) sets its own ``lookup_value_regex``.
    """

    lookup_value_regex = "[0-9]+"

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__ or cls.__dict__.get("queryset") is not None:
            raise TypeError(
                f"{cls.__name__}: implement scoped_queryset(), not get_queryset/queryset."
            )

    def get_parsers(self):
        """The parsers an ``@action(parser_classes=...)`` declares, also when its route is wired
        with ``as_view({...})`` rather than a router (which alone passes them on).

        The API takes JSON only (settings: DEFAULT_PARSER_CLASSES); an action that takes a file
        declares multipart itself, and the schema says the same.
        """
        action_map = getattr(self, "action_map", None) or {}
        request = getattr(self, "request", None)
        action = action_map.get(request.method.lower()) if request is not None else None
        handler = getattr(self, action, None) if action else None
        declared = getattr(handler, "kwargs", {}).get("parser_classes")
        if declared:
            return [parser() for parser in declared]
        return super().get_parsers()

    def scoped_queryset(self):
        raise ImproperlyConfigured(f"{type(self).__name__} must implement scoped_queryset().")

    def get_queryset(self):
        return self.scoped_queryset()


def bad_request(errors) -> Response:
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)
