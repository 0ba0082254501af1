"""Whole pages kept in memory, with each response's own CSRF token put back in.

A page rendered with ``CSRF_PLACEHOLDER`` as its ``csrf_token`` is kept as
the bytes around the token's places (``page_parts``); ``page_response`` joins
them with the token of the request being answered, so every form carries its
viewer's own token and the kept page holds none.
"""

from django.http import HttpResponse
from django.middleware.csrf import get_token

CSRF_PLACEHOLDER = "\x00csrf\x00"


def page_parts(html: str) -> list[bytes]:
    return html.encode().split(CSRF_PLACEHOLDER.encode())


def page_response(request, parts: list[bytes]) -> HttpResponse:
    return HttpResponse(get_token(request).encode().join(parts))
