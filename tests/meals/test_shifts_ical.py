from datetime import timedelta
from zoneinfo import ZoneInfo

from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from meals.models import Shift
from meals.services.shifts import shift_claim
from tests.conftest import make_user


def test_ical_feed_holds_exactly_the_volunteers_shifts_in_paris_time(client, volunteer, meal, make_meal):
    other = make_user("lea@example.org", group="volunteer", name="Léa Dupont")
    later = make_meal(day=timezone.localdate() + timedelta(days=8))
    mine = [
        shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=volunteer.member),
        shift_claim(shift=later.shifts.get(role=Shift.Role.DISHES), member=volunteer.member),
    ]
    shift_claim(shift=meal.shifts.get(role=Shift.Role.TABLE), member=other.member)

    # No login: calendar apps fetch the secret link on their own.
    response = client.get(reverse("meals:shifts_ical", args=[volunteer.member.calendar_token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")

    calendar = Calendar.from_ical(response.content)
    timezones = [tz for tz in calendar.walk("VTIMEZONE")]
    assert [str(tz["TZID"]) for tz in timezones] == ["Europe/Paris"]
    events = calendar.walk("VEVENT")
    assert sorted(str(e["UID"]) for e in events) == sorted(f"shiftsignup-{s.pk}@127.0.0.1" for s in mine)
    assert len({str(e["UID"]) for e in events}) == 2
    by_summary = {str(e["SUMMARY"]): e for e in events}
    assert set(by_summary) == {"Cantine : Cuisine", "Cantine : Vaisselle"}
    cooking = by_summary["Cantine : Cuisine"]
    start = cooking.decoded("DTSTART")
    assert getattr(start.tzinfo, "key", str(start.tzinfo)) == "Europe/Paris"
    assert cooking["DTSTART"].params["TZID"] == "Europe/Paris"
    assert (start.hour, start.minute) == (9, 30)
    assert start == meal.shifts.get(role=Shift.Role.COOKING).starts_at
    assert cooking.decoded("DTEND").astimezone(ZoneInfo("Europe/Paris")).hour == 12
    assert b"\r\n" in response.content


def test_ical_feed_of_a_volunteer_without_shifts_is_valid_and_empty(client, volunteer):
    response = client.get(reverse("meals:shifts_ical", args=[volunteer.member.calendar_token]))
    calendar = Calendar.from_ical(response.content)
    assert calendar.walk("VEVENT") == []
    assert str(calendar["VERSION"]) == "2.0"


def test_ical_feed_with_a_wrong_token_is_404(client, db):
    assert client.get(reverse("meals:shifts_ical", args=["not-a-token-00000000000000000000"])).status_code == 404


def test_ical_feed_of_a_deactivated_account_is_404(client, volunteer):
    volunteer.is_active = False
    volunteer.save()
    assert client.get(reverse("meals:shifts_ical", args=[volunteer.member.calendar_token])).status_code == 404


def test_ical_feed_shows_a_cancelled_meal_as_cancelled(client, volunteer, meal):
    shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=volunteer.member)
    meal.status = "cancelled"
    meal.save()
    calendar = Calendar.from_ical(
        client.get(reverse("meals:shifts_ical", args=[volunteer.member.calendar_token])).content
    )
    assert [str(e["STATUS"]) for e in calendar.walk("VEVENT")] == ["CANCELLED"]


def test_a_guests_calendar_file_is_in_paris_time_with_its_vtimezone(client, meal, django_capture_on_commit_callbacks):
    from django.core import mail

    from meals.services.booking import booking_create

    with django_capture_on_commit_callbacks(execute=True):
        booking = booking_create(meal=meal, name="Odette", email="odette@example.org")
    attached = Calendar.from_ical(mail.outbox[-1].attachments[0][1])
    downloaded = Calendar.from_ical(client.get(reverse("meals:booking_ics", args=[booking.token])).content)
    for calendar in (attached, downloaded):
        # One builder for the guest's file and the volunteer's feed: the same time zone, written the same way.
        assert [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
        (event,) = calendar.walk("VEVENT")
        assert event["DTSTART"].params["TZID"] == "Europe/Paris"
        start = event.decoded("DTSTART")
        assert start == meal.starts_at and (start.hour, start.minute) == (12, 30)
        assert str(event["UID"]) == f"booking-{booking.token}@127.0.0.1"
