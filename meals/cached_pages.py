"""Whole pages kept in memory, with each response's own CSRF token put back in.

A page rendered with ``CSRF_PLACEHOLDER`` as its ``csrf_token`` is kept as
the bytes around the token's places (``page_parts``); ``page_response`` joins
them with the token of the request being answered, so every form carries its
viewer's own token and the kept page holds none.
"""

from django.contrib import messages
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.utils.translation import get_language

from cantine.changes import change_counters

CSRF_PLACEHOLDER = "\x00csrf\x00"


def page_key(request, counter: str, *what) -> tuple | None:
    """The key of a whole page as this viewer sees it, under the change counter ``counter``.

    None when the page must not be kept: the counter is missing, or a flash
    message makes the page one of a kind. The viewer's permissions are in the
    key because the menu shows them.
    """
    version = change_counters().get(counter)
    if version is None or len(messages.get_messages(request)) > 0:
        return None
    user = request.user
    permissions = frozenset(user.get_all_permissions()) if user.is_authenticated else None
    return (counter, *what, version, get_language(), user.pk, permissions)


def page_parts(html: str) -> list[bytes]:
    return html.encode().split(CSRF_PLACEHOLDER.encode())


def page_response(request, parts: list[bytes]) -> HttpResponse:
    return HttpResponse(get_token(request).encode().join(parts))
