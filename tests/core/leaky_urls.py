"""A URL configuration with the mistakes the access walk must catch (used by its self-test)."""

from django.http import HttpResponse
from django.urls import path
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from rohstoff.core.access import DESK, LOGGED_IN, PUBLIC, allow


def undeclared(request):
    return HttpResponse("no policy")


@allow(PUBLIC)
def planted_public(request):
    return HttpResponse("public, but not on the list")


class DeskOnlyButAllowAny(APIView):
    access_policy = DESK
    permission_classes = [AllowAny]  # replaces the policy check: everyone gets in

    def get(self, request):
        return Response({"leak": True})


class SessionOnly(APIView):
    access_policy = LOGGED_IN
    authentication_classes = [SessionAuthentication]  # anonymous callers get 403, not 401

    def get(self, request):
        return Response({})


@allow(PUBLIC)
def sign_in(request):
    return HttpResponse("sign in")


urlpatterns = [
    path("accounts/login/", sign_in, name="account_login"),
    path("planted/undeclared/", undeclared),
    path("planted/public/", planted_public, name="planted_public"),
    path("api/planted/desk-only/", DeskOnlyButAllowAny.as_view()),
    path("api/planted/session-only/", SessionOnly.as_view()),
]
