"""A small fixed-window rate limit, counted in the database (exact across workers).

``settings.BOOKING_RATE_LIMIT`` reads like ``"10/m"`` (per second ``s``,
minute ``m``, hour ``h``, day ``d``); ``"off"`` disables it.
"""

from __future__ import annotations

import ipaddress
import time
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from meals.models import RateLimitCounter

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
    """The client's address, as far as this server can know it.

    ``settings.NUM_PROXIES`` says how many reverse proxies stand in front of
    the app. 0 (the default): the peer (``REMOTE_ADDR``) is the client and
    ``X-Forwarded-For`` is ignored, since anyone may send one. N: each proxy
    appends the address it saw, so the N-th entry from the right is the one
    the outermost trusted proxy saw; the entries left of it are whatever the
    client chose to send. Fewer entries, or one that is not an address,
    fall back to the peer.
    """
    remote = request.META.get("REMOTE_ADDR", "") or "unknown"
    proxies = getattr(settings, "NUM_PROXIES", 0)
    if proxies <= 0:
        return remote
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    entries = [entry for entry in entries if entry]
    if len(entries) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(entries[-proxies]))
    except ValueError:
        return remote


def is_limited(request, *, scope: str, rate: str, key: str | None = None) -> bool:
    """Count this request; True when the client (or ``key``, e.g. an address) went over ``rate`` in this window."""
    parsed = parse_rate(rate)
    if parsed is None:
        return False
    limit, period = parsed
    window = int(time.time() // period)
    who = client_ip(request) if key is None else key
    return _count_hit(f"ratelimit:{scope}:{who}:{window}", period=period) > limit


def _count_hit(key: str, *, period: int) -> int:
    """Add one to the window's counter; how many it holds now, exact under parallel requests.

    The UPDATE locks the row until commit: parallel hits wait for each other,
    and each reads its own total. (A cache's incr is a read then a write on
    the database cache: two parallel hits could both count 5.)
    """
    now = timezone.now()
    with transaction.atomic():
        if not RateLimitCounter.objects.filter(key=key).update(count=F("count") + 1):
            try:
                with transaction.atomic():
                    RateLimitCounter.objects.create(key=key, count=1, expires_at=now + timedelta(seconds=period))
            except IntegrityError:  # another request opened the window first
                RateLimitCounter.objects.filter(key=key).update(count=F("count") + 1)
            else:
                # A new window: forget the ones that are over.
                RateLimitCounter.objects.filter(expires_at__lt=now).delete()
        return RateLimitCounter.objects.values_list("count", flat=True).get(key=key)
