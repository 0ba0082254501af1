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


class ShiftError(Exception):
    """A claim or release that cannot be done; the message is for the person."""


class ShiftFull(ShiftError):
    pass


class AlreadyOnShift(ShiftError):
    pass


class ShiftClosed(ShiftError):
    """The shift is over, or its meal was cancelled."""


def shift_claim(*, shift: Shift, member, booking=None, by=None, now=None):
    """Put ``member`` on ``shift``. Must hold under concurrency: lock the shift, count, write.

    Returns the new ``ShiftSignup``. Raises ``ShiftFull``, ``AlreadyOnShift`` or
    ``ShiftClosed``. Call it inside an outer ``transaction.atomic()`` to take
    the slot in the same transaction as something else (a booking).
    """
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from meals.models import ShiftSignup

    now = now or timezone.now()
    with transaction.atomic():
        # Lock the shift row first: two volunteers racing for the last slot
        # queue here, and the second one sees ``taken`` already incremented.
        locked = Shift.objects.select_for_update().select_related("meal").get(pk=shift.pk)
        if locked.meal.is_cancelled:
            raise ShiftClosed(_("Ce repas est annulé."))
        if locked.starts_at <= now:
            raise ShiftClosed(_("Ce créneau est déjà commencé ou passé."))
        if ShiftSignup.objects.filter(shift=locked, member=member).exists():
            raise AlreadyOnShift(_("Vous êtes déjà inscrit·e sur ce créneau."))
        if locked.taken >= locked.slots:
            raise ShiftFull(_("Ce créneau est complet."))
        signup = ShiftSignup.objects.create(shift=locked, member=member, booking=booking, created_by=by)
        Shift.objects.filter(pk=locked.pk).update(taken=F("taken") + 1)
    shift.taken = locked.taken + 1
    return signup
