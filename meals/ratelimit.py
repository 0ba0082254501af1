"""A small fixed-window rate limit in the shared cache (holds across workers).

``settings.BOOKING_RATE_LIMIT`` reads like ``"10/m"`` (per second ``s``,
minute ``m``, hour ``h``, day ``d``); ``"off"`` disables it.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured

PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_rate(rate: str) -> tuple[int, int] | None:
    """``"10/m"`` → ``(10, 60)``; ``"off"`` or empty → ``None``."""
    rate = (rate or "").strip().lower()
    if rate in {"", "off", "0", "none", "false"}:
        return None
    try:
        count, period = rate.split("/")
        return int(count), PERIODS[period.strip()[:1]]
    except (ValueError, KeyError) as exc:
        raise ImproperlyConfigured(f"Bad rate {rate!r}: use N/s, N/m, N/h or off.") from exc


def client_ip(request) -> str:
    # Behind the reverse proxy every request comes from the proxy: the client
    # is the address the proxy appended last to X-Forwarded-For (the earlier
    # ones are whatever the client chose to send).
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def is_limited(request, *, scope: str, rate: str) -> bool:
    """Count this request; True when the client went over ``rate`` in this window."""
    parsed = parse_rate(rate)
    if parsed is None:
        return False
    limit, period = parsed
    window = int(time.time() // period)
    key = f"ratelimit:{scope}:{client_ip(request)}:{window}"
    # add() is atomic: the first request of the window creates the counter.
    if cache.add(key, 1, timeout=period + 1):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=period + 1)
            count = 1
    return count > limit
