"""Safe to submit twice: every form that changes state carries a one-time key.

A double tap at the door, a retry after a dropped connection, the back button:
the same rendered form arrives again. Its key (``form_key``, a fresh random
value in every rendered form) lets the service see that and answer as the
first time, writing nothing more.

How a form gets its key: ``KeyedForm`` (or ``{% form_key %}`` in a
hand-written form) renders ``PLACEHOLDER``; ``FormKeyMiddleware`` puts a fresh
key in each place on the way out. So a page or fragment kept in a cache (the
meal page, the guests' rows of the door desk, the shift board) still gives
every render, and every form in it, its own key.

How a service uses it, inside its one ``transaction.atomic()``, right after it
locks the meal (or whatever row it locks first)::

    if (first := claim(key, "contribution", Contribution)) is not None:
        return first  # a replay: the first answer, nothing written
    ...
    return keep(key, "contribution", contribution)

``claim`` writes the key row (``meals.FormKey``, unique per kind and key): a
parallel replay waits on the lock or on the unique index, then finds the row
and answers with what the first produced. A change that rolls back leaves no
key, so a corrected form goes through. A path may keep no answer (booking
again with a contact already booked: that answer must not show the booking):
its replay then runs again, and changes nothing again or is the first change.
A form posted without a key (old pages, scripts, the URL contract) works as
before; old keys are forgotten after ``KEPT_FOR`` (``send_reminders``, daily).
"""

import base64
import os
import re
import secrets
from datetime import datetime, timedelta

from django import forms
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FIELD = "form_key"
# Stands for a key in rendered HTML, replaced per response. NUL bytes cannot come
# from a form (Django refuses them), so no one can plant one in the page.
PLACEHOLDER = "\x00form-key\x00"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")  # secrets.token_urlsafe(16)
# A replay comes within minutes; a week leaves room for a tablet that slept.
KEPT_FOR = timedelta(days=7)

MALFORMED = _("Ce formulaire n'est plus valable : rechargez la page, puis recommencez.")


def new_key() -> str:
    return secrets.token_urlsafe(16)


def is_key(value: str) -> bool:
    return bool(_SHAPE.fullmatch(value or ""))


# Rendering --------------------------------------------------------------------


class FormKeyInput(forms.HiddenInput):
    """Always renders the placeholder: a re-rendered form gets a fresh key too (nothing was kept)."""

    def format_value(self, value):
        return PLACEHOLDER

    def get_context(self, name, value, attrs):
        # No id: several keyed forms share a page, and a hidden input has no label to point at it.
        attrs = {key: value for key, value in (attrs or {}).items() if key != "id"}
        return super().get_context(name, value, attrs)


class KeyedForm(forms.Form):
    """A form with a one-time key, ``form_key``.

    Optional: a post without one works as before. A malformed one is an error
    of the whole form (shown above it: a hidden field has no place of its own).
    """

    form_key = forms.CharField(required=False, widget=FormKeyInput)

    def clean(self):
        cleaned = super().clean()
        refused = self.errors.pop(FIELD, None) is not None  # e.g. a NUL byte, refused by CharField
        if refused or (cleaned.get(FIELD) and not is_key(cleaned[FIELD])):
            self.add_error(None, forms.ValidationError(MALFORMED, code="form_key"))
            cleaned[FIELD] = ""
        return cleaned


class KeyForm(KeyedForm):
    """The key alone, for actions that are a bare button (check a guest in, undo it)."""


def posted_key(request) -> tuple[str, str | None]:
    """(key, error) from a POST that has no other form: ``""`` when none was sent."""
    form = KeyForm(request.POST)
    if form.is_valid():
        return form.cleaned_data[FIELD], None
    return "", str(MALFORMED)


def key_error(form: forms.Form) -> str | None:
    """The message of a malformed key, for views that answer a refused form with a flash message."""
    for error in form.non_field_errors().as_data():
        if error.code == "form_key":
            return str(error.message)
    return None


def fill_keys(content: bytes) -> bytes:
    """Each placeholder in ``content`` replaced by a fresh key."""
    parts = content.split(_PLACEHOLDER_BYTES)
    if len(parts) == 1:
        return content
    # One read of the system's randomness for all of them (the shift board has one key per button):
    # each key is 16 random bytes, as new_key() makes them.
    randomness = os.urandom(16 * (len(parts) - 1))
    filled = [parts[0]]
    for index, part in enumerate(parts[1:]):
        filled += [base64.urlsafe_b64encode(randomness[16 * index : 16 * index + 16]).rstrip(b"="), part]
    return b"".join(filled)


class FormKeyMiddleware:
    """Puts a fresh key in every form of an HTML page, however the page was put together (cache or not)."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            not response.streaming
            and response.get("Content-Type", "").startswith("text/html")
            and _PLACEHOLDER_BYTES in response.content
        ):
            response.content = fill_keys(response.content)
        return response


# Claiming -----------------------------------------------------------------------


def claim(key: str, kind: str, model=None):
    """Take ``key`` for a ``kind`` of change; call it inside the transaction, after the first lock.

    None: a first submission (or no key), go on and ``keep()`` the result.
    Otherwise the first submission's result: its ``model`` row (marked
    ``replayed = True``), or the number it kept when ``model`` is None.
    """
    from meals.models import FormKey

    if not key:
        return None
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim() belongs inside the transaction of the change it guards.")
    # get_or_create inserts in a savepoint: a parallel twin waits on the unique index,
    # then sees this row once it commits (or takes the key if it rolled back).
    row, created = FormKey.objects.get_or_create(key=key, kind=kind)
    if created or row.result is None:
        return None
    if model is None:
        return row.result
    # The row may be gone since (a released sign-up): a stand-in with its pk still says « done ».
    first = model.objects.filter(pk=row.result).first() or model(pk=row.result)
    first.replayed = True
    return first


def answered(key: str, kind: str) -> bool:
    """Whether a first submission under ``key`` already made its change (a plain read, outside any lock).

    For a view whose form checks the database (a formset's unique rows): a
    replay is answered before the form refuses what its first submission wrote.
    """
    from meals.models import FormKey

    return bool(key) and FormKey.objects.filter(key=key, kind=kind, result__isnull=False).exists()


def keep(key: str, kind: str, result):
    """Remember what the change under ``key`` produced (a row, or a number); returns ``result``."""
    from meals.models import FormKey

    if key:
        value = result if isinstance(result, int) else result.pk
        FormKey.objects.filter(key=key, kind=kind).update(result=value)
    return result


def purge(*, now: datetime | None = None) -> int:
    """Forget keys older than ``KEPT_FOR`` (the daily command calls it)."""
    from meals.models import FormKey

    now = now or timezone.now()
    deleted, _rows = FormKey.objects.filter(created_at__lt=now - KEPT_FOR).delete()
    return deleted
