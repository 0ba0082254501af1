"""Seats are never lost: the sequences of issue 12 (point 5), and every way seats free up.

The rule: a confirmed booking holds its seats until it is cancelled, and a
guest checked in at the door can no longer cancel (she came; the desk
undoes the check-in first if it was a mistake). Whenever seats free up
before the meal starts, the first waiting booking that fits goes in.
"""

from datetime import timedelta

import pytest
from django.db.models import Sum
from django.urls import reverse

from meals.models import Booking, Meal, SeatBlock
from meals.services import door, planning
from meals.services.booking import booking_cancel, booking_create, partner_booking_create

pytestmark = pytest.mark.django_db


def seats(meal) -> tuple[int, int]:
    """(seats_taken, seats of the confirmed bookings): always equal."""
    meal = Meal.objects.get(pk=meal.pk)
    confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
    return meal.seats_taken, confirmed.aggregate(total=Sum("party_size"))["total"] or 0


def status(booking) -> str:
    return Booking.objects.values_list("status", flat=True).get(pk=booking.pk)


def test_check_in_then_cancel_by_link_then_undo_loses_no_seat(client, make_meal, coordinator):
    meal = make_meal(capacity=4)
    family = booking_create(meal=meal, name="Famille Roux", email="roux@example.org", party_size=4)
    waiting = booking_create(meal=meal, name="Attente", email="attente@example.org", party_size=1)
    door.booking_check_in(booking=family, by=coordinator)

    page = client.post(reverse("meals:cancel_booking", args=[family.token]), follow=True).content.decode()
    assert "déjà passé·e à l&#x27;accueil" in page or "déjà passé·e à l'accueil" in page
    assert status(family) == Booking.Status.CONFIRMED

    door.booking_undo_check_in(booking=family, by=coordinator)
    assert seats(meal) == (4, 4)
    assert status(waiting) == Booking.Status.WAITLISTED

    client.post(reverse("meals:cancel_booking", args=[family.token]))
    assert status(family) == Booking.Status.CANCELLED
    assert status(waiting) == Booking.Status.CONFIRMED
    assert seats(meal) == (1, 1)


def test_cancelling_a_checked_in_walk_in_is_refused_undoing_it_frees_the_seats(make_meal, coordinator):
    meal = make_meal(capacity=2)
    walk_in = door.walk_in_add(meal=meal, party_size=2, by=coordinator)
    waiting = booking_create(meal=meal, name="Attente", email="attente@example.org", party_size=1)
    with pytest.raises(Exception, match="accueil"):
        booking_cancel(booking=walk_in)
    assert seats(meal) == (2, 2)
    door.booking_undo_check_in(booking=walk_in, by=coordinator, now=meal.starts_at - timedelta(hours=1))
    assert status(walk_in) == Booking.Status.CANCELLED
    assert status(waiting) == Booking.Status.CONFIRMED  # before the meal: the waiting list goes in
    assert seats(meal) == (1, 1)


def test_undoing_a_walk_in_once_the_meal_has_started_promotes_nobody(make_meal, coordinator):
    meal = make_meal(capacity=1)
    walk_in = door.walk_in_add(meal=meal, party_size=1, by=coordinator)
    waiting = booking_create(meal=meal, name="Attente", email="attente@example.org", party_size=1)
    door.booking_undo_check_in(booking=walk_in, by=coordinator, now=meal.starts_at + timedelta(minutes=5))
    assert status(waiting) == Booking.Status.WAITLISTED
    assert seats(meal) == (0, 0)


def test_a_booking_cancelled_while_checked_in_before_the_fix_gives_its_seats_back_on_undo(make_meal, coordinator):
    meal = make_meal(capacity=4)
    family = booking_create(meal=meal, name="Famille Roux", email="roux@example.org", party_size=4)
    waiting = booking_create(meal=meal, name="Attente", email="attente@example.org", party_size=1)
    door.booking_check_in(booking=family, by=coordinator)
    # What the old rule left behind: cancelled, still checked in, its 4 seats kept as used.
    Booking.objects.filter(pk=family.pk).update(status=Booking.Status.CANCELLED)
    door.booking_undo_check_in(booking=family, by=coordinator, now=meal.starts_at - timedelta(hours=1))
    assert status(waiting) == Booking.Status.CONFIRMED
    assert seats(meal) == (1, 1)


def test_more_capacity_goes_to_the_waiting_list(make_meal):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    waiting = booking_create(meal=meal, name="B", email="b@example.org", party_size=2)
    planning.meal_update(meal=meal, values={"capacity": 3})
    assert status(waiting) == Booking.Status.CONFIRMED
    assert seats(meal) == (3, 3)


def test_a_smaller_seat_block_gives_its_seats_to_the_waiting_list(make_meal, partner):
    meal = make_meal(capacity=4)
    release = meal.starts_at - timedelta(hours=1)  # still held whatever the time of day
    planning.seat_block_set(meal=meal, partner=partner, seats=3, release_at=release)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    waiting = booking_create(meal=meal, name="B", email="b@example.org", party_size=2)
    assert status(waiting) == Booking.Status.WAITLISTED
    planning.seat_block_set(meal=meal, partner=partner, seats=1, release_at=release)
    assert status(waiting) == Booking.Status.CONFIRMED


def test_a_partners_waiting_booking_may_use_its_own_block_when_seats_free_up(make_meal, partner, partner_referent):
    meal = make_meal(capacity=4)
    planning.seat_block_set(meal=meal, partner=partner, seats=2, release_at=meal.starts_at - timedelta(hours=1))
    public = [booking_create(meal=meal, name=f"P{n}", email=f"p{n}@example.org") for n in range(2)]
    theirs = partner_booking_create(meal=meal, partner=partner, name="Odette", party_size=3, by=partner_referent)
    public_waiting = booking_create(meal=meal, name="Q", email="q@example.org")
    assert status(theirs) == status(public_waiting) == Booking.Status.WAITLISTED
    booking_cancel(booking=public[0])
    # 1 public seat + the partner's 2 held seats: the partner's party of 3 fits, and came first.
    assert status(theirs) == Booking.Status.CONFIRMED
    assert status(public_waiting) == Booking.Status.WAITLISTED
    assert seats(meal) == (4, 4)


def test_when_a_block_comes_to_its_release_the_waiting_list_goes_first(make_meal, partner):
    meal = make_meal(capacity=2)
    release = meal.starts_at - timedelta(days=2)
    SeatBlock.objects.create(meal=meal, partner=partner, seats=2, release_at=release)
    before = release - timedelta(hours=1)
    waiting = booking_create(meal=meal, name="Tôt", email="tot@example.org", now=before)
    assert status(waiting) == Booking.Status.WAITLISTED
    after = release + timedelta(hours=1)
    late = booking_create(meal=meal, name="Tard", email="tard@example.org", party_size=2, now=after)
    assert status(waiting) == Booking.Status.CONFIRMED  # first come, first served
    assert status(late) == Booking.Status.WAITLISTED
    from meals.services.booking import waitlist_promote

    assert waitlist_promote(meal=meal, now=after) == []  # nothing more fits
    assert seats(meal) == (1, 1)


def test_the_promotion_run_promotes_once_a_block_is_released(make_meal, partner):
    from meals.services.booking import waitlist_promote

    meal = make_meal(capacity=2)
    release = meal.starts_at - timedelta(days=2)
    SeatBlock.objects.create(meal=meal, partner=partner, seats=2, release_at=release)
    waiting = booking_create(meal=meal, name="Tôt", email="tot@example.org", now=release - timedelta(hours=1))
    assert waitlist_promote(meal=meal, now=release - timedelta(minutes=1)) == []
    assert [b.pk for b in waitlist_promote(meal=meal, now=release)] == [waiting.pk]
    assert seats(meal) == (1, 1)


def test_the_promote_waitlists_command_gives_released_seats_to_the_waiting_list(make_meal, partner, clock):
    import io

    from django.core.management import call_command

    now, move = clock
    meal = make_meal(capacity=1)
    SeatBlock.objects.create(meal=meal, partner=partner, seats=1, release_at=now + timedelta(hours=1))
    waiting = booking_create(meal=meal, name="Tôt", email="tot@example.org")
    assert status(waiting) == Booking.Status.WAITLISTED
    out = io.StringIO()
    call_command("promote_waitlists", stdout=out)
    assert status(waiting) == Booking.Status.WAITLISTED and "0" in out.getvalue()
    move(timedelta(hours=2))
    call_command("promote_waitlists", stdout=out)
    assert status(waiting) == Booking.Status.CONFIRMED
    assert "Bookings promoted: 1" in out.getvalue()
