"""Error pages that still render when nothing else works.

Each page (templates/400.html … 503.html, on the layout templates/errors/base.html)
is rendered with a plain context: no request, no context processor, no user,
no session, no query, so a page still comes out while PostgreSQL is down or the
disk is full. It is in the visitor's language, read again from the language
cookie or Accept-Language: a 500 may come from a middleware that runs before
LocaleMiddleware, when the thread still speaks the previous request's language.

A database that does not answer (``OperationalError``, ``InterfaceError``) is
not a bug of the page: the visitor gets the 503 page, which says to come back
in a minute and gives the cantine's phone number, with ``Retry-After``. The
middleware catches it from a view; ``server_error`` from anywhere else (a
session saved on the way out, a middleware).
"""

from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.html import format_html

logger = logging.getLogger(__name__)

DATABASE_DOWN = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 30


def visitor_language(request: HttpRequest) -> str:
    """The language LocaleMiddleware chose, or the one it would choose (cookie, Accept-Language)."""
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language_from_request(request)


def phone_link(phone: str) -> str:
    """« 01 23 45 67 89 » as a link a phone can call; "" when no number is set."""
    if not phone:
        return ""
    return format_html('<a href="tel:{}">{}</a>', "".join(c for c in phone if c.isdigit() or c == "+"), phone)


def render_error(request: HttpRequest, template_name: str, *, status: int) -> HttpResponse:
    language = visitor_language(request)
    phone = getattr(settings, "COORDINATION_PHONE", "")
    with translation.override(language):
        # No request: a plain Context, so no context processor (user, messages…) runs.
        html = loader.render_to_string(
            template_name, {"status": status, "phone": phone, "phone_link": phone_link(phone)}
        )
    response = HttpResponse(html, status=status)
    response["Content-Language"] = language
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    if status >= 500:
        add_never_cache_headers(response)
    return response


def is_database_down(exception: BaseException | None) -> bool:
    """True when the database did not answer, also when that error caused the one raised."""
    seen = set()
    while exception is not None and id(exception) not in seen:
        if isinstance(exception, DATABASE_DOWN):
            return True
        seen.add(id(exception))
        exception = exception.__cause__ or exception.__context__
    return False


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render_error(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while it handles the exception: sys.exc_info() is that exception.
    if is_database_down(sys.exc_info()[1]):
        return database_unavailable(request)
    return render_error(request, "500.html", status=500)


def database_unavailable(request: HttpRequest) -> HttpResponse:
    response = render_error(request, "503.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """A view that meets a database that does not answer gets the 503 page, not a 500."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_database_down(exception):
            return None
        logger.error("Database unavailable on %s", request.path, exc_info=exception)
        return database_unavailable(request)
