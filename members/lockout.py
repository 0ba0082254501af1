"""Login lockout with django-axes: who is locked out, what they see, and how a coordinator lifts it.

Failures are counted per address and per IP (``AXES_LOCKOUT_PARAMETERS``),
each against its own limit: an address after ``AXES_FAILURE_LIMIT`` failures
from anywhere, an IP after ``LOGIN_FAILURE_LIMIT_PER_IP`` failures on any
addresses — higher, since everyone on the cantine's wifi shares one IP. Both
last ``AXES_COOLOFF_TIME`` after the last failure.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_failure_limit, get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.shortcuts import render
from django.utils import timezone

from meals import ratelimit

USERNAME_LENGTH = 255  # axes' column


def normalize_username(value) -> str | None:
    """Login is by email, whatever its case: « KARIM@… » and « karim@… » are one address to count."""
    if value is None:
        return None
    return str(value).strip().lower()[:USERNAME_LENGTH] or None


def username_of(request, credentials: dict | None = None) -> str | None:
    """AXES_USERNAME_CALLABLE: the address typed on the login form (or the one that logged in)."""
    if credentials and credentials.get(settings.AXES_USERNAME_FORM_FIELD) is not None:
        return normalize_username(credentials[settings.AXES_USERNAME_FORM_FIELD])
    data = getattr(request, "POST", None) or {}
    return normalize_username(data.get(settings.AXES_USERNAME_FORM_FIELD))


def client_ip(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the project's client address, when it is one (axes stores it as an IP)."""
    address = ratelimit.client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def cool_off_minutes() -> int:
    return max(1, round(get_cool_off().total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: a friendly page that says how long to wait and what else to do."""
    return render(
        request,
        "registration/locked_out.html",
        {"minutes": cool_off_minutes(), "coordination_phone": settings.COORDINATION_PHONE},
        status=429,
    )


def _failures(attempts) -> int:
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for IPs, and a reset that only clears the address.

    axes compares one number with one limit: an IP at its own limit is
    reported as at the address limit. On success axes would delete the
    failures of the IP too, so that logging into one's own account would wipe
    the failures on someone else's: here only the failures on the address
    that logged in are forgotten.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        parameters = get_lockout_parameters(request, credentials)
        counted = zip(parameters, self.get_user_attempts(request, credentials), strict=True)
        failures = {str(parameter): _failures(attempts) for parameter, attempts in counted}
        by_ip = failures.pop("ip_address", 0)
        others = max(failures.values(), default=0)
        if request.axes_ip_address and by_ip >= settings.LOGIN_FAILURE_LIMIT_PER_IP:
            return max(others, get_failure_limit(request, credentials))
        return others

    def user_logged_in(self, sender, request, user, **kwargs):
        super().user_logged_in(sender, request, user, **kwargs)
        forget_address(user)


def forget_address(user) -> int:
    """Delete the failures on this account's address (it proved it knows the password, or owns the mailbox)."""
    names = {normalize_username(user.get_username()), normalize_username(user.email)} - {None}
    deleted, _ = AccessAttempt.objects.filter(username__in=names).delete()
    return deleted


# The coordinator's page --------------------------------------------------------


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "ip_address"
    value: str
    failures: int
    until: datetime


def current_lockouts(*, now: datetime | None = None) -> list[Lockout]:
    """Addresses and IPs locked out now, with when the lock ends at the latest, the latest first."""
    now = now or timezone.now()
    cool_off = get_cool_off()
    recent = AccessAttempt.objects.filter(attempt_time__gte=now - cool_off)
    limits = {"username": settings.AXES_FAILURE_LIMIT, "ip_address": settings.LOGIN_FAILURE_LIMIT_PER_IP}
    found = []
    for kind, limit in limits.items():
        rows = (
            recent.exclude(**{f"{kind}__isnull": True})
            .values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit)
        )
        found.extend(Lockout(kind, row[kind], row["failures"], row["last"] + cool_off) for row in rows)
    return sorted(found, key=lambda lockout: lockout.until, reverse=True)


def unlock(*, username: str | None = None, ip_address: str | None = None) -> int:
    """Forget the failures on one address or from one IP; how many records went."""
    if username:
        attempts = AccessAttempt.objects.filter(username=normalize_username(username))
    elif ip_address:
        attempts = AccessAttempt.objects.filter(ip_address=ip_address)
    else:
        return 0
    deleted, _ = attempts.delete()
    return deleted
