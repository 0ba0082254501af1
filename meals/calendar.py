"""A volunteer's shifts as an iCalendar feed (RFC 5545), for Google, Apple and Thunderbird calendars."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from meals.models import ShiftSignup
from members.models import Member, cantine_settings

# Past shifts stay in the feed a while, so a calendar does not lose last week.
KEEP_PAST = timedelta(days=60)


def _uid(signup: ShiftSignup) -> str:
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "cantine"
    return f"shiftsignup-{signup.pk}@{host}"


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


def member_calendar(*, member: Member, now=None) -> bytes:
    now = now or timezone.now()
    tz = ZoneInfo(settings.TIME_ZONE)
    signups = (
        ShiftSignup.objects.filter(member=member, shift__ends_at__gte=now - KEEP_PAST)
        .select_related("shift__meal")
        .order_by("shift__starts_at")
    )
    location = cantine_settings().location
    with translation.override(member.language or "fr"):
        cal = Calendar()
        cal.add("prodid", "-//Cantine participative//Créneaux//FR")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("method", "PUBLISH")
        cal.add("x-wr-calname", _("Mes créneaux à la cantine"))
        cal.add("x-wr-timezone", settings.TIME_ZONE)
        # Refresh hint for clients that honour it (Apple, Outlook).
        cal.add("refresh-interval", timedelta(hours=6), parameters={"VALUE": "DURATION"})
        cal.add("x-published-ttl", "PT6H")
        events = []
        for signup in signups:
            shift = signup.shift
            meal = shift.meal
            event = Event()
            event.add("uid", _uid(signup))
            event.add("dtstamp", signup.created_at)
            event.add("dtstart", shift.starts_at.astimezone(tz))
            event.add("dtend", shift.ends_at.astimezone(tz))
            event.add("summary", _("Cantine : %(role)s") % {"role": shift.get_role_display()})
            lines = [meal.title]
            if shift.description:
                lines.append(shift.description)
            event.add("description", "\n".join(lines))
            event.add("location", location)
            event.add("url", settings.SITE_URL + reverse("meals:my_shifts"))
            if meal.is_cancelled:
                event.add("status", "CANCELLED")
            else:
                event.add("status", "CONFIRMED")
            events.append(event)
        # The VTIMEZONE first, so every client resolves TZID=Europe/Paris the same way.
        cal.add_component(_vtimezone(settings.TIME_ZONE))
        for event in events:
            cal.add_component(event)
    return cal.to_ical()
