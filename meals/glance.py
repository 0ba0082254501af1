"""Today's meals at a glance, for the coordinator's home: booked, arrived, hands missing, till.

Five queries whatever the number of meals, bookings or contributions (one
when there is no meal today): the meals, then one aggregate each for the
bookings, the shifts, the contributions and the open till closings.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils import timezone

from meals.models import Booking, Contribution, Meal, Shift, TillClosing


@dataclass
class MealGlance:
    meal: Meal
    booked: int = 0  # people of the confirmed bookings (walk-ins apart), as on the door desk
    arrived: int = 0  # of those, the people checked in
    walk_ins: int = 0
    shifts: list[Shift] = field(default_factory=list)
    total: Decimal = Decimal("0.00")  # contributions not voided
    contributions: int = 0
    closing: TillClosing | None = None  # the till's open closing: closed when there is one

    @property
    def hands_needed(self) -> int:
        return sum(shift.hands_needed for shift in self.shifts)


def meals_today(*, now: datetime | None = None) -> list[MealGlance]:
    today = timezone.localdate(now)
    glances = {
        meal.pk: MealGlance(meal=meal)
        for meal in Meal.objects.scheduled().filter(starts_at__date=today).order_by("starts_at", "pk")
    }
    if not glances:
        return []
    people = (
        Booking.objects.filter(meal_id__in=glances, status=Booking.Status.CONFIRMED)
        .values("meal_id")
        .annotate(
            booked=Sum("party_size", filter=Q(is_walk_in=False)),
            arrived=Sum("party_size", filter=Q(is_walk_in=False, checked_in_at__isnull=False)),
            walk_ins=Sum("party_size", filter=Q(is_walk_in=True)),
        )
        .order_by()
    )
    for row in people:
        glance = glances[row["meal_id"]]
        glance.booked, glance.arrived, glance.walk_ins = row["booked"] or 0, row["arrived"] or 0, row["walk_ins"] or 0
    for shift in Shift.objects.filter(meal_id__in=glances).order_by("starts_at", "role"):
        glances[shift.meal_id].shifts.append(shift)
    money = (
        Contribution.objects.filter(meal_id__in=glances, voided_at__isnull=True)
        .values("meal_id")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by()
    )
    for row in money:
        glances[row["meal_id"]].total, glances[row["meal_id"]].contributions = row["total"], row["count"]
    for closing in TillClosing.objects.filter(meal_id__in=glances, reopened_at__isnull=True):
        glances[closing.meal_id].closing = closing
    return list(glances.values())
