"""What the messages say: emails and SMS to guests and volunteers, in each one's language.

The services queue them (``queue_*``, ``meals.outbox.enqueue``) in the
transaction of the change; the worker renders each one when it sends it
(``render``), from the rows it names: so the booking transaction only writes
two rows, and a message whose booking is gone is dropped, not sent. Guests who
gave an email get emails; those who gave only a phone get the same news by
SMS (one SMS: 160 GSM characters, the cantine's name first, a short private
link and a STOP link), unless they said STOP.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from email.utils import formatdate

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from meals import outbox
from meals.calendar import meal_calendar
from meals.models import Booking, Meal, Message

logger = logging.getLogger(__name__)


def booking_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("meals:booking", args=[booking.token])


def cantine_name() -> str:
    """The cantine's name, for the first words of an SMS and the emails' signature (one place to change)."""
    from members.models import cantine_settings

    return cantine_settings().name


# Queueing ---------------------------------------------------------------------------------

BOOKING_KINDS = ("booking_confirmation", "booking_promotion", "booking_link", "booking_reminder", "meal_cancelled")


def booking_channel(booking: Booking) -> tuple[str, str] | None:
    """(channel, address) to reach the guest of ``booking``: the email, else the phone by SMS, else None."""
    if booking.email:
        return Message.Channel.EMAIL, booking.email
    member = booking.member
    if booking.phone and not (member is not None and member.sms_opt_out):
        return Message.Channel.SMS, booking.phone
    return None


def queue_booking_message(booking: Booking, kind: str, *, key: str = ""):
    """Queue ``kind`` (one of ``BOOKING_KINDS``) for the guest of ``booking``, in the caller's transaction."""
    reach = booking_channel(booking)
    if reach is None:
        return None
    channel, to = reach
    return outbox.enqueue(
        channel=channel,
        kind=kind,
        to=to,
        language=booking.language,
        member=booking.member,
        booking=booking,
        key=key,
    )


def queue_account_mail(*, to: str, subject: str, body: str, html: str = "", member=None, language: str = "fr"):
    """A mail about an account (sign-up link, password reset, approval), written now and sent by the worker."""
    return outbox.enqueue(
        channel=Message.Channel.EMAIL,
        kind="account",
        to=to,
        language=language,
        member=member,
        context={"subject": subject, "body": body, "html": html},
    )


# Rendering --------------------------------------------------------------------------------


def render(message: Message):
    """The email (``EmailMultiAlternatives``) or the ``meals.sms.Sms`` to send now; None when it has no object."""
    with translation.override(message.language or settings.LANGUAGE_CODE):
        if message.kind == "account":
            return _account_mail(message)
        if message.kind == "tax_receipt":
            return _receipt_mail(message)
        if message.kind in ("shift_reminder", "slot_open", "volunteer_follow_up"):
            return _volunteer_mail(message)
        if message.kind == "meal_cancelled" and message.channel == Message.Channel.EMAIL:
            return _cancellation_mail(message)
        booking = message.booking
        if booking is None or message.kind not in BOOKING_KINDS or not _still_due(message.kind, booking):
            return None
        if message.channel == Message.Channel.SMS:
            return _sms(message, booking)
        return _booking_mail(message, booking)


def _still_due(kind: str, booking: Booking) -> bool:
    if kind == "booking_promotion":
        return booking.status == Booking.Status.CONFIRMED
    if kind == "booking_reminder":
        return booking.status == Booking.Status.CONFIRMED and booking.meal.status == Meal.Status.SCHEDULED
    if kind in ("booking_link", "booking_confirmation"):
        return booking.status != Booking.Status.CANCELLED
    return True


def _email(message: Message, *, subject: str, text: str, html: str = "") -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[message.to],
        headers={"Message-ID": message.message_id, "Date": formatdate(localtime=True)},
    )
    if html:
        email.attach_alternative(html, "text/html")
    return email


def _account_mail(message: Message):
    context = message.context or {}
    if not context.get("subject"):
        return None
    return _email(message, subject=context["subject"], text=context.get("body", ""), html=context.get("html", ""))


def _booking_mail(message: Message, booking: Booking) -> EmailMultiAlternatives | None:
    from meals.templatetags.cantine import hour, when

    meal = booking.meal
    starts = when(meal.starts_at)
    if message.kind == "booking_confirmation":
        if booking.status == Booking.Status.WAITLISTED:
            subject = _("Vous êtes sur la liste d'attente — %(when)s") % {"when": starts}
        else:
            subject = _("Votre place est réservée — %(when)s") % {"when": starts}
        # A place on the waiting list is not a meal to put in a calendar (yet: the promotion carries it).
        template, ics = "confirmation", booking.status == Booking.Status.CONFIRMED
    elif message.kind == "booking_promotion":
        subject = _("Une place s'est libérée pour vous — %(when)s") % {"when": starts}
        template, ics = "promotion", True
    elif message.kind == "booking_link":
        subject = _("Votre réservation — %(when)s") % {"when": starts}
        template, ics = "link", False
    else:
        subject = _("À demain, %(hour)s, à la cantine") % {"hour": hour(meal.starts_at)}
        template, ics = "reminder", False
    from meals.allergies import booking_clash

    context = {
        "booking": booking,
        "meal": meal,
        "url": booking_url(booking),
        "site_url": settings.SITE_URL,
        "clash": booking_clash(booking),  # what their allergies or diet meet in the menu
    }
    email = _email(
        message,
        subject=subject,
        text=render_to_string(f"meals/emails/{template}.txt", context),
        html=render_to_string(f"meals/emails/{template}.html", context),
    )
    if ics:
        email.attach("cantine.ics", meal_calendar(meal, booking=booking), "text/calendar")
    return email


def _receipt_mail(message: Message):
    """The tax receipt, its PDF attached (made now from the receipt row, which never changes)."""
    from meals.models import TaxReceipt
    from meals.receipts_pdf import receipt_pdf

    receipt = TaxReceipt.objects.select_related("member", "replaces").filter(pk=message.context.get("receipt")).first()
    if receipt is None or receipt.is_cancelled or receipt.member is None or receipt.member.erased_at is not None:
        return None
    subject = _("Votre reçu fiscal n° %(number)s") % {"number": receipt.number}
    body = _(
        "Bonjour %(name)s,\n\nMerci pour votre don à %(association)s. Vous trouverez ci-joint votre reçu fiscal "
        "n° %(number)s, à garder pour votre déclaration de revenus.\n\nÀ bientôt à la cantine."
    ) % {"name": receipt.donor_name, "association": receipt.association_name, "number": receipt.number}
    email = _email(message, subject=subject, text=body)
    email.attach(f"recu-fiscal-{receipt.number}.pdf", receipt_pdf(receipt), "application/pdf")
    return email


def _cancellation_mail(message: Message):
    """To a guest or a volunteer of a cancelled meal (by its booking, or by the person alone)."""
    from meals.templatetags.cantine import punct, when

    meal = Meal.objects.filter(pk=message.context.get("meal")).first()
    if meal is None:
        return None
    booking, member = message.booking, message.member
    name = (booking.name if booking else "") or (member.name if member else "")
    starts = when(meal.starts_at)
    subject = _("Repas annulé : %(when)s") % {"when": starts}
    text = render_to_string("meals/emails/cancelled.txt", {"name": name, "when": starts, "meal": meal})
    return _email(message, subject=subject, text=punct(text))


def _volunteer_mail(message: Message):
    from meals.models import Shift, ShiftSignup
    from meals.templatetags.cantine import punct, when

    member = message.member
    if member is None or member.erased_at is not None:
        return None
    if message.kind == "volunteer_follow_up":
        signup = ShiftSignup.objects.select_related("shift__meal").filter(pk=message.context.get("signup")).first()
        if signup is None:
            return None
        day = date_format(timezone.localtime(signup.shift.starts_at), "l")
        context = {"member": member, "day": day, "board_url": settings.SITE_URL + reverse("meals:shifts")}
        subject = punct(_("On ne vous a pas vu %(day)s, tout va bien ?") % {"day": day})
        return _email(
            message, subject=subject, text=punct(render_to_string("meals/shifts/email/follow_up.txt", context))
        )
    if message.kind == "shift_reminder":
        signups = list(
            ShiftSignup.objects.filter(pk__in=message.context.get("signups", []), member=member)
            .select_related("shift__meal")
            .order_by("shift__starts_at")
        )
        if not signups:
            return None
        context = {
            "member": member,
            "signups": signups,
            "my_shifts_url": settings.SITE_URL + reverse("meals:my_shifts"),
        }
        subject = punct(_("Rappel : vous êtes attendu·e demain à la cantine"))
        return _email(
            message, subject=subject, text=punct(render_to_string("meals/shifts/email/reminder.txt", context))
        )
    shift = Shift.objects.select_related("meal").filter(pk=message.context.get("shift")).first()
    if shift is None or shift.meal.is_cancelled or shift.is_full or shift.starts_at <= timezone.now():
        return None
    if ShiftSignup.objects.filter(shift=shift, member=member).exists():
        return None
    subject = punct(
        _("Un créneau s'est libéré : %(role)s, %(when)s")
        % {"role": shift.get_role_display(), "when": when(shift.starts_at)}
    )
    context = {"member": member, "shift": shift, "board_url": settings.SITE_URL + reverse("meals:shifts")}
    return _email(message, subject=subject, text=punct(render_to_string("meals/shifts/email/slot_open.txt", context)))


def sms_when(moment: datetime) -> str:
    """« mar. 24/11 12h30 » (« Tue 24/11 12:30 »): the meal's day and hour, short, for an SMS."""
    local = timezone.localtime(moment)
    return _("%(day)s %(hour)sh%(minute)s") % {
        "day": date_format(local, "D j/m"),
        "hour": local.hour,
        "minute": f"{local.minute:02d}",
    }


def sms_text(kind: str, booking: Booking, *, name: str, link: str, stop: str) -> str:
    """The SMS of ``kind``, in the active language, before it is fitted to one SMS."""
    values = {"cantine": name, "when": sms_when(booking.meal.starts_at), "link": link, "stop": stop}
    if kind == "booking_confirmation" and booking.status == Booking.Status.WAITLISTED:
        text = _("%(cantine)s : liste d'attente %(when)s. Si une place se libère, SMS. Votre lien : %(link)s")
    elif kind == "booking_confirmation" and _clashes(booking):
        text = _("%(cantine)s : place réservée %(when)s. Attention à vos allergies ou régime, voir : %(link)s")
    elif kind == "booking_confirmation":
        text = _("%(cantine)s : place réservée %(when)s. Votre lien : %(link)s")
    elif kind == "booking_promotion":
        text = _("%(cantine)s : une place s'est libérée pour vous %(when)s ! Votre lien : %(link)s")
    elif kind == "booking_reminder":
        text = _("%(cantine)s : à demain, %(when)s ! Pour annuler : %(link)s")
    elif kind == "meal_cancelled":
        text = _("%(cantine)s : désolés, le repas du %(when)s est annulé. %(link)s")
    else:
        text = _("%(cantine)s : votre réservation %(when)s : %(link)s")
    ending = _(" STOP SMS : %(stop)s") if stop else _(" Plus de SMS : sur ce lien.")
    return (text + ending) % values


def _clashes(booking: Booking) -> bool:
    from meals.allergies import booking_clash

    return bool(booking_clash(booking))


def _shorten(name: str, length: int) -> str:
    """« Cantine participative des Lilas » → « Cantine participative » (20): cut at a word, or at ``length``."""
    if len(name) <= length:
        return name
    cut = name[: length + 1].rsplit(" ", 1)[0].rstrip(" ,-")
    return cut if 0 < len(cut) <= length else name[:length]


def _sms(message: Message, booking: Booking):
    from meals import sms

    member = booking.member
    if not booking.phone or (member is not None and member.sms_opt_out):
        return None
    link = sms.short_link(booking)
    stop = sms.short_link(booking, stop=True)
    name = cantine_name()
    # One SMS, whatever the name and the site's address: shorten the name (at a word), then let the
    # booking page, which the link opens, offer STOP.
    short = _shorten(name, 20)
    attempts = ((name, stop), (short, stop), (name, ""), (short, ""), (_shorten(name, 12), ""))
    for attempt_name, attempt_stop in attempts:
        body = " ".join(
            sms.gsm(sms_text(message.kind, booking, name=attempt_name, link=link, stop=attempt_stop)).split()
        )
        if len(body) <= sms.MAX_LENGTH:
            break
    return sms.Sms(to=sms.e164(message.to), body=sms.fit(body), sender=settings.SMS_SENDER)


# Reminders --------------------------------------------------------------------------------


def send_booking_reminders(*, day: date | None = None, now: datetime | None = None) -> int:
    """Queue the day-before reminder of every confirmed guest with an email or a phone. Idempotent.

    Each booking is claimed (``reminder_sent_at`` set by a conditional UPDATE)
    in the transaction that queues its message, so two runs at once never
    queue twice. Returns how many were queued.
    """
    now = now or timezone.now()
    day = day or timezone.localdate(now) + timedelta(days=1)
    due = (
        Booking.objects.filter(
            status=Booking.Status.CONFIRMED,
            reminder_sent_at__isnull=True,
            meal__status=Meal.Status.SCHEDULED,
            meal__starts_at__date=day,
        )
        .exclude(email="", phone="")
        .select_related("meal", "member")
        .order_by("pk")
    )
    queued = 0
    for booking in due:
        if booking_channel(booking) is None:
            continue
        with transaction.atomic():
            claimed = Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
            if claimed and queue_booking_message(booking, "booking_reminder", key=f"reminder:{booking.pk}"):
                queued += 1
    return queued
