"""What the pages read: one query function per page, views only glue (healthchecks' and HackSoft's selectors).

Each function reads what one page shows in a fixed number of queries, whatever
the number of rows (the query-count tests hold them to it), and returns plain
objects the templates read. Nothing here writes: the writes are the services'.

- ``upcoming_meals``: the next meals' cards (``/``);
- ``meal_for_page``: one meal, with its held seats and the shifts a guest may help with;
- ``board_meals``: the volunteers' shift board;
- ``meals_today``: today's meals at a glance, for the coordinator's home;
- ``door_choice``, ``door_desk``, ``day_sheet``: the door desk's pages;
- ``kitchen``: a meal's allergies and diets in counts, for the cooks.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db.models import Count, Min, Prefetch, Q, Sum
from django.shortcuts import get_object_or_404
from django.utils import timezone

from meals import allergies
from meals.models import (
    ALLERGENS,
    HELP_ROLES,
    Booking,
    Contribution,
    HasSlots,
    Meal,
    Shift,
    ShiftSignup,
    TillClosing,
)
from meals.services.door import Totals, door_totals
from meals.services.shifts import RELEASE_CUTOFF

BOARD_DAYS = 21
UPCOMING_DAYS = 14  # Meal.objects.upcoming()'s default


# The next meals and one meal -----------------------------------------------------------


def upcoming_meals(*, now: datetime, days: int = UPCOMING_DAYS) -> list[Meal]:
    """The next ``days`` days' meals with their held seats and the shifts a guest may help with (two queries)."""
    return list(Meal.objects.upcoming(now=now, days=days).prefetch_related(helping_shifts()).order_by("starts_at"))


def helping_shifts() -> Prefetch:
    """The shifts a guest may offer to help with, as ``meal.helping_shifts``."""
    return Prefetch(
        "shifts", queryset=Shift.objects.filter(role__in=HELP_ROLES).order_by("starts_at"), to_attr="helping_shifts"
    )


def meal_for_page(pk: int, *, now: datetime | None = None) -> Meal:
    """One meal with its held seats and helping shifts (two queries), or 404."""
    return get_object_or_404(Meal.objects.with_held_seats(now=now).prefetch_related(helping_shifts()), pk=pk)


# The shift board -------------------------------------------------------------------------


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
    accompanied: bool = False
    # Why the viewer cannot claim it yet (meals/readiness.py), and where to do what is missing.
    not_ready: str = ""
    not_ready_url: str = ""


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
    """The board as ``user_id`` sees it at ``now``, and the first instant the clock alone would change it.

    Five queries whatever the number of shifts: the shifts, the sign-ups, the next shift to come,
    what each role requires and what the viewer met (meals/readiness.py).
    """
    from meals.readiness import met_by_user, refusal, role_requirements

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
            "accompanied",
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
    requires, met = role_requirements(), met_by_user(user_id)
    for (
        pk,
        meal_id,
        role,
        starts_at,
        ends_at,
        slots,
        taken,
        description,
        title,
        meal_starts_at,
        accompanied,
    ) in shift_rows:
        meal = meals.get(meal_id)
        if meal is None:
            meal = meals[meal_id] = BoardMeal(pk=meal_id, title=title, starts_at=meal_starts_at)
        late = starts_at - now < RELEASE_CUTOFF
        shift = BoardShift(
            pk=pk, role=role, role_label=roles.get(role, role), starts_at=starts_at, ends_at=ends_at,
            slots=slots, taken=taken, description=description, late=late, accompanied=accompanied,
        )  # fmt: skip
        refused = refusal(role=role, accompanied=accompanied, required=requires.get(role, ()), met=met)
        if refused is not None:
            shift.not_ready, shift.not_ready_url = refused.reason, refused.url
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


# The coordinator's home --------------------------------------------------------------------


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
    """Today's meals: booked, arrived, hands missing, till.

    Five queries whatever the number of meals, bookings or contributions (one
    when there is no meal today): the meals, then one aggregate each for the
    bookings, the shifts, the contributions and the open till closings.
    """
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


# The door desk -----------------------------------------------------------------------------


def fold(text: str) -> str:
    """« Hélène » and « helene » sort and match alike."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


def _who(user) -> str:
    if user is None:
        return "—"
    return user.first_name or user.email or user.get_username()


def people(bookings: list[Booking]) -> dict[str, int]:
    """People (party sizes) of the confirmed bookings: the same counts on the desk and the day sheet."""
    return {
        "booked": sum(b.party_size for b in bookings if not b.is_walk_in),
        "arrived": sum(b.party_size for b in bookings if not b.is_walk_in and b.checked_in_at),
        "walk_ins": sum(b.party_size for b in bookings if b.is_walk_in),
    }


def _confirmed(meal: Meal, *, walk_ins_last: bool = False) -> list[Booking]:
    """The meal's confirmed bookings in the order of the names, accents aside."""
    return sorted(
        Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED).select_related("partner"),
        key=lambda b: (walk_ins_last and b.is_walk_in, fold(b.name) or "~", b.pk),
    )


def door_choice(*, today: date, now: datetime) -> tuple[list[Meal], list[Meal], list[Meal]]:
    """Today's meals, the next ones (two weeks) and the last week's: the desks to choose from."""
    today_meals = list(Meal.objects.scheduled().filter(starts_at__date=today).order_by("starts_at"))
    others = Meal.objects.scheduled().exclude(pk__in=[m.pk for m in today_meals])
    coming = list(others.filter(starts_at__gte=now, starts_at__lte=now + timedelta(days=14)).order_by("starts_at")[:5])
    recent = list(others.filter(starts_at__lt=now, starts_at__gte=now - timedelta(days=7)).order_by("-starts_at")[:3])
    return today_meals, coming, recent


@dataclass
class Desk:
    """What the door desk shows of one meal; each booking carries ``given`` (its contributions, not voided)."""

    bookings: list[Booking]  # confirmed, walk-ins included
    contributions: list[Contribution]  # newest first, with ``recorded_by_name`` and ``voided_by_name``
    closings: list[TillClosing]  # newest first, with ``closed_by_name`` and ``reopened_by_name``
    counters: dict[str, int]
    totals: Totals

    @property
    def booked(self) -> list[Booking]:
        return [b for b in self.bookings if not b.is_walk_in]

    @property
    def walk_ins(self) -> list[Booking]:
        return [b for b in self.bookings if b.is_walk_in]

    @property
    def closing(self) -> TillClosing | None:
        """The till's open closing: closed when there is one."""
        return next((c for c in self.closings if c.reopened_at is None), None)

    def matching(self, q: str) -> list[Booking]:
        """The booked guests whose name holds ``q`` (accents and case aside)."""
        return [b for b in self.booked if fold(q) in fold(b.name)] if q else self.booked


def door_desk(meal: Meal) -> Desk:
    """The desk of ``meal`` in four queries (bookings, contributions, till closings, held seats)."""
    bookings = _confirmed(meal)
    contributions = list(
        Contribution.objects.filter(meal=meal)
        .select_related("booking", "recorded_by", "voided_by")
        .order_by("-recorded_at", "-pk")
    )
    closings = list(meal.till_closings.select_related("closed_by", "reopened_by").order_by("-closed_at", "-pk"))
    for row in contributions:
        row.recorded_by_name, row.voided_by_name = _who(row.recorded_by), _who(row.voided_by)
    for row in closings:
        row.closed_by_name, row.reopened_by_name = _who(row.closed_by), _who(row.reopened_by)
    given: dict[int, Decimal] = {}
    for contribution in contributions:
        if contribution.voided_at is None and contribution.booking_id:
            given[contribution.booking_id] = given.get(contribution.booking_id, Decimal("0")) + contribution.amount
    for booking in bookings:
        booking.given = given.get(booking.pk)
    allergies.decorate(bookings, meal)
    counters = {
        **people(bookings),
        "seats_left": meal.seats_left,
        "over": max(meal.seats_taken - meal.capacity, 0),
    }
    covers = counters["arrived"] + counters["walk_ins"] or meal.seats_taken
    totals = door_totals(meal=meal, contributions=contributions, covers=covers)
    return Desk(bookings=bookings, contributions=contributions, closings=closings, counters=counters, totals=totals)


def day_sheet(meal: Meal) -> dict:
    """The paper copy's contents: bookings (walk-ins last), helpers per shift, notes, allergens, people."""
    bookings = _confirmed(meal, walk_ins_last=True)
    shifts: dict[int, dict] = {}
    for signup in (
        ShiftSignup.objects.filter(shift__meal=meal)
        .select_related("shift", "member")
        .order_by("shift__starts_at", "shift__role", "member__name")
    ):
        entry = shifts.setdefault(signup.shift_id, {"shift": signup.shift, "members": []})
        entry["members"].append(signup.member)
    labels = dict(ALLERGENS)
    allergies.decorate(bookings, meal)
    return {
        "bookings": bookings,
        "shifts": list(shifts.values()),
        "notes": [b for b in bookings if b.notes.strip() or b.health],
        "allergens": [str(labels[code]).lower() for code in meal.allergens if code in labels],
        "people": people(bookings),
    }


# The kitchen ------------------------------------------------------------------------------


def kitchen(meal: Meal) -> allergies.KitchenCounts:
    """People per allergen and diet across ``meal``'s confirmed bookings, and its clashes: one query, no name."""
    profiles = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED).values_list(
        "party_size", "allergens", "diets"
    )
    return allergies.kitchen_counts(meal=meal, profiles=profiles)
