"""The shift board's rows: three weeks of shifts, each with its helpers' first names.

The board is the page volunteers open most; its HTML is kept under the ``board``
generation (meals/cache.py), per viewer. It also depends on the clock (a shift
leaves it when it starts, enters it three weeks before, and cannot be released
online in its last 24 hours), so ``board_meals`` also says the first instant
the clock alone would change it: the kept board is used until then.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db.models import Min, Q

from meals.models import HasSlots, Meal, Shift, ShiftSignup
from meals.services.shifts import RELEASE_CUTOFF

BOARD_DAYS = 21


@dataclass
class BoardShift(HasSlots):
    pk: int
    role: str
    role_label: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    taken: int
    description: str
    helpers: list[str] = field(default_factory=list)
    mine: bool = False
    late: bool = False


@dataclass
class BoardMeal:
    pk: int
    title: str
    starts_at: datetime
    shifts: list[BoardShift] = field(default_factory=list)

    @property
    def hands_needed(self) -> int:
        return sum(shift.hands_needed for shift in self.shifts)


def _window(now: datetime, days: int = BOARD_DAYS) -> Q:
    return Q(starts_at__gt=now, starts_at__lt=now + timedelta(days=days), meal__status=Meal.Status.SCHEDULED)


def board_meals(*, now: datetime, user_id: int, needing_only: bool) -> tuple[list[BoardMeal], datetime]:
    """The board as ``now`` sees it, and the first instant the clock alone would change it."""
    window = _window(now)
    shift_rows = (
        Shift.objects.filter(window)
        .order_by("meal__starts_at", "meal_id", "starts_at", "role")
        .values_list(
            "pk",
            "meal_id",
            "role",
            "starts_at",
            "ends_at",
            "slots",
            "taken",
            "description",
            "meal__title",
            "meal__starts_at",
        )  # fmt: skip
    )
    signup_rows = (
        ShiftSignup.objects.filter(shift__in=Shift.objects.filter(window).values("pk"))
        .order_by("created_at", "pk")
        .values_list("shift_id", "member__user_id", "member__name")
    )
    roles = dict(Shift.Role.choices)
    meals: dict[int, BoardMeal] = {}
    by_pk: dict[int, BoardShift] = {}
    # The next shift to enter the window (three weeks ahead) changes the board when it does.
    entering = Shift.objects.filter(
        starts_at__gte=now + timedelta(days=BOARD_DAYS), meal__status=Meal.Status.SCHEDULED
    ).aggregate(first=Min("starts_at"))["first"]
    changes = [entering - timedelta(days=BOARD_DAYS)] if entering else []
    for pk, meal_id, role, starts_at, ends_at, slots, taken, description, title, meal_starts_at in shift_rows:
        meal = meals.get(meal_id)
        if meal is None:
            meal = meals[meal_id] = BoardMeal(pk=meal_id, title=title, starts_at=meal_starts_at)
        late = starts_at - now < RELEASE_CUTOFF
        shift = BoardShift(
            pk=pk, role=role, role_label=roles.get(role, role), starts_at=starts_at, ends_at=ends_at,
            slots=slots, taken=taken, description=description, late=late,
        )  # fmt: skip
        meal.shifts.append(shift)
        by_pk[pk] = shift
        # It leaves the board when it starts; it becomes too late to release 24 hours before.
        changes.append(starts_at if late else starts_at - RELEASE_CUTOFF)
    for shift_id, signup_user_id, name in signup_rows:
        shift = by_pk.get(shift_id)
        if shift is None:
            continue
        # Other volunteers see a first name only (guests who help included).
        shift.helpers.append((name or "").split(" ")[0] or "?")
        if signup_user_id == user_id:
            shift.mine = True
    board = []
    for meal in meals.values():
        # Shifts that still need hands first, then in the order of the day.
        meal.shifts.sort(key=lambda s: (s.is_full and not s.mine, s.starts_at))
        if needing_only:
            meal.shifts = [s for s in meal.shifts if not s.is_full or s.mine]
            if not meal.shifts:
                continue
        board.append(meal)
    return board, min(changes, default=datetime.max.replace(tzinfo=now.tzinfo))
