"""Emails to guests about their booking, in the guest's language.

Sent after the transaction that made the change commits
(``transaction.on_commit``), so a rolled-back booking never mails anyone. A
failing mail server is logged, never turned into an error page.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meals.models import Booking, Meal

logger = logging.getLogger(__name__)


def booking_url(booking: Booking) -> str:
    return settings.SITE_URL + reverse("meals:booking", args=[booking.token])


def meal_ics(meal: Meal, *, booking: Booking | None = None) -> bytes:
    """The meal as an iCalendar file, for the guest's calendar."""
    from icalendar import Calendar, Event

    calendar = Calendar()
    calendar.add("prodid", "-//Cantine participative//cantine//FR")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = Event()
    uid = f"booking-{booking.token}" if booking else f"meal-{meal.pk}"
    event.add("uid", f"{uid}@cantine")
    event.add("dtstamp", timezone.now())
    event.add("dtstart", meal.starts_at)
    event.add("dtend", meal.ends_at)
    event.add("summary", f"{meal.title} — {_('La Cantine')}")
    menu = " / ".join(part for part in (meal.starter, meal.main, meal.dessert) if part)
    description = [menu] if menu else []
    if booking:
        description.append(_("Votre réservation : %(url)s") % {"url": booking_url(booking)})
        event.add("url", booking_url(booking))
    event.add("description", "\n".join(description))
    if meal.is_cancelled:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    return calendar.to_ical()


def _send(booking: Booking, *, kind: str, subject: str, attach_ics: bool = False) -> bool:
    """Render templates/meals/emails/<kind>.txt (and .html) and send; False on failure."""
    context = {
        "booking": booking,
        "meal": booking.meal,
        "url": booking_url(booking),
        "site_url": settings.SITE_URL,
    }
    text = render_to_string(f"meals/emails/{kind}.txt", context)
    html = render_to_string(f"meals/emails/{kind}.html", context)
    message = EmailMultiAlternatives(subject=subject, body=text, to=[booking.email])
    message.attach_alternative(html, "text/html")
    if attach_ics:
        message.attach("cantine.ics", meal_ics(booking.meal, booking=booking), "text/calendar")
    try:
        message.send()
    except Exception:  # noqa: BLE001 - a mail server down must not break the booking
        logger.exception("Could not send the %s email of booking %s", kind, booking.pk)
        return False
    return True


def _booking(pk: int) -> Booking | None:
    return Booking.objects.select_related("meal").filter(pk=pk).exclude(email="").first()


def send_booking_confirmation(booking_pk: int) -> bool:
    booking = _booking(booking_pk)
    if booking is None:
        return False
    with translation.override(booking.language or settings.LANGUAGE_CODE):
        from meals.templatetags.cantine import when

        if booking.status == Booking.Status.WAITLISTED:
            subject = _("Vous êtes sur la liste d'attente — %(when)s") % {"when": when(booking.meal.starts_at)}
        else:
            subject = _("Votre place est réservée — %(when)s") % {"when": when(booking.meal.starts_at)}
        # A place on the waiting list is not a meal to put in a calendar (yet: the promotion e-mail carries it).
        return _send(
            booking, kind="confirmation", subject=subject, attach_ics=booking.status == Booking.Status.CONFIRMED
        )


def send_promotion(booking_pk: int) -> bool:
    booking = _booking(booking_pk)
    if booking is None or booking.status != Booking.Status.CONFIRMED:
        return False
    with translation.override(booking.language or settings.LANGUAGE_CODE):
        from meals.templatetags.cantine import when

        subject = _("Une place s'est libérée pour vous — %(when)s") % {"when": when(booking.meal.starts_at)}
        return _send(booking, kind="promotion", subject=subject, attach_ics=True)


def send_booking_link(booking_pk: int) -> bool:
    """Send a live booking's private link again, to the email stored on it (someone booked again with its contact)."""
    booking = _booking(booking_pk)
    if booking is None or booking.status == Booking.Status.CANCELLED:
        return False
    with translation.override(booking.language or settings.LANGUAGE_CODE):
        from meals.templatetags.cantine import when

        subject = _("Votre réservation — %(when)s") % {"when": when(booking.meal.starts_at)}
        return _send(booking, kind="link", subject=subject)


def send_reminder(booking: Booking) -> bool:
    with translation.override(booking.language or settings.LANGUAGE_CODE):
        from meals.templatetags.cantine import hour

        subject = _("À demain, %(hour)s, à la cantine") % {"hour": hour(booking.meal.starts_at)}
        return _send(booking, kind="reminder", subject=subject)


def send_booking_reminders(*, day: date | None = None, now: datetime | None = None) -> int:
    """The day-before reminder to every confirmed guest with an email. Idempotent.

    Each booking is claimed (``reminder_sent_at`` set by a conditional UPDATE)
    before its mail goes out, so two runs at once never mail twice; a failed
    send gives the claim back for the next run. Returns how many were sent.
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
        .exclude(email="")
        .select_related("meal")
        .prefetch_related("signups__shift")
        .order_by("pk")
    )
    sent = 0
    for booking in due:
        claimed = Booking.objects.filter(pk=booking.pk, reminder_sent_at__isnull=True).update(reminder_sent_at=now)
        if not claimed:
            continue
        if send_reminder(booking):
            sent += 1
        else:
            Booking.objects.filter(pk=booking.pk).update(reminder_sent_at=None)
    return sent
