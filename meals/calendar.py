"""Calendars (RFC 5545) for Google, Apple and Thunderbird: a volunteer's shifts as a feed, a guest's meal as a file.

One builder for both (``_calendar``): the same VTIMEZONE first, every time in Europe/Paris with its TZID.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from meals.models import Booking, Meal, ShiftSignup
from members.models import Member, cantine_settings

# Past shifts stay in the feed a while, so a calendar does not lose last week.
KEEP_PAST = timedelta(days=60)


def _uid(name: str) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "cantine"
    return f"{name}@{host}"


def _paris_vtimezone() -> Timezone:
    """Europe/Paris as the short, rule-based VTIMEZONE that Google, Apple and Thunderbird write themselves.

    (``Timezone.from_tzid`` lists every transition up to 2038 instead.)
    """
    vtimezone = Timezone()
    vtimezone.add("tzid", "Europe/Paris")
    vtimezone.add("x-lic-location", "Europe/Paris")
    summer = TimezoneDaylight()
    summer.add("tzname", "CEST")
    summer.add("tzoffsetfrom", timedelta(hours=1))
    summer.add("tzoffsetto", timedelta(hours=2))
    summer.add("dtstart", datetime(1970, 3, 29, 2, 0, 0))
    summer.add("rrule", {"freq": "yearly", "bymonth": 3, "byday": "-1su"})
    winter = TimezoneStandard()
    winter.add("tzname", "CET")
    winter.add("tzoffsetfrom", timedelta(hours=2))
    winter.add("tzoffsetto", timedelta(hours=1))
    winter.add("dtstart", datetime(1970, 10, 25, 3, 0, 0))
    winter.add("rrule", {"freq": "yearly", "bymonth": 10, "byday": "-1su"})
    vtimezone.add_component(summer)
    vtimezone.add_component(winter)
    return vtimezone


def _vtimezone(tzid: str) -> Timezone:
    if tzid == "Europe/Paris":
        return _paris_vtimezone()
    return Timezone.from_tzid(tzid)


def _calendar(prodid: str, events: list[Event], *, feed_name: str = "") -> bytes:
    """The calendar: the VTIMEZONE first, so every client resolves TZID=Europe/Paris the same way.

    With ``feed_name``, a feed that calendar apps subscribe to and refresh.
    """
    cal = Calendar()
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    if feed_name:
        cal.add("x-wr-calname", feed_name)
        cal.add("x-wr-timezone", settings.TIME_ZONE)
        # Refresh hint for clients that honour it (Apple, Outlook).
        cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT6H")
    cal.add_component(_vtimezone(settings.TIME_ZONE))
    for event in events:
        cal.add_component(event)
    return cal.to_ical()


def _event(
    *, uid: str, stamp: datetime, starts_at: datetime, ends_at: datetime, cancelled: bool, **properties
) -> Event:
    """One event in Paris time (its TZID), CANCELLED when the meal is."""
    tz = ZoneInfo(settings.TIME_ZONE)
    event = Event()
    event.add("uid", _uid(uid))
    event.add("dtstamp", stamp)
    event.add("dtstart", starts_at.astimezone(tz))
    event.add("dtend", ends_at.astimezone(tz))
    for name, value in properties.items():
        event.add(name, value)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def member_calendar(*, member: Member, now=None) -> bytes:
    now = now or timezone.now()
    signups = (
        ShiftSignup.objects.filter(member=member, shift__ends_at__gte=now - KEEP_PAST)
        .select_related("shift__meal")
        .order_by("shift__starts_at")
    )
    location = cantine_settings().location
    with translation.override(member.language or "fr"):
        events = []
        for signup in signups:
            shift = signup.shift
            lines = [shift.meal.title] + ([shift.description] if shift.description else [])
            events.append(
                _event(
                    uid=f"shiftsignup-{signup.pk}",
                    stamp=signup.created_at,
                    starts_at=shift.starts_at,
                    ends_at=shift.ends_at,
                    cancelled=shift.meal.is_cancelled,
                    summary=_("Cantine : %(role)s") % {"role": shift.get_role_display()},
                    description="\n".join(lines),
                    location=location,
                    url=settings.SITE_URL + reverse("meals:my_shifts"),
                )
            )
        return _calendar("-//Cantine participative//Créneaux//FR", events, feed_name=_("Mes créneaux à la cantine"))


def meal_calendar(meal: Meal, *, booking: Booking | None = None) -> bytes:
    """The meal as a calendar file, for the guest's calendar (attached to the email, or downloaded)."""
    cantine = cantine_settings()
    menu = " / ".join(part for part in (meal.starter, meal.main, meal.dessert) if part)
    description = [menu] if menu else []
    links = {}
    if booking:
        url = settings.SITE_URL + reverse("meals:booking", args=[booking.token])
        description.append(_("Votre réservation : %(url)s") % {"url": url})
        links["url"] = url
    event = _event(
        uid=f"booking-{booking.token}" if booking else f"meal-{meal.pk}",
        stamp=timezone.now(),
        starts_at=meal.starts_at,
        ends_at=meal.ends_at,
        cancelled=meal.is_cancelled,
        summary=f"{meal.title} — {cantine.name}",
        location=cantine.location,
        description="\n".join(description),
        **links,
    )
    return _calendar("-//Cantine participative//cantine//FR", [event])
