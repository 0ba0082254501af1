"""Messages: the coordinators' page of what is waiting or failed, and the links in the SMS.

- ``meals:outbox`` (coordinators, ``meals.manage_outbox``): messages waiting,
  being sent or failed, with « Renvoyer » for a failed one. It shows the kind,
  a masked address and the error, never the text.
- ``meals:short_link`` ``/r/<code>``: the booking's private page, from an SMS.
- ``meals:sms_stop`` ``/s/<code>``: GET asks, POST turns SMS off for that person.
- ``meals:sms_inbound``: the provider's webhook for replies; « STOP » turns SMS off.
"""

import hmac
import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.http import HttpResponse, HttpResponseNotFound
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meals import outbox as outbox_service
from meals.idempotency import claim, keep, posted_key
from meals.models import Booking, Message
from meals.views.booking import LINK_EXPIRES_AFTER
from members.models import Member

outbox_required = permission_required("meals.manage_outbox", raise_exception=True)

SHOWN = 200
STOP_WORDS = {"STOP", "ARRET", "ARRÊT", "STOPSMS", "STOP SMS"}


def mask(address: str) -> str:
    """« j•••@example.org », « 06 •• •• •• 78 »: enough to recognise, not to copy."""
    if "@" in address:
        local, _at, domain = address.partition("@")
        return f"{local[:1]}•••@{domain}"
    digits = [char for char in address if char.isdigit()]
    if len(digits) < 4:
        return "•••"
    return f"{''.join(digits[:2])} •• •• •• {''.join(digits[-2:])}"


@require_GET
@login_required
@outbox_required
def outbox(request):
    rows = list(Message.objects.to_show().order_by("-created_at", "-pk")[:SHOWN])
    for row in rows:
        row.masked = mask(row.to)
        row.kind_label = outbox_service.KINDS.get(row.kind, row.kind)
    counts = {
        "failed": sum(1 for row in rows if row.status == Message.Status.FAILED),
        "waiting": sum(1 for row in rows if row.status != Message.Status.FAILED),
    }
    return render(request, "meals/messages/outbox.html", {"rows": rows, "counts": counts, "shown": SHOWN})


@require_POST
@login_required
@outbox_required
def outbox_retry(request, pk: int):
    message = get_object_or_404(Message, pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return redirect("meals:outbox")
    with transaction.atomic():
        if claim(key, "outbox_retry") is not None:
            return redirect("meals:outbox")  # a double tap: queued once
        done = outbox_service.retry(message=message)
        keep(key, "outbox_retry", message)
    if done:
        messages.success(request, _("Le message est de nouveau en attente d'envoi."))
    else:
        messages.info(request, _("Ce message n'est plus en échec : rien à renvoyer."))
    return redirect("meals:outbox")


def _booking_for(code: str) -> Booking:
    return get_object_or_404(
        Booking.objects.select_related("member"),
        sms_code=code,
        meal__ends_at__gte=timezone.now() - LINK_EXPIRES_AFTER,
    )


@require_GET
def short_link(request, code: str):
    return redirect("meals:booking", _booking_for(code).token)


@require_http_methods(["GET", "POST"])
def sms_stop(request, code: str):
    booking = _booking_for(code)
    member = booking.member
    if request.method == "POST" and member is not None:
        turn_sms_off(member)
        return render(request, "meals/messages/sms_stopped.html", {"booking": booking})
    return render(request, "meals/messages/sms_stop.html", {"booking": booking, "member": member})


def turn_sms_off(member: Member) -> None:
    """No more SMS for this person; the ones still waiting are dropped when their turn comes."""
    Member.objects.filter(pk=member.pk).update(sms_opt_out=True)
    member.sms_opt_out = True


@csrf_exempt
@require_POST
def sms_inbound(request, secret: str):
    """A reply to an SMS, posted by the provider: « STOP » from a number turns SMS off for that number.

    The URL carries ``SMS_INBOUND_TOKEN`` (unset: the URL does not exist).
    The body is JSON: the number in ``from``, ``to`` or ``phoneNumber``, the
    text in ``reply``, ``text`` or ``message`` (see README, « SMS »).
    """
    token = settings.SMS_INBOUND_TOKEN
    if not token or not hmac.compare_digest(secret.encode(), token.encode()):
        return HttpResponseNotFound()
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return HttpResponse(status=400)
    if not isinstance(data, dict):
        return HttpResponse(status=400)
    text = str(data.get("reply") or data.get("text") or data.get("message") or "")
    number = str(data.get("from") or data.get("phoneNumber") or data.get("to") or "")
    if " ".join(text.upper().split()) in STOP_WORDS and number:
        from members.contacts import InvalidPhone, normalize_phone

        try:
            phone = normalize_phone(number if number.startswith(("+", "0")) else "+" + number)
        except InvalidPhone:
            return HttpResponse(status=204)
        Member.objects.active().filter(phone=phone).update(sms_opt_out=True)
    return HttpResponse(status=204)
