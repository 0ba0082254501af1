"""Bookings that offer help and shift claims on one meal, at once: no deadlock (issue 12, point 3).

``booking_create(help_with=…)`` takes the meal, then the shift; ``shift_claim``
must take them in the same order (meal, then shift, then booking), or
PostgreSQL finds the two waiting on each other and kills one with
"deadlock detected".
"""

import pytest

from meals.models import Booking, Shift, ShiftSignup
from meals.services.booking import booking_create
from meals.services.shifts import ShiftFull, shift_claim
from members.models import Member
from tests.conftest import all_at_once, create_meal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 20
ROUNDS = 4


def test_bookings_offering_help_and_shift_claims_never_deadlock():
    for round_ in range(ROUNDS):
        meal = create_meal(capacity=8)
        cooking = meal.shifts.get(role=Shift.Role.COOKING)
        Shift.objects.filter(pk=cooking.pk).update(slots=6)
        volunteers = [Member.objects.create(name=f"Bénévole {round_}-{n}") for n in range(THREADS)]

        def act(n: int, meal=meal, cooking=cooking, volunteers=volunteers, round_=round_):
            if n % 2:
                booking = booking_create(
                    meal=meal,
                    name=f"Convive {n}",
                    email=f"guest{round_}-{n}@example.org",
                    party_size=1,
                    help_with=Shift.Role.COOKING,
                )
                return booking.status
            try:
                shift_claim(shift=Shift.objects.get(pk=cooking.pk), member=volunteers[n])
            except ShiftFull:
                return "shift full"
            return "claimed"

        results = all_at_once(THREADS, act)

        assert [r for r in results if "deadlock" in str(r)] == []
        assert set(results) <= {"confirmed", "waitlisted", "claimed", "shift full"}, results
        meal.refresh_from_db()
        cooking.refresh_from_db()
        confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
        assert meal.seats_taken == sum(confirmed.values_list("party_size", flat=True)) == 8
        assert Booking.objects.filter(meal=meal, status=Booking.Status.WAITLISTED).count() == THREADS // 2 - 8
        signups = ShiftSignup.objects.filter(shift=cooking)
        assert cooking.taken == signups.count() == 6
        assert signups.values("member").distinct().count() == 6
        assert results.count("claimed") == signups.filter(booking__isnull=True).count()


def test_cancellations_releases_claims_and_bookings_with_help_never_deadlock():
    """Cancelling gives a slot back and promotes a waiting helper (meal, shifts, bookings), against claims."""
    from meals.services.booking import booking_cancel
    from meals.services.shifts import shift_release

    for round_ in range(ROUNDS):
        meal = create_meal(capacity=6)
        dishes = meal.shifts.get(role=Shift.Role.DISHES)
        Shift.objects.filter(pk=dishes.pk).update(slots=5)
        seated = [
            booking_create(
                meal=meal, name=f"Assis {n}", email=f"s{round_}-{n}@example.org", help_with=Shift.Role.DISHES
            )
            for n in range(6)
        ]
        for n in range(4):  # waiting, and offering help when a seat frees up
            booking_create(meal=meal, name=f"Attente {n}", email=f"w{round_}-{n}@example.org", help_with="dishes")
        helpers = [Member.objects.create(name=f"Aide {round_}-{n}") for n in range(THREADS)]
        volunteer_signups = []
        Shift.objects.filter(pk=dishes.pk).update(slots=8)
        for member in helpers[:2]:
            volunteer_signups.append(shift_claim(shift=Shift.objects.get(pk=dishes.pk), member=member))

        def act(
            n: int, meal=meal, seated=seated, helpers=helpers, signups=volunteer_signups, round_=round_, dishes=dishes
        ):
            kind = n % 4
            if kind == 0 and n // 4 < len(seated):
                return f"cancelled, {len(booking_cancel(booking=seated[n // 4]))} promoted"
            if kind == 1 and n // 4 < len(signups):
                shift_release(signup=signups[n // 4], force=True)
                return "released"
            if kind == 2:
                booking = booking_create(
                    meal=meal, name=f"Nouveau {n}", phone=f"06 10 {round_:02} 00 {n:02}", help_with="dishes"
                )
                return booking.status
            try:
                shift_claim(shift=Shift.objects.get(pk=dishes.pk), member=helpers[n])
            except ShiftFull:
                return "shift full"
            return "claimed"

        results = all_at_once(THREADS, act)

        assert [r for r in results if "deadlock" in str(r)] == []
        assert all(
            r in {"released", "confirmed", "waitlisted", "claimed", "shift full"} or "promoted" in r for r in results
        ), results
        meal.refresh_from_db()
        dishes.refresh_from_db()
        confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
        assert meal.seats_taken == sum(confirmed.values_list("party_size", flat=True)) == 6
        signups = ShiftSignup.objects.filter(shift=dishes)
        assert dishes.taken == signups.count() <= dishes.slots
        assert not signups.exclude(booking__isnull=True).exclude(booking__status=Booking.Status.CONFIRMED).exists()
