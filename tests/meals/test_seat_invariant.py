"""Seat accounting is an invariant, whatever happens to a meal and in whatever order (issue 12, point 5).

A hypothesis state machine drives one small meal through the booking, door
and planning services — book, cancel, check in, undo a check-in, walk-ins,
bookings on someone's behalf, partner seat blocks and their release, the
promotion run, the clock moving on — and checks after every step:

- ``Meal.seats_taken`` is the seats of the confirmed bookings (walk-ins
  included), never more than ``capacity + extra_seats``;
- before the meal starts, no waiting booking fits in the seats free for it:
  whenever seats free up, the first waiting booking that fits goes in;
- a shift's ``taken`` is its sign-ups; a guest's help slot follows her seat.
"""

from datetime import timedelta

import pytest
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from meals.models import Booking, Meal, SeatBlock, Shift, ShiftSignup
from meals.services import door, planning
from meals.services.booking import (
    BookingError,
    booking_cancel,
    booking_create,
    partner_booking_create,
    seats_available,
    waitlist_promote,
)
from members.models import Partner
from tests.conftest import create_meal, make_user

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CONTACTS = [
    {"email": "a@example.org"},
    {"email": "b@example.org", "phone": "06 00 00 00 02"},
    {"phone": "06 00 00 00 03"},
    {"email": "d@example.org"},
    {"phone": "06 00 00 00 05"},
    {"email": "f@example.org"},
]
HELP = st.sampled_from(["", "", Shift.Role.COOKING, Shift.Role.DISHES])
PARTY = st.integers(min_value=1, max_value=3)


class SeatMachine(RuleBasedStateMachine):
    coordinator = None
    referent = None

    bookings = Bundle("bookings")

    def __init__(self):
        super().__init__()
        # Each run in a savepoint rolled back at the end: runs never see each other's rows.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.meal = create_meal(capacity=5)
        self.partner = Partner.objects.create(name="Les Amis")
        self.now = self.meal.booking_opens_at + timedelta(days=20)
        self.count = 0

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    def tick_to(self, when):
        self.now = max(self.now, when)

    # Guests -------------------------------------------------------------------

    @rule(target=bookings, contact=st.sampled_from(CONTACTS), party=PARTY, help_with=HELP)
    def book(self, contact, party, help_with):
        self.count += 1
        try:
            booking = booking_create(
                meal=self.meal, name=f"Convive {self.count}", party_size=party, help_with=help_with, now=self.now,
                **contact,
            )  # fmt: skip
        except BookingError:
            return None
        return booking.pk

    @rule(booking=bookings)
    def cancel(self, booking):
        if booking is None:
            return
        try:
            booking_cancel(booking=Booking.objects.get(pk=booking), now=self.now)
        except BookingError:
            pass

    @rule(target=bookings, party=PARTY, override=st.booleans())
    def on_behalf(self, party, override):
        self.count += 1
        try:
            booking = booking_create(
                meal=self.meal, name=f"Au téléphone {self.count}", party_size=party, by=self.coordinator,
                override_capacity=override, now=self.now,
            )  # fmt: skip
        except BookingError:
            return None
        return booking.pk

    @rule(target=bookings, party=PARTY)
    def partner_books(self, party):
        self.count += 1
        try:
            booking = partner_booking_create(
                meal=self.meal, partner=self.partner, name=f"Accompagné {self.count}", party_size=party,
                by=self.referent, now=self.now,
            )  # fmt: skip
        except BookingError:
            return None
        return booking.pk

    # Door -----------------------------------------------------------------------

    @rule(booking=bookings)
    def check_in(self, booking):
        if booking is None:
            return
        try:
            door.booking_check_in(booking=Booking.objects.get(pk=booking), by=self.coordinator, now=self.now)
        except door.DoorError:
            pass

    @rule(booking=bookings)
    def undo_check_in(self, booking):
        if booking is None:
            return
        try:
            door.booking_undo_check_in(booking=Booking.objects.get(pk=booking), by=self.coordinator, now=self.now)
        except door.DoorError:
            pass

    @rule(target=bookings, party=PARTY, squeeze=st.booleans())
    def walk_in(self, party, squeeze):
        try:
            booking = door.walk_in_add(
                meal=self.meal, party_size=party, by=self.coordinator, squeeze=squeeze, now=self.now
            )
        except door.DoorError:
            return None
        return booking.pk

    # Planning ---------------------------------------------------------------------

    @rule(seats=st.integers(min_value=1, max_value=4), hours=st.integers(min_value=1, max_value=48))
    def seat_block(self, seats, hours):
        try:
            planning.seat_block_set(
                meal=self.meal, partner=self.partner, seats=seats, release_at=self.now + timedelta(hours=hours),
                now=self.now,
            )  # fmt: skip
        except planning.PlanningError:
            pass

    @precondition(lambda self: SeatBlock.objects.filter(meal=self.meal).exists())
    @rule()
    def release_block(self):
        """The coordinator gives the partner's unused seats to the public now."""
        block = SeatBlock.objects.get(meal=self.meal)
        try:
            planning.seat_block_set(
                meal=self.meal, partner=self.partner, seats=block.seats, release_at=self.now, now=self.now
            )
        except planning.PlanningError:
            pass

    @rule(capacity=st.integers(min_value=1, max_value=8))
    def set_capacity(self, capacity):
        try:
            planning.meal_update(meal=self.meal, values={"capacity": capacity}, now=self.now)
        except planning.PlanningError:
            pass

    @rule(hours=st.sampled_from([1, 6, 24, 24 * 5]))
    def time_passes_and_the_promotion_runs(self, hours):
        """The clock moves on (a seat block may come to its release); the periodic run promotes."""
        self.now += timedelta(hours=hours)
        waitlist_promote(meal=self.meal, now=self.now)

    @rule()
    def meal_is_cancelled(self):
        try:
            planning.meal_cancel(meal=self.meal, by=self.coordinator, reason="Panne de four", now=self.now)
        except planning.PlanningError:
            pass

    # What must hold after every step ----------------------------------------------------

    @invariant()
    def seats_taken_is_the_seats_of_confirmed_bookings(self):
        meal = Meal.objects.get(pk=self.meal.pk)
        confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
        seats = confirmed.aggregate(total=Sum("party_size"))["total"] or 0
        assert meal.seats_taken == seats
        assert meal.seats_taken <= meal.capacity + meal.extra_seats

    @invariant()
    def no_waiting_booking_fits_before_the_meal(self):
        meal = Meal.objects.get(pk=self.meal.pk)
        if meal.is_cancelled or self.now >= meal.starts_at:
            return
        for waiting in Booking.objects.filter(meal=meal, status=Booking.Status.WAITLISTED):
            free = seats_available(meal=meal, partner=waiting.partner, now=self.now)
            assert waiting.party_size > free, f"{waiting} waits with {free} seats free for it"

    @invariant()
    def checked_in_guests_hold_their_seat(self):
        meal = Meal.objects.get(pk=self.meal.pk)
        if meal.is_cancelled:
            return
        assert not Booking.objects.filter(meal=meal, checked_in_at__isnull=False).exclude(status="confirmed").exists()

    @invariant()
    def shift_slots_are_their_signups_and_follow_the_seat(self):
        for shift in Shift.objects.filter(meal=self.meal):
            assert shift.taken == ShiftSignup.objects.filter(shift=shift).count() <= shift.slots
        held_by_not_seated = ShiftSignup.objects.filter(shift__meal=self.meal, booking__isnull=False).exclude(
            booking__status=Booking.Status.CONFIRMED
        )
        assert not held_by_not_seated.exists()


def test_seat_accounting_holds_whatever_happens():
    SeatMachine.coordinator = make_user("door@example.org", group="coordinator", name="Claire Porte")
    SeatMachine.referent = make_user("ref@example.org", group="partner", name="Sophie Réf")
    run_state_machine_as_test(
        SeatMachine,
        settings=settings(
            max_examples=50,
            stateful_step_count=30,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
