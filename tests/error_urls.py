"""The site's URLs plus views that fail on purpose, for tests/test_error_pages.py."""

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from django.urls import path

from cantine.urls import handler400, handler403, handler404, handler500  # noqa: F401 - Django looks them up here
from cantine.urls import urlpatterns as site_urlpatterns


def bad_request(request):
    raise SuspiciousOperation("a request that makes no sense")


def forbidden(request):
    raise PermissionDenied


def not_found(request):
    raise Http404("nothing here")


def crash(request):
    raise RuntimeError("a bug")


def database_down(request):
    raise OperationalError('connection to server at "127.0.0.1", port 5432 failed: Connection refused')


def connection_lost(request):
    raise InterfaceError("connection already closed")


def session_write(request):
    request.session["seen"] = True
    return HttpResponse("ok")


FAILURES = {400: bad_request, 403: forbidden, 404: not_found, 500: crash}

urlpatterns = [
    *(path(f"echec/{status}/", view) for status, view in FAILURES.items()),
    path("echec/base-indisponible/", database_down),
    path("echec/connexion-perdue/", connection_lost),
    path("echec/session/", session_write),
    *site_urlpatterns,
]
