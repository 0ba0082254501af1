from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from meals.models import Booking, Shift, ShiftSignup, ShiftTemplate
from meals.services.shifts import (
    DEFAULT_SHIFT_TEMPLATE,
    AlreadyOnShift,
    NotOnShift,
    ReleaseTooLate,
    ShiftClosed,
    ShiftFull,
    shift_claim,
    shift_release,
    shift_reminders_send,
    shifts_create_default,
)
from members.models import Member


def cooking(meal) -> Shift:
    return meal.shifts.get(role=Shift.Role.COOKING)


def people(n: int) -> list[Member]:
    return [Member.objects.create(name=f"Bénévole {i}", email=f"b{i}@example.org") for i in range(n)]


def test_new_meal_gets_the_built_in_shifts_when_no_template_was_saved(meal):
    assert sorted(meal.shifts.values_list("role", flat=True)) == sorted(r.role for r in DEFAULT_SHIFT_TEMPLATE)
    shift = cooking(meal)
    assert timezone.localtime(shift.starts_at).strftime("%H:%M") == "09:30"
    assert shift.slots == 10


def test_new_meal_follows_the_coordinators_template(make_meal):
    ShiftTemplate.objects.create(role="cooking", minutes_before_meal=120, duration_minutes=90, slots=6)
    ShiftTemplate.objects.create(
        role="welcome", minutes_before_meal=15, duration_minutes=45, slots=2, description="Accueil"
    )
    ShiftTemplate.objects.create(role="dishes", minutes_before_meal=-60, duration_minutes=60, slots=3, active=False)
    meal = make_meal()
    assert sorted(meal.shifts.values_list("role", flat=True)) == ["cooking", "welcome"]
    shift = cooking(meal)
    assert timezone.localtime(shift.starts_at).strftime("%H:%M") == "10:30"
    assert timezone.localtime(shift.ends_at).strftime("%H:%M") == "12:00"
    assert shift.slots == 6
    assert meal.shifts.get(role="welcome").description == "Accueil"


def test_claim_takes_a_slot(meal, volunteer):
    shift = cooking(meal)
    shift_claim(shift=shift, member=volunteer.member)
    shift.refresh_from_db()
    assert shift.taken == 1
    assert ShiftSignup.objects.filter(shift=shift, member=volunteer.member).exists()


def test_claim_never_exceeds_the_slots(meal):
    shift = meal.shifts.get(role=Shift.Role.TABLE)
    for member in people(shift.slots):
        shift_claim(shift=shift, member=member)
    with pytest.raises(ShiftFull):
        shift_claim(shift=shift, member=Member.objects.create(name="En trop"))
    shift.refresh_from_db()
    assert shift.taken == shift.slots == shift.signups.count()


def test_same_person_cannot_claim_twice(meal, volunteer):
    shift = cooking(meal)
    shift_claim(shift=shift, member=volunteer.member)
    with pytest.raises(AlreadyOnShift):
        shift_claim(shift=shift, member=volunteer.member)
    shift.refresh_from_db()
    assert shift.taken == 1


def test_claim_refused_on_a_cancelled_meal_or_a_past_shift(make_meal, volunteer):
    cancelled = make_meal(status="cancelled")
    with pytest.raises(ShiftClosed):
        shift_claim(shift=cooking(cancelled), member=volunteer.member)
    past = make_meal(day=timezone.localdate() - timedelta(days=2))
    with pytest.raises(ShiftClosed):
        shift_claim(shift=cooking(past), member=volunteer.member)
    assert ShiftSignup.objects.count() == 0


def test_guest_helper_takes_a_slot_through_the_booking(meal, guest):
    booking = Booking.objects.create(meal=meal, member=guest, name=guest.name, email=guest.email)
    shift = meal.shifts.get(role=Shift.Role.DISHES)
    signup = shift_claim(shift=shift, member=guest, booking=booking)
    shift.refresh_from_db()
    assert shift.taken == 1
    assert signup.booking == booking
    assert list(booking.signups.all()) == [signup]


def test_release_frees_the_slot_well_before_the_shift(make_meal, volunteer):
    meal = make_meal(day=timezone.localdate() + timedelta(days=5))
    signup = shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_release(signup=signup, by=volunteer)
    shift = cooking(meal)
    assert shift.taken == 0
    assert not ShiftSignup.objects.filter(pk=signup.pk).exists()


def test_volunteer_cannot_release_within_24_hours(meal, volunteer):
    signup = shift_claim(shift=cooking(meal), member=volunteer.member)
    shift = cooking(meal)
    with pytest.raises(ReleaseTooLate, match="Appelez la coordination"):
        shift_release(signup=signup, by=volunteer, now=shift.starts_at - timedelta(hours=23))
    assert ShiftSignup.objects.filter(pk=signup.pk).exists()
    assert cooking(meal).taken == 1


def test_release_allowed_just_before_the_cut_off(meal, volunteer):
    signup = shift_claim(shift=cooking(meal), member=volunteer.member, now=cooking(meal).starts_at - timedelta(days=3))
    shift_release(signup=signup, by=volunteer, now=cooking(meal).starts_at - timedelta(hours=24, minutes=1))
    assert cooking(meal).taken == 0


def test_coordinator_may_release_after_the_cut_off(meal, volunteer, coordinator):
    signup = shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_release(signup=signup, by=coordinator, now=cooking(meal).starts_at - timedelta(hours=1))
    assert cooking(meal).taken == 0


def test_release_twice_says_not_on_shift(make_meal, volunteer):
    meal = make_meal(day=timezone.localdate() + timedelta(days=5))
    signup = shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_release(signup=signup, by=volunteer)
    with pytest.raises(NotOnShift):
        shift_release(signup=signup, by=volunteer)
    assert cooking(meal).taken == 0


def test_reminders_mail_each_volunteer_once_the_day_before(meal, volunteer, guest):
    shift_claim(shift=cooking(meal), member=volunteer.member)
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=volunteer.member)
    booking = Booking.objects.create(meal=meal, member=guest, name=guest.name, email=guest.email)
    shift_claim(shift=meal.shifts.get(role=Shift.Role.TABLE), member=guest, booking=booking)
    now = cooking(meal).starts_at - timedelta(hours=20)
    assert shift_reminders_send(now=now) == 1
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["karim@example.org"]
    assert "Cuisine" in mail.outbox[0].body and "Vaisselle" in mail.outbox[0].body
    assert ShiftSignup.objects.filter(member=volunteer.member, reminder_sent_at__isnull=True).count() == 0
    assert shift_reminders_send(now=now) == 0
    assert len(mail.outbox) == 1


def test_reminders_skip_shifts_that_are_not_tomorrow(make_meal, volunteer):
    meal = make_meal(day=timezone.localdate() + timedelta(days=3))
    shift_claim(shift=cooking(meal), member=volunteer.member)
    assert shift_reminders_send() == 0
    assert mail.outbox == []


def test_explicit_template_still_wins(make_meal):
    meal = make_meal(shifts=False)
    shifts = shifts_create_default(meal=meal, template=DEFAULT_SHIFT_TEMPLATE[:1])
    assert [s.role for s in shifts] == ["cooking"]


def test_send_reminders_command_mails_volunteers_once(meal, volunteer):
    from django.core.management import call_command

    shift_claim(shift=cooking(meal), member=volunteer.member)
    call_command("send_reminders", day=timezone.localtime(meal.starts_at).date().isoformat())
    call_command("send_reminders", day=timezone.localtime(meal.starts_at).date().isoformat())
    assert [m.to for m in mail.outbox if "cantine" in m.subject.lower()] == [["karim@example.org"]]


def test_too_late_message_gives_the_coordination_phone_when_set(meal_soon, volunteer, settings):
    meal = meal_soon
    settings.COORDINATION_PHONE = "01 23 45 67 89"
    signup = shift_claim(shift=cooking(meal), member=volunteer.member)
    with pytest.raises(ReleaseTooLate, match="Appelez la coordination au 01 23 45 67 89"):
        shift_release(signup=signup, by=volunteer)
