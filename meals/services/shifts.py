"""Shift rules: creating a meal's shifts, claiming and releasing slots."""

from dataclasses import dataclass
from datetime import timedelta

from meals.models import Meal, Shift


@dataclass(frozen=True)
class ShiftTemplateRow:
    role: str
    # Offsets from the meal's start (lunch at 12:30: cooking from 9:30).
    starts_before_meal: timedelta
    duration: timedelta
    slots: int
    description: str = ""


DEFAULT_SHIFT_TEMPLATE = [
    ShiftTemplateRow(Shift.Role.COOKING, timedelta(hours=3), timedelta(hours=2, minutes=30), 10),
    ShiftTemplateRow(Shift.Role.TABLE, timedelta(minutes=30), timedelta(minutes=30), 3),
    ShiftTemplateRow(Shift.Role.DISHES, -timedelta(hours=1, minutes=15), timedelta(hours=1), 4),
]


def shifts_create_default(*, meal: Meal, template=None) -> list[Shift]:
    """Give a new meal its cooking, table and washing-up shifts."""
    rows = template or DEFAULT_SHIFT_TEMPLATE
    return Shift.objects.bulk_create(
        [
            Shift(
                meal=meal,
                role=row.role,
                starts_at=meal.starts_at - row.starts_before_meal,
                ends_at=meal.starts_at - row.starts_before_meal + row.duration,
                slots=row.slots,
                description=row.description,
            )
            for row in rows
        ]
    )
