"""Change counters: numbers the database changes when rows that cached things depend on change.

Three counters, each kept by database triggers (migration ``meals`` 0005):

- ``board``: a shift, a sign-up, a meal's title, time or status, or a helper's
  name changed (the shift board's HTML is cached on it, meals/board.py);
- ``meals``: a meal, a shift, a booking or a partner's seat block changed
  (the page of the next meals is cached on it, meals/views/public.py);
- ``accounts``: a user, a group membership or a permission changed (who is
  logged in and what they may do is cached on it, members/backends.py).

A cache keyed on a counter is never stale: a committed write changes the
counter, hence the key, whoever wrote and however (a service, the admin, a bulk
update, psql). Reading both counters is one short query, made once per request
(``ChangeCountersMiddleware``) and before any of the rows it guards, so that a
write committed in between can only make a cached entry newer than its key,
never older.
"""

import threading
from collections import OrderedDict
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from django.db import connection

TABLE = "cantine_change_counter"

# The counters read for the current request; None outside a request (then every call reads them).
_request_counters: ContextVar[dict | None] = ContextVar("cantine_change_counters", default=None)


def change_counters() -> dict[str, int]:
    """{counter name: value}. A missing counter (a test flush removes its row) means "do not cache"."""
    scope = _request_counters.get()
    if scope is not None and "values" in scope:
        return scope["values"]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, value FROM {TABLE}")  # noqa: S608 - a constant
        values = dict(cursor.fetchall())
    if scope is not None:
        scope["values"] = values
    return values


class ChangeCountersMiddleware:
    """Read the change counters at most once per request, when first needed."""

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        token = _request_counters.set({})
        try:
            return self.get_response(request)
        finally:
            _request_counters.reset(token)


class KeyedCache:
    """A small least-recently-used cache of this process, for values keyed on change counters.

    Per process on purpose: the keys come from the database, so nothing needs
    to be shared between workers. An entry may also carry the instant the
    clock alone makes it wrong (``valid_until``).
    """

    _all: list["KeyedCache"] = []

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[Any, tuple[datetime | None, Any]] = OrderedDict()
        self._lock = threading.Lock()
        KeyedCache._all.append(self)

    def get(self, key, *, now: datetime | None = None) -> tuple[Any, datetime | None] | None:
        """(value, valid_until) under ``key`` if there is one still valid at ``now``."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            valid_until, value = entry
            if valid_until is not None and (now is None or now >= valid_until):
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value, valid_until

    def put(self, key, value, *, valid_until: datetime | None = None) -> None:
        with self._lock:
            self._entries[key] = (valid_until, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    @classmethod
    def clear_all(cls) -> None:
        for cache in cls._all:
            cache.clear()
