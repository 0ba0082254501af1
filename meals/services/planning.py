"""Planning rules: create, edit and cancel meals, one at a time or as a series.

Times are Europe/Paris wall-clock times: every meal of a series gets its aware
datetimes built for its own day with zoneinfo, so a 12:30 lunch stays at 12:30
on both sides of a daylight-saving change.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from meals.cache import bump
from meals.idempotency import claim, keep
from meals.models import Booking, Meal, MealSeries, SeatBlock, Shift, ShiftSignup
from meals.services.locks import lock_meal, lock_meals
from meals.services.shifts import shifts_create_default

# Fields a coordinator may set on a meal (besides its times and booking window).
MEAL_FIELDS = (
    "title",
    "starter",
    "main",
    "dessert",
    "allergens",
    "diet_labels",
    "organic_share",
    "local_share",
    "capacity",
    "cost_price",
)

# Safety net: a series longer than this is surely a typo in the end date.
MAX_SERIES_MEALS = 400


class PlanningError(Exception):
    """A plan that cannot be written; the message is for the coordinator."""


class CapacityBelowBooked(PlanningError):
    pass


class BadSeries(PlanningError):
    pass


class MealAlreadyCancelled(PlanningError):
    pass


def paris() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def wall_clock(day: date, at: time) -> datetime:
    """An aware datetime for ``at`` Paris time on ``day`` (DST-safe)."""
    return datetime.combine(day, at, tzinfo=paris())


@dataclass(frozen=True)
class MealTimes:
    """The wall-clock times of a meal and its booking window, independent of the day."""

    cooking_time: time
    meal_time: time
    end_time: time
    opens_days_before: int
    closes_time: time
    closes_day_before: bool = False

    def for_day(self, day: date) -> dict:
        closes_day = day - timedelta(days=1) if self.closes_day_before else day
        opens_at = wall_clock(day - timedelta(days=self.opens_days_before), time(9, 0))
        return {
            "cooking_starts_at": wall_clock(day, self.cooking_time),
            "starts_at": wall_clock(day, self.meal_time),
            "ends_at": wall_clock(day, self.end_time),
            "booking_opens_at": opens_at,
            "booking_closes_at": wall_clock(closes_day, self.closes_time),
        }

    @classmethod
    def of(cls, meal: Meal) -> "MealTimes":
        local = timezone.localtime
        start = local(meal.starts_at)
        closes = local(meal.booking_closes_at)
        opens = local(meal.booking_opens_at)
        return cls(
            cooking_time=local(meal.cooking_starts_at).time(),
            meal_time=start.time(),
            end_time=local(meal.ends_at).time(),
            opens_days_before=max((start.date() - opens.date()).days, 0),
            closes_time=closes.time(),
            closes_day_before=closes.date() < start.date(),
        )


def check_times(values: dict) -> None:
    if values["ends_at"] <= values["starts_at"]:
        raise PlanningError(_("La fin du repas doit être après son début."))
    if values["cooking_starts_at"] > values["starts_at"]:
        raise PlanningError(_("La cuisine doit commencer avant le repas."))
    if values["booking_closes_at"] <= values["booking_opens_at"]:
        raise PlanningError(_("Les réservations doivent fermer après leur ouverture."))


def series_days(*, starts_on: date, ends_on: date, weekdays: list[int]) -> list[date]:
    """Every day between the two dates (included) whose weekday (0 = Monday) is chosen."""
    if ends_on < starts_on:
        raise BadSeries(_("La date de fin doit être après la date de début."))
    if not weekdays:
        raise BadSeries(_("Choisissez au moins un jour de la semaine."))
    wanted = {int(d) for d in weekdays}
    days = []
    day = starts_on
    while day <= ends_on:
        if day.weekday() in wanted:
            days.append(day)
        day += timedelta(days=1)
    if not days:
        raise BadSeries(_("Aucun repas : aucun des jours choisis ne tombe entre ces deux dates."))
    if len(days) > MAX_SERIES_MEALS:
        raise BadSeries(_("Trop de repas d'un coup : raccourcissez la période."))
    return days


def meal_create(*, values: dict, times: MealTimes, day: date, series: MealSeries | None = None, key: str = "") -> Meal:
    """Create one meal and its default shifts."""
    fields = {**values, **times.for_day(day)}
    check_times(fields)
    with transaction.atomic():
        # No row to lock yet: a parallel twin of this form waits on the key's unique index.
        if (first := claim(key, "meal_create", Meal)) is not None:
            return first
        meal = Meal.objects.create(series=series, **fields)
        shifts_create_default(meal=meal)
        keep(key, "meal_create", meal)
    return meal


@dataclass(frozen=True)
class SeriesDinner:
    """The evening meals of a series (e.g. Friday dinner next to Tuesday-Thursday lunches)."""

    weekdays: list[int]
    times: MealTimes
    title: str


def series_create(
    *,
    title: str,
    weekdays: list[int],
    starts_on: date,
    ends_on: date,
    times: MealTimes,
    values: dict,
    dinner: SeriesDinner | None = None,
    by=None,
    key: str = "",
) -> MealSeries:
    """Create a series and one meal (with its shifts) per chosen weekday between the dates.

    With ``dinner``, its weekdays get an evening meal at its own times too.
    """
    plans: list[tuple[date, MealTimes, str]] = []
    if weekdays or not (dinner and dinner.weekdays):
        plans += [(day, times, title) for day in series_days(starts_on=starts_on, ends_on=ends_on, weekdays=weekdays)]
    if dinner and dinner.weekdays:
        dinner_days = series_days(starts_on=starts_on, ends_on=ends_on, weekdays=dinner.weekdays)
        plans += [(day, dinner.times, dinner.title) for day in dinner_days]
    if len(plans) > MAX_SERIES_MEALS:
        raise BadSeries(_("Trop de repas d'un coup : raccourcissez la période."))
    for day, meal_times, _title in plans[:1] + plans[-1:]:
        check_times(meal_times.for_day(day))
    plans.sort(key=lambda plan: plan[1].for_day(plan[0])["starts_at"])
    with transaction.atomic():
        if (first := claim(key, "series_create", MealSeries)) is not None:
            return first
        series = MealSeries.objects.create(
            title=title,
            weekdays=sorted({int(d) for d in weekdays}),
            starts_on=starts_on,
            ends_on=ends_on,
            meal_time=times.meal_time,
            capacity=values.get("capacity"),
            created_by=by,
        )
        meals = Meal.objects.bulk_create(
            [
                Meal(series=series, **{**values, "title": meal_title}, **meal_times.for_day(day))
                for day, meal_times, meal_title in plans
            ]
        )
        for meal in meals:
            shifts_create_default(meal=meal)
        keep(key, "series_create", series)
    return series


def _apply(meal: Meal, *, values: dict, times: MealTimes | None, day: date | None = None) -> None:
    """Write ``values`` and ``times`` on a meal already locked; move its shifts with it."""
    if "capacity" in values and values["capacity"] < meal.seats_taken:
        raise CapacityBelowBooked(
            _("Le repas du %(day)s a déjà %(taken)s places réservées : la capacité ne peut pas être plus basse.")
            % {"day": timezone.localtime(meal.starts_at).strftime("%d/%m/%Y"), "taken": meal.seats_taken}
        )
    if "capacity" in values:
        blocked = meal.seat_blocks.aggregate(total=Sum("seats"))["total"] or 0
        if blocked > values["capacity"]:
            raise CapacityBelowBooked(
                _("Les places réservées aux partenaires (%(blocked)s) dépassent cette capacité.") % {"blocked": blocked}
            )
    for name, value in values.items():
        setattr(meal, name, value)
    if times is not None:
        day = day or timezone.localtime(meal.starts_at).date()
        old_start = meal.starts_at
        new = times.for_day(day)
        check_times(new)
        for name, value in new.items():
            setattr(meal, name, value)
        delta = meal.starts_at - old_start
        if delta:
            for shift in meal.shifts.all():
                shift.starts_at += delta
                shift.ends_at += delta
                shift.save(update_fields=["starts_at", "ends_at"])
    meal.save()


def meal_update(
    *,
    meal: Meal,
    values: dict,
    times: MealTimes | None = None,
    day: date | None = None,
    now: datetime | None = None,
    key: str = "",
) -> Meal:
    """Edit one meal. A capacity below the seats already booked is refused, nothing written.

    More seats go to the waiting list at once (first come, first served).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock first: a booking taking a seat meanwhile must not slip under the new capacity.
        locked = lock_meal(meal, shifts=True)
        # A replay of an older edit must not undo a later one.
        if (first := claim(key, "meal_update", Meal)) is not None:
            return first
        _apply(locked, values=values, times=times, day=day)
        _promote(locked, now=now)
        keep(key, "meal_update", locked)
    return locked


def _promote(meal: Meal, *, now: datetime) -> None:
    """Seats freed by a planning change (capacity, a seat block) go to the waiting list."""
    from meals.services.booking import promote_waiting

    promote_waiting(meal=meal, now=now)


def series_update_future(
    *,
    series: MealSeries,
    values: dict,
    times: MealTimes | None = None,
    like: Meal | None = None,
    now: datetime | None = None,
    key: str = "",
) -> int:
    """Edit every future, scheduled meal of a series; all or nothing. Returns how many.

    With ``like``, only the meals served at the same hour (the lunches, not the dinners).
    """
    now = now or timezone.now()
    with transaction.atomic():
        future = Meal.objects.filter(series=series, starts_at__gte=now, status=Meal.Status.SCHEDULED)
        meals = sorted(
            (
                meal
                for meal in lock_meals(future.values_list("pk", flat=True))
                if meal.starts_at >= now and meal.status == Meal.Status.SCHEDULED  # as seen under the lock
            ),
            key=lambda meal: (meal.starts_at, meal.pk),
        )
        if (first := claim(key, "series_update", None)) is not None:
            return first
        if like is not None:
            hour = timezone.localtime(like.starts_at).time()
            meals = [meal for meal in meals if timezone.localtime(meal.starts_at).time() == hour]
        for meal in meals:
            _apply(meal, values=values, times=times)
            _promote(meal, now=now)
        if "capacity" in values:
            MealSeries.objects.filter(pk=series.pk).update(capacity=values["capacity"])
        if times is not None:
            MealSeries.objects.filter(pk=series.pk).update(meal_time=times.meal_time)
        keep(key, "series_update", len(meals))
    return len(meals)


@dataclass
class Cancellation:
    meal: Meal
    emailed: list[str] = field(default_factory=list)
    # (name, phone) of people without email, for the coordinator to call.
    to_phone: list[tuple[str, str]] = field(default_factory=list)


def meal_cancel(*, meal: Meal, by, reason: str, now: datetime | None = None) -> Cancellation:
    """Cancel a meal, its live bookings and its shift signups; email those who gave an email.

    Returns who was emailed and who must be phoned.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Lock the meal and its shifts first, as every booking and claim does: nobody books in between.
        locked = lock_meal(meal, shifts=True)
        if locked.is_cancelled:
            raise MealAlreadyCancelled(_("Ce repas est déjà annulé."))
        bookings = list(
            Booking.objects.filter(meal=locked)
            .exclude(status=Booking.Status.CANCELLED)
            .select_related("member")
            .order_by("created_at", "pk")
        )
        signups = list(ShiftSignup.objects.filter(shift__meal=locked).select_related("member", "shift"))
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(
            status=Booking.Status.CANCELLED, cancelled_at=now
        )
        ShiftSignup.objects.filter(pk__in=[s.pk for s in signups]).delete()
        Shift.objects.filter(meal=locked).update(taken=0)
        Meal.objects.filter(pk=locked.pk).update(
            status=Meal.Status.CANCELLED, cancelled_at=now, cancel_reason=reason[:300], seats_taken=0, extra_seats=0
        )
        bump("meals", "board")  # update() sends no signal (meals/cache.py)
        locked.refresh_from_db()

        result = Cancellation(meal=locked)
        _queue_cancellation_messages(result, bookings=bookings, signups=signups)
    return result


def _queue_cancellation_messages(result: Cancellation, *, bookings: list, signups: list) -> None:
    """One message per person (by email, else by SMS), in the cancelling transaction (meals/outbox.py)."""
    from meals import outbox
    from meals.emails import queue_booking_message
    from meals.models import Message

    emailed: set[str] = set()
    texted: set[str] = set()
    for booking in bookings:
        email = booking.email or (booking.member.email if booking.member else "")
        phone = booking.phone or (booking.member.phone if booking.member else "")
        name = booking.name or (booking.member.name if booking.member else "")
        if email:
            if email.lower() not in emailed:
                emailed.add(email.lower())
                outbox.enqueue(
                    channel=Message.Channel.EMAIL,
                    kind="meal_cancelled",
                    to=email,
                    language=booking.language,
                    member=booking.member,
                    booking=booking,
                    context={"meal": result.meal.pk},
                )
                result.emailed.append(email)
            continue
        result.to_phone.append((name, phone))
        if booking.phone and booking.phone not in texted:
            texted.add(booking.phone)
            queue_booking_message(booking, "meal_cancelled")
    for signup in signups:
        member = signup.member
        if member.email:
            if member.email.lower() not in emailed:
                emailed.add(member.email.lower())
                outbox.enqueue(
                    channel=Message.Channel.EMAIL,
                    kind="meal_cancelled",
                    to=member.email,
                    language=member.language,
                    member=member,
                    booking=signup.booking,
                    context={"meal": result.meal.pk},
                )
                result.emailed.append(member.email)
        else:
            result.to_phone.append((member.name, member.phone))


# Partner seat blocks --------------------------------------------------------


class SeatBlockError(PlanningError):
    pass


def seat_block_set(
    *, meal: Meal, partner, seats: int, release_at: datetime, now: datetime | None = None, key: str = ""
) -> SeatBlock:
    """Hold ``seats`` of ``meal`` for ``partner`` until ``release_at`` (replaces its block).

    Seats the block gives back (fewer seats, or ``release_at`` now) go to the waiting list at once.
    """
    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_meal(meal, shifts=True)
        if (first := claim(key, "seat_block", SeatBlock)) is not None:
            return first
        others = (
            SeatBlock.objects.filter(meal=locked).exclude(partner=partner).aggregate(total=Sum("seats"))["total"] or 0
        )
        if seats < 1:
            raise SeatBlockError(_("Indiquez au moins une place."))
        if release_at > locked.starts_at:
            raise SeatBlockError(_("Les places doivent être libérées avant le début du repas."))
        if seats + others > locked.capacity:
            raise SeatBlockError(
                _("Trop de places : le repas en a %(capacity)s, dont %(others)s déjà réservées à d'autres partenaires.")
                % {"capacity": locked.capacity, "others": others}
            )
        block, _created = SeatBlock.objects.update_or_create(
            meal=locked, partner=partner, defaults={"seats": seats, "release_at": release_at}
        )
        _promote(locked, now=now)
        keep(key, "seat_block", block)
    return block
