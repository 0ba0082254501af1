from datetime import timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.utils import timezone

from meals.models import Booking, Meal, Shift, ShiftSignup
from meals.services.booking import (
    BookingClosed,
    MealCancelled,
    MissingContact,
    booking_cancel,
    booking_create,
    booking_place,
    waitlist_position,
)
from members.contacts import InvalidPhone, normalize_phone
from members.models import Member

pytestmark = pytest.mark.django_db


def book(meal, n=1, size=1, **kwargs):
    values = {"name": f"Invité {n}", "email": f"guest{n}@example.org", "party_size": size}
    values.update(kwargs)
    return booking_create(meal=meal, **values)


def refreshed(meal):
    meal.refresh_from_db()
    return meal


def test_bookings_are_confirmed_while_seats_remain_then_waitlisted(make_meal):
    meal = make_meal(capacity=3)
    first = book(meal, 1, size=2)
    second = book(meal, 2, size=1)
    third = book(meal, 3, size=1)
    assert [first.status, second.status, third.status] == ["confirmed", "confirmed", "waitlisted"]
    assert refreshed(meal).seats_taken == 3
    assert waitlist_position(third) == 1


def test_party_too_big_for_the_last_seats_goes_to_the_waiting_list(make_meal):
    meal = make_meal(capacity=5)
    book(meal, 1, size=4)
    family = book(meal, 2, size=3)
    single = book(meal, 3, size=1)
    assert family.status == Booking.Status.WAITLISTED
    assert single.status == Booking.Status.CONFIRMED
    assert refreshed(meal).seats_taken == 5


def test_waiting_list_positions_follow_booking_order(make_meal):
    meal = make_meal(capacity=1)
    book(meal, 0)
    waiting = [book(meal, n) for n in range(1, 4)]
    assert [waitlist_position(b) for b in waiting] == [1, 2, 3]


def test_cancel_promotes_first_waiting_bookings_that_fit_in_order(make_meal):
    meal = make_meal(capacity=4)
    big = book(meal, 1, size=3)
    book(meal, 2, size=1)
    four = book(meal, 3, size=4)  # does not fit 3 freed seats
    two = book(meal, 4, size=2)
    one = book(meal, 5, size=1)
    also_one = book(meal, 6, size=1)
    mail.outbox.clear()
    promoted = booking_cancel(booking=big)
    assert [b.pk for b in promoted] == [two.pk, one.pk]
    four.refresh_from_db()
    also_one.refresh_from_db()
    assert four.status == also_one.status == Booking.Status.WAITLISTED
    assert refreshed(meal).seats_taken == 4
    big.refresh_from_db()
    assert big.status == Booking.Status.CANCELLED and big.cancelled_at


def test_promoted_guests_get_an_email_after_commit(make_meal, django_capture_on_commit_callbacks):
    meal = make_meal(capacity=1)
    first = book(meal, 1)
    waiting = book(meal, 2, language="en")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=first)
    assert [m.to for m in mail.outbox] == [[waiting.email]]
    assert "seat" in mail.outbox[0].subject.lower() or "place" in mail.outbox[0].subject.lower()


def test_cancelling_twice_frees_seats_once(make_meal, django_capture_on_commit_callbacks):
    meal = make_meal(capacity=5)
    first = book(meal, 1, size=2)
    stays = book(meal, 2, size=3)
    waiting = book(meal, 3, size=2)
    # The second tap comes with the page's copy, read before the first one cancelled it.
    second_tap = Booking.objects.get(pk=first.pk)
    assert [b.pk for b in booking_cancel(booking=first)] == [waiting.pk]
    cancelled_at = Booking.objects.get(pk=first.pk).cancelled_at
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert booking_cancel(booking=second_tap, now=timezone.now() + timedelta(minutes=1)) == []
    # Still the seats of the two who come: 3 + 2, not 3 + 2 - 2; nothing sent, nothing rewritten.
    assert refreshed(meal).seats_taken == stays.party_size + waiting.party_size == 5
    assert mail.outbox == []
    assert Booking.objects.get(pk=first.pk).cancelled_at == cancelled_at
    assert second_tap.status == Booking.Status.CANCELLED


def test_cancelling_a_waiting_booking_frees_no_seats(make_meal):
    meal = make_meal(capacity=1)
    book(meal, 1)
    waiting = book(meal, 2)
    assert booking_cancel(booking=waiting) == []
    assert refreshed(meal).seats_taken == 1


def test_same_email_returns_existing_booking(meal):
    first = book(meal, 1, size=2)
    again = booking_place(meal=meal, name="Autre", email="GUEST1@example.org ", party_size=1)
    assert again.booking.pk == first.pk and again.is_duplicate
    assert Booking.objects.count() == 1
    assert refreshed(meal).seats_taken == 2


def test_same_phone_in_another_spelling_returns_existing_booking(meal):
    first = booking_create(meal=meal, name="Jeanne", phone="06 12 34 56 78", party_size=1)
    again = booking_place(meal=meal, name="Jeanne", phone="+33 6 12 34 56 78", party_size=1)
    assert again.booking.pk == first.pk and again.is_duplicate
    assert Booking.objects.count() == 1


def test_a_cancelled_booking_does_not_block_booking_again(meal):
    first = book(meal, 1)
    booking_cancel(booking=first)
    again = booking_place(meal=meal, name="Invité 1", email="guest1@example.org")
    assert again.booking.pk != first.pk and not again.is_duplicate


def test_database_refuses_two_live_bookings_with_one_email(meal):
    book(meal, 1)
    with pytest.raises(IntegrityError):
        Booking.objects.create(meal=meal, name="x", email="guest1@example.org")


def test_booking_after_cut_off_is_refused(meal):
    with pytest.raises(BookingClosed):
        book(meal, 1, now=meal.booking_closes_at)
    assert not Booking.objects.exists()


def test_booking_before_opening_is_refused(meal):
    with pytest.raises(BookingClosed):
        book(meal, 1, now=meal.booking_opens_at - timedelta(minutes=1))


def test_booking_a_cancelled_meal_is_refused(make_meal):
    meal = make_meal(status=Meal.Status.CANCELLED)
    with pytest.raises(MealCancelled):
        book(meal, 1)
    assert not Booking.objects.exists()


def test_a_guest_must_leave_email_or_phone(meal):
    with pytest.raises(MissingContact):
        booking_create(meal=meal, name="Jeanne", party_size=1)


def test_coordinator_books_after_cut_off_with_just_a_name(meal, coordinator):
    booking = booking_create(meal=meal, name="Madame Roux", party_size=1, by=coordinator, now=meal.booking_closes_at)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking.created_by == coordinator


def test_coordinator_overrides_capacity_explicitly(make_meal, coordinator):
    meal = make_meal(capacity=2)
    book(meal, 1, size=2)
    waiting = booking_create(meal=meal, name="A", party_size=1, by=coordinator)
    assert waiting.status == Booking.Status.WAITLISTED
    squeezed = booking_create(meal=meal, name="B", party_size=2, by=coordinator, override_capacity=True)
    assert squeezed.status == Booking.Status.CONFIRMED and squeezed.over_capacity
    meal = refreshed(meal)
    assert meal.seats_taken == 4 and meal.extra_seats == 2


def test_override_capacity_is_ignored_without_the_permission(make_meal, outsider):
    meal = make_meal(capacity=1)
    book(meal, 1)
    booking = book(meal, 2, by=outsider, override_capacity=True)
    assert booking.status == Booking.Status.WAITLISTED
    assert refreshed(meal).extra_seats == 0


def test_booking_links_an_existing_member_by_email(meal, guest):
    booking = booking_create(meal=meal, name="Jeanne M.", email="Jeanne@example.org", party_size=1)
    assert booking.member == guest
    assert Member.objects.count() == 1


def test_booking_creates_a_member(meal):
    booking = booking_create(meal=meal, name="Louis", phone="0611223344", party_size=1)
    assert booking.member.name == "Louis" and booking.member.phone == "06 11 22 33 44"


@pytest.mark.parametrize(
    "raw",
    ["06 12 34 56 78", "+33 6 12 34 56 78", "0612345678", "06.12.34.56.78", "0033612345678", "+33 (0)6 12 34 56 78"],
)
def test_french_phone_numbers_are_normalised(raw):
    assert normalize_phone(raw) == "06 12 34 56 78"


@pytest.mark.parametrize("raw", ["06 12 AB 56 78", "hello", "0612", "061234567890"])
def test_bad_phone_numbers_are_refused(raw):
    with pytest.raises(InvalidPhone):
        normalize_phone(raw)


def test_help_with_claims_a_slot_in_the_same_booking(meal):
    result = booking_place(meal=meal, name="Invité 1", email="guest1@example.org", help_with="cooking")
    shift = Shift.objects.get(meal=meal, role="cooking")
    assert shift.taken == 1
    assert ShiftSignup.objects.get(shift=shift).booking == result.booking
    assert "cuisin" in result.help_message.lower()


def test_help_with_a_full_shift_keeps_the_booking_and_says_so(meal):
    Shift.objects.filter(meal=meal, role="cooking").update(slots=0)
    result = booking_place(meal=meal, name="Invité 1", email="guest1@example.org", help_with="cooking")
    assert result.booking.status == Booking.Status.CONFIRMED
    assert "complète" in result.help_message
    assert not ShiftSignup.objects.exists()


def test_a_waitlisted_helper_takes_no_slot_until_a_seat_frees_up(make_meal, django_capture_on_commit_callbacks):
    meal = make_meal(capacity=1)
    first = book(meal, 1)
    result = booking_place(meal=meal, name="Invité 2", email="guest2@example.org", help_with="cooking")
    waiting = result.booking
    cooking = Shift.objects.get(meal=meal, role="cooking")
    assert waiting.status == Booking.Status.WAITLISTED
    assert cooking.taken == 0 and not ShiftSignup.objects.exists()
    assert "Si une place se libère" in result.help_message

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        booking_cancel(booking=first)
    cooking.refresh_from_db()
    assert cooking.taken == 1
    assert ShiftSignup.objects.get(shift=cooking).booking == waiting
    assert "Vous nous aidez aussi : Cuisine" in mail.outbox[0].body


def test_a_promoted_helper_keeps_the_seat_when_the_team_has_filled_up(make_meal):
    meal = make_meal(capacity=1)
    first = book(meal, 1)
    waiting = book(meal, 2, help_with="dishes")
    Shift.objects.filter(meal=meal, role="dishes").update(slots=0)
    booking_cancel(booking=first)
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED
    assert not ShiftSignup.objects.exists()


def test_cancelling_releases_the_shift_slot(meal):
    booking = book(meal, 1, help_with="dishes")
    booking_cancel(booking=booking)
    assert Shift.objects.get(meal=meal, role="dishes").taken == 0
    assert not ShiftSignup.objects.exists()


def test_no_promotion_once_the_meal_has_started(make_meal):
    meal = make_meal(capacity=1)
    first = book(meal, 1)
    waiting = book(meal, 2)
    assert booking_cancel(booking=first, now=meal.starts_at + timedelta(minutes=1)) == []
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.WAITLISTED


def test_confirmation_email_has_private_link_and_ics(meal, settings, django_capture_on_commit_callbacks):
    settings.SITE_URL = "https://cantine.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        booking = book(meal, 1)
    message = mail.outbox[-1]
    assert message.to == ["guest1@example.org"]
    assert f"https://cantine.example.org/reservation/{booking.token}/" in message.body
    name, content, mimetype = message.attachments[0]
    assert name.endswith(".ics") and mimetype == "text/calendar"
    assert "BEGIN:VEVENT" in content and "DTSTART" in content


def test_confirmation_email_is_in_the_guests_language(meal, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        book(meal, 1, language="en")
    # Dates come from Django's own English formats, whatever locale/en holds.
    english_day = timezone.localtime(meal.starts_at).strftime("%A")
    assert english_day in mail.outbox[-1].subject


def test_now_defaults_to_the_clock(meal, clock):
    real_now, move = clock
    # The clock the code reads, not the test's: after the cut-off it refuses, before it books at that instant.
    move(meal.booking_closes_at - real_now)
    with pytest.raises(BookingClosed):
        book(meal, 1)
    move(meal.booking_closes_at - real_now - timedelta(hours=1))
    assert book(meal, 2).created_at == meal.booking_closes_at - timedelta(hours=1)
    assert booking_cancel(booking=Booking.objects.get()) == []
    assert Booking.objects.get().cancelled_at == meal.booking_closes_at - timedelta(hours=1)


def test_booking_again_after_cut_off_is_refused_like_any_booking(meal, django_capture_on_commit_callbacks):
    book(meal, 1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(BookingClosed):
        book(meal, 1, now=meal.booking_closes_at)
    assert Booking.objects.count() == 1 and mail.outbox == []


def test_booking_again_sends_the_private_link_to_the_stored_email(meal, django_capture_on_commit_callbacks):
    first = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", phone="0612345678")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = booking_place(meal=meal, name="Autre", email="autre@example.org", phone="06 12 34 56 78")
    assert again.is_duplicate and again.booking.pk == first.pk and again.help_message == ""
    assert [message.to for message in mail.outbox] == [["jeanne@example.org"]]
    assert first.token in mail.outbox[0].body


def test_coordinator_booking_again_on_behalf_sends_nothing(meal, coordinator, django_capture_on_commit_callbacks):
    first = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        again = booking_place(meal=meal, name="Jeanne", email="jeanne@example.org", by=coordinator)
    assert again.is_duplicate and again.booking.pk == first.pk
    assert mail.outbox == []
