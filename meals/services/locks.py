"""Row locks, always taken in one order: meal, then shift, then booking.

Every service that writes something hanging from a meal (its seats, its
bookings, its shifts and their sign-ups, its contributions and till) takes
these locks through the helpers below, in that order, inside its
``transaction.atomic()``. Two transactions that both start with the meal row
queue there, so they can never each hold a row the other waits for
(PostgreSQL's "deadlock detected"). A row further down the order may only be
locked once the rows above it are held; taking the meal again in a nested
service is free (the transaction already holds it).

Joined rows are never locked by accident: ``select_for_update()`` with
``select_related()`` locks every joined table on PostgreSQL, so the helpers
lock ``of=("self",)`` only.
"""

from __future__ import annotations

from collections.abc import Iterable

from meals.models import Booking, Meal, Shift


def _pk(row_or_pk) -> int:
    return row_or_pk if isinstance(row_or_pk, int) else row_or_pk.pk


def lock_meal(meal: Meal | int, *, shifts: bool = False) -> Meal:
    """Lock the meal row (first lock of any write on a meal) and return it fresh.

    With ``shifts``, its shift rows too, right after it: for writes that go on
    to touch both shifts and bookings (a cancellation that gives back a help
    slot, a promotion that takes one), so the bookings come last.
    """
    locked = Meal.objects.select_for_update().get(pk=_pk(meal))
    if shifts:
        list(Shift.objects.select_for_update(of=("self",)).filter(meal=locked).order_by("pk").values_list("pk"))
    return locked


def lock_meals(meals: Iterable[Meal | int]) -> list[Meal]:
    """Lock several meal rows, in primary-key order so that two such calls never cross."""
    pks = sorted({_pk(meal) for meal in meals})
    return list(Meal.objects.select_for_update().filter(pk__in=pks).order_by("pk"))


def lock_shift(shift: Shift | int, *, meal: Meal | None = None) -> Shift:
    """Lock a shift after its meal: the meal first (unless ``meal``, already locked, is given)."""
    if meal is None:
        if isinstance(shift, Shift):
            meal_id = shift.meal_id
        else:
            meal_id = Shift.objects.values_list("meal_id", flat=True).get(pk=shift)
        meal = lock_meal(meal_id)
    locked = Shift.objects.select_for_update(of=("self",)).get(pk=_pk(shift))
    locked.meal = meal
    return locked


def lock_booking(booking: Booking | int) -> Booking:
    """Lock a booking row. The caller holds its meal (and any shift it will touch) already."""
    return Booking.objects.select_for_update(of=("self",)).get(pk=_pk(booking))
