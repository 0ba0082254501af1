"""The figures the cantine tells its board and funders, for a month or a year.

Every figure is one aggregate query (or one grouped query) in the database, so
the number of queries is the same for a month of 3 meals and a year of 250.
The period is a meal's date: a meal belongs to the month it starts in.

Definitions (the same on the page, in the lists behind it and in the CSV files):

- a meal is *held* when it is scheduled (not cancelled) and starts in the period;
  it is *served* once it is over (``ends_at`` before ``now``), *planned* until then.
  Every figure counts served meals only, so the current month says what has
  happened; the planned meals and their bookings are counted apart, as planned;
- *covers served*: the party sizes (people) of checked-in bookings (walk-ins included);
- *bookings*: confirmed bookings that are not walk-ins (a booking, whatever its party size);
- *no-shows*: those bookings never checked in;
- *unique guests*: distinct members among checked-in bookings (anonymous
  walk-ins count in covers, not in people); *first-time* guests came for the
  first time ever in the period; *returning* guests came at least twice, ever,
  up to the end of the period;
- contributions: voided ones never count in totals; they are listed apart;
- shifts: a sign-up counts once its shift is over (its own ``ends_at``, so the
  morning's cooking counts before lunch ends) **and a coordinator marked the
  person as come** (issue 18: attendance, not sign-ups); the sign-ups of shifts
  over but not marked yet are counted apart, *to mark* (« à pointer »), never as
  worked, and no-shows not at all. *Helpers* are everyone with such
  a sign-up; *volunteers* are those with at least one sign-up of their own (not
  made by offering a hand with a booking); the others are *guests who
  lent a hand*. Hours count every helper.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Avg,
    Count,
    DecimalField,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from cantine.bounds import FIRST_YEAR, LAST_YEAR, ascii_int
from meals.models import Booking, Contribution, Meal, Shift, ShiftSignup
from members.models import Member, PaymentMethod

ZERO = Decimal("0.00")
MONEY = DecimalField(max_digits=14, decimal_places=2)
MIN_YEAR, MAX_YEAR = FIRST_YEAR, LAST_YEAR


# --- The period ------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A calendar month (``month`` set) or a calendar year, in the cantine's time zone."""

    year: int
    month: int | None = None

    @property
    def kind(self) -> str:
        return "month" if self.month else "year"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def next_first_day(self) -> date:
        if self.month is None:
            return date(self.year + 1, 1, 1)
        return date(self.year + (self.month == 12), self.month % 12 + 1, 1)

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first_day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def end(self) -> datetime:
        """Exclusive end."""
        return datetime.combine(self.next_first_day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def label(self) -> str:
        if self.month is None:
            return str(self.year)
        return formats.date_format(self.first_day, "F Y")

    @property
    def previous(self) -> "Period | None":
        if self.month is None:
            return Period(self.year - 1) if self.year > MIN_YEAR else None
        if self.month == 1:
            return Period(self.year - 1, 12) if self.year > MIN_YEAR else None
        return Period(self.year, self.month - 1)

    @property
    def next(self) -> "Period | None":
        if self.month is None:
            return Period(self.year + 1) if self.year < MAX_YEAR else None
        if self.month == 12:
            return Period(self.year + 1, 1) if self.year < MAX_YEAR else None
        return Period(self.year, self.month + 1)

    @property
    def year_period(self) -> "Period":
        return Period(self.year)

    @property
    def query(self) -> dict[str, str]:
        """The GET parameters that select this period."""
        if self.month is None:
            return {"year": str(self.year)}
        return {"month": f"{self.year:04d}-{self.month:02d}"}

    @property
    def slug(self) -> str:
        return self.query.get("month") or self.query["year"]


class BadPeriod(ValueError):
    """A month or year the reports cannot show; the message is for the coordinator."""


def period_from_query(query, *, today: date | None = None) -> Period:
    """``?month=2026-11`` or ``?year=2026``; the current month when neither is given."""
    today = today or timezone.localdate()
    month = (query.get("month") or "").strip()
    year = (query.get("year") or "").strip()
    # ASCII digits only: « ²⁰²⁶ » passes str.isdigit() but not int(), « ٢٠٢٦ » passes int().
    if month:
        y, _dash, m = month.partition("-")
        y, m = ascii_int(y, low=MIN_YEAR, high=MAX_YEAR), ascii_int(m, low=1, high=12)
        if y is None or m is None:
            raise BadPeriod(_("Ce mois n'est pas valide : écrivez-le comme 2026-11."))
        return Period(y, m)
    if year:
        y = ascii_int(year, low=MIN_YEAR, high=MAX_YEAR)
        if y is None:
            raise BadPeriod(_("Cette année n'est pas valide : écrivez-la comme 2026."))
        return Period(y)
    return Period(today.year, today.month)


# --- Querysets shared by the figures, the lists and the CSV files ----------


def held_meals(period: Period) -> QuerySet:
    return Meal.objects.scheduled().filter(starts_at__gte=period.start, starts_at__lt=period.end)


def _held(prefix: str, period: Period) -> Q:
    """The same as ``held_meals`` seen from a row that points to the meal."""
    return Q(
        **{
            f"{prefix}status": Meal.Status.SCHEDULED,
            f"{prefix}starts_at__gte": period.start,
            f"{prefix}starts_at__lt": period.end,
        }
    )


def _over(prefix: str, now: datetime) -> Q:
    """The meal (or shift) has ended: it has happened."""
    return Q(**{f"{prefix}ends_at__lt": now})


def served_meals(period: Period, *, now: datetime) -> QuerySet:
    return held_meals(period).filter(_over("", now))


def planned_meals(period: Period, *, now: datetime) -> QuerySet:
    return held_meals(period).exclude(_over("", now))


def _served(prefix: str, period: Period, now: datetime) -> Q:
    """The same as ``served_meals`` seen from a row that points to the meal."""
    return _held(prefix, period) & _over(prefix, now)


CHECKED_IN = Q(checked_in_at__isnull=False)
BOOKED = Q(status=Booking.Status.CONFIRMED, is_walk_in=False)
NO_SHOW = BOOKED & Q(checked_in_at__isnull=True)  # only ever asked of served meals
# A sign-up of one's own: not the help a guest offered with a booking.
VOLUNTEERED = Q(booking__isnull=True)


def period_contributions(period: Period, *, now: datetime | None = None) -> QuerySet:
    return Contribution.objects.filter(_served("meal__", period, now or timezone.now()))


def period_signups(period: Period, *, now: datetime | None = None) -> QuerySet:
    """Sign-ups for shifts of the period's meals that are over, whose person came (marked by a coordinator)."""
    return period_shifts_over(period, now=now).filter(attended=ShiftSignup.Attendance.CAME)


def period_shifts_over(period: Period, *, now: datetime | None = None) -> QuerySet:
    """Every sign-up for shifts of the period's meals that are over, whatever its attendance."""
    return ShiftSignup.objects.filter(_held("shift__meal__", period), _over("shift__", now or timezone.now()))


class HoursBetween(Func):
    """Hours from the first datetime to the second, computed by the database.

    On SQLite, Django subtracts datetimes with a Python function called once per
    row; julianday() is native and keeps a year of signups fast.
    """

    arity = 2
    output_field = FloatField()

    def as_sql(self, compiler, connection, **extra_context):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        sql = f"(EXTRACT(EPOCH FROM ({end[0]} - {start[0]})) / 3600.0)"
        return sql, (*end[1], *start[1])

    def as_sqlite(self, compiler, connection, **extra_context):
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        return f"((julianday({end[0]}) - julianday({start[0]})) * 24.0)", (*end[1], *start[1])


SHIFT_HOURS = HoursBetween("shift__starts_at", "shift__ends_at")


def _booking_sum(condition: Q, field: str = "party_size"):
    """Per meal: the sum of ``field`` over its bookings that meet ``condition`` (a subquery)."""
    rows = (
        Booking.objects.filter(condition, meal=OuterRef("pk"))
        .order_by()
        .values("meal")
        .annotate(total=Sum(field))
        .values("total")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _booking_count(condition: Q):
    rows = (
        Booking.objects.filter(condition, meal=OuterRef("pk"))
        .order_by()
        .values("meal")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def meals_with_figures(period: Period, *, now: datetime | None = None) -> QuerySet:
    """Served meals, each with its covers, bookings, no-shows and contributions (one query)."""
    now = now or timezone.now()
    live = Contribution.objects.filter(meal=OuterRef("pk"), voided_at__isnull=True).order_by().values("meal")
    only = ("title", "starts_at", "ends_at", "capacity", "cost_price", "organic_share", "local_share")
    return (
        served_meals(period, now=now)
        .only(*only)
        .annotate(
            covers=_booking_sum(CHECKED_IN),
            walk_in_covers=_booking_sum(CHECKED_IN & Q(is_walk_in=True)),
            bookings_count=_booking_count(BOOKED),
            no_shows=_booking_count(NO_SHOW),
            contributions_total=Coalesce(
                Subquery(live.annotate(t=Sum("amount")).values("t"), output_field=MONEY),
                Value(ZERO),
                output_field=MONEY,
            ),
            contributions_count=Coalesce(
                Subquery(live.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0
            ),
        )
    )


def planned_with_figures(period: Period, *, now: datetime | None = None) -> QuerySet:
    """Planned meals of the period, each with its bookings and the people they are for (one query)."""
    now = now or timezone.now()
    return (
        planned_meals(period, now=now)
        .only("title", "starts_at", "ends_at", "capacity")
        .annotate(bookings_count=_booking_count(BOOKED), booked_people=_booking_sum(BOOKED))
    )


def _bucket(period: Period, prefix: str = ""):
    """What the chart rows group by: each meal over a month, each month over a year."""
    if period.month:
        return F(f"{prefix}id")
    return TruncMonth(f"{prefix}starts_at", tzinfo=ZoneInfo(settings.TIME_ZONE))


def _per(total, count) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# Money that pays for meals (the guests' and the partners'), as opposed to gifts and membership fees.
MEAL_MONEY = Q(kind__in=["meal", "partner"])


def chart_rows(period: Period, *, now: datetime | None = None) -> list[dict]:
    """One row per meal (a month) or per month (a year): three grouped queries, whatever the size.

    Meals, bookings and contributions are grouped separately (joining them would
    multiply one by the other), then put side by side by their key.
    """
    now = now or timezone.now()
    meals = (
        served_meals(period, now=now)
        .annotate(bucket=_bucket(period))
        .order_by()
        .values("bucket")
        .annotate(meals=Count("pk"), first=Min("starts_at"), cost_price=Avg("cost_price", output_field=MONEY))
        .order_by("first")
    )
    bookings = {
        row["bucket"]: row
        for row in Booking.objects.filter(_served("meal__", period, now))
        .annotate(bucket=_bucket(period, "meal__"))
        .order_by()
        .values("bucket")
        .annotate(
            covers=Coalesce(Sum("party_size", filter=CHECKED_IN), 0),
            walk_in_covers=Coalesce(Sum("party_size", filter=CHECKED_IN & Q(is_walk_in=True)), 0),
            bookings=Count("pk", filter=BOOKED),
            no_shows=Count("pk", filter=NO_SHOW),
            cost=Sum(F("party_size") * F("meal__cost_price"), filter=CHECKED_IN, output_field=MONEY),
        )
    }
    contributions = {
        row["bucket"]: row
        for row in Contribution.objects.filter(_served("meal__", period, now), voided_at__isnull=True)
        .annotate(bucket=_bucket(period, "meal__"))
        .order_by()
        .values("bucket")
        .annotate(
            total=Sum("amount"),
            count=Count("pk"),
            meal_total=Sum("amount", filter=MEAL_MONEY),
            donations=Sum("amount", filter=Q(kind=Contribution.Kind.DONATION)),
            memberships=Sum("amount", filter=Q(kind=Contribution.Kind.MEMBERSHIP)),
        )
    }
    rows = []
    for meal in meals:  # at most 31 meals or 12 months, each already summed by the database
        booked = bookings.get(meal["bucket"], {})
        given = contributions.get(meal["bucket"], {})
        first = timezone.localtime(meal["first"])
        covers = booked.get("covers", 0)
        rows.append(
            {
                "label": str(first.day) if period.month else formats.date_format(first, "M"),
                "title": formats.date_format(first, "l j F" if period.month else "F Y"),
                "meals": meal["meals"],
                "covers": covers,
                "walk_in_covers": booked.get("walk_in_covers", 0),
                "bookings": booked.get("bookings", 0),
                "no_shows": booked.get("no_shows", 0),
                "contributions": given.get("total") or ZERO,
                "contribution_count": given.get("count", 0),
                # What pays the meals (guests' and partners' payments) is held against the cost price;
                # gifts and membership fees are shown apart.
                "meal_contributions": given.get("meal_total") or ZERO,
                "donations": given.get("donations") or ZERO,
                "memberships": given.get("memberships") or ZERO,
                "cost": booked.get("cost") or ZERO,
                "per_cover": _per(given.get("meal_total"), covers),
                # A month's cost price per cover is weighted by covers (a plain average if nobody came).
                "cost_price": _per(booked.get("cost"), covers) or _per(meal["cost_price"], 1),
            }
        )
    return rows


def guests_with_visits(period: Period, *, now: datetime | None = None) -> QuerySet:
    """Members who came to a served meal of the period, with their first visit and their visits up to its end."""
    now = now or timezone.now()
    came = Q(
        bookings__checked_in_at__isnull=False,
        bookings__meal__status=Meal.Status.SCHEDULED,
        bookings__meal__ends_at__lt=now,
    )
    return (
        Member.objects.annotate(
            visits_in_period=Count("bookings", filter=came & _held("bookings__meal__", period)),
            visits_to_date=Count("bookings", filter=came & Q(bookings__meal__starts_at__lt=period.end)),
            first_visit=Min("bookings__meal__starts_at", filter=came),
        )
        .filter(visits_in_period__gte=1)
        .select_related("partner")
    )


def brought_by(partner_id: int, period: Period, *, now: datetime | None = None) -> Exists:
    """The member came in the period through this partner (the booking's partner, else the member's)."""
    return Exists(
        Booking.objects.filter(_served("meal__", period, now or timezone.now()), CHECKED_IN, member=OuterRef("pk"))
        .annotate(via_partner=Coalesce("partner", "member__partner"))
        .filter(via_partner=partner_id)
    )


def came_to_eat_before() -> Exists:
    """The sign-up's helper had been checked in at an earlier meal: a guest who became a helper."""
    return Exists(
        Booking.objects.filter(
            member=OuterRef("member"),
            checked_in_at__isnull=False,
            meal__status=Meal.Status.SCHEDULED,
            meal__starts_at__lt=OuterRef("shift__meal__starts_at"),
        )
    )


VOLUNTEER_SHOWS = ("volunteers", "helping", "guests")


def volunteer_hours(period: Period, *, now: datetime | None = None, show: str = "") -> QuerySet:
    """One row per helper (a sign-up for a shift that is over): sign-ups and hours.

    ``show``: ``volunteers`` (at least one sign-up of their own), ``helping``
    (guests who lent a hand: every sign-up came with a booking), ``guests``
    (volunteers who had come to eat at an earlier meal; only those sign-ups count).
    """
    signups = period_signups(period, now=now)
    if show == "guests":
        signups = signups.filter(VOLUNTEERED).filter(came_to_eat_before())
    rows = (
        signups.order_by()
        .values("member", "member__name", "member__erased_at")
        .annotate(signups=Count("pk"), hours=Sum(SHIFT_HOURS), own_signups=Count("pk", filter=VOLUNTEERED))
    )
    if show == "volunteers":
        rows = rows.filter(own_signups__gte=1)
    elif show == "helping":
        rows = rows.filter(own_signups=0)
    return rows.order_by("member__name", "member")


# --- The figures -------------------------------------------------------------


def _ratio(part, whole, places: str = "0.01") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def _percent(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def hours(value, places: str = "0.1") -> Decimal:
    """Hours summed by the database (a float), rounded for people."""
    return Decimal(repr(float(value or 0))).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def compute(period: Period, *, now: datetime | None = None) -> dict:
    """All the figures of the period, in a fixed number of queries."""
    now = now or timezone.now()

    rows = chart_rows(period, now=now)

    bookings = Booking.objects.filter(_served("meal__", period, now)).aggregate(
        covers=Coalesce(Sum("party_size", filter=CHECKED_IN), 0),
        walk_in_covers=Coalesce(Sum("party_size", filter=CHECKED_IN & Q(is_walk_in=True)), 0),
        bookings=Count("pk", filter=BOOKED),
        no_shows=Count("pk", filter=NO_SHOW),
        cost_of_covers=Coalesce(
            Sum(F("party_size") * F("meal__cost_price"), filter=CHECKED_IN, output_field=MONEY),
            Value(ZERO),
            output_field=MONEY,
        ),
        organic_weighted=Coalesce(Sum(F("party_size") * F("meal__organic_share"), filter=CHECKED_IN), 0),
        local_weighted=Coalesce(Sum(F("party_size") * F("meal__local_share"), filter=CHECKED_IN), 0),
    )
    meal_count = sum(row["meals"] for row in rows)  # at most 31 or 12 rows, already summed by the database
    covers = bookings["covers"]

    planned_booked = Q(bookings__status=Booking.Status.CONFIRMED, bookings__is_walk_in=False)
    planned = planned_meals(period, now=now).aggregate(
        meals=Count("pk", distinct=True),
        booking_count=Count("bookings", filter=planned_booked),
        people=Coalesce(Sum("bookings__party_size", filter=planned_booked), 0),
    )

    guests = guests_with_visits(period, now=now).aggregate(
        unique=Count("pk"),
        first_time=Count("pk", filter=Q(first_visit__gte=period.start)),
        returning=Count("pk", filter=Q(visits_to_date__gte=2)),
    )

    partner_rows = list(
        Booking.objects.filter(_served("meal__", period, now))
        .annotate(
            via_partner=Coalesce("partner", "member__partner"),
            via_partner_name=Coalesce("partner__name", "member__partner__name"),
        )
        .filter(via_partner__isnull=False)
        .order_by()
        .values("via_partner", "via_partner_name")
        .annotate(
            bookings=Count("pk", filter=BOOKED),
            covers=Coalesce(Sum("party_size", filter=CHECKED_IN), 0),
            people=Count("member", distinct=True, filter=CHECKED_IN),
        )
        .order_by("via_partner_name")
    )

    signups = period_signups(period, now=now)
    # One aggregate over every sign-up of the shifts over: the ones who came, and apart the ones to mark.
    came, unmarked = Q(attended=ShiftSignup.Attendance.CAME), Q(attended=ShiftSignup.Attendance.UNKNOWN)
    volunteer_totals = period_shifts_over(period, now=now).aggregate(
        signups=Count("pk", filter=came),
        helpers=Count("member", distinct=True, filter=came),
        volunteers=Count("member", distinct=True, filter=came & VOLUNTEERED),
        to_mark=Count("pk", filter=unmarked),
        hours_to_mark=Sum(SHIFT_HOURS, filter=unmarked),
    )
    # In WHERE, the database runs EXISTS as one semi-join; inside an aggregate's
    # FILTER it would run it once per signup (half a second for a year on PostgreSQL).
    volunteer_totals |= (
        signups.filter(VOLUNTEERED)
        .filter(came_to_eat_before())
        .aggregate(guests_who_helped=Count("member", distinct=True))
    )
    by_role_signups = {
        row["shift__role"]: row
        for row in signups.order_by().values("shift__role").annotate(signups=Count("pk"), hours=Sum(SHIFT_HOURS))
    }
    by_role_slots = {
        row["role"]: row["slots"]
        for row in Shift.objects.filter(_held("meal__", period), _over("", now))
        .order_by()
        .values("role")
        .annotate(slots=Sum("slots"))
    }
    roles = []
    for role, label in Shift.Role.choices:  # four fixed roles, not rows
        if role not in by_role_signups and role not in by_role_slots:
            continue
        row = by_role_signups.get(role, {})
        roles.append(
            {
                "role": role,
                "label": label,
                "slots": by_role_slots.get(role, 0),
                "signups": row.get("signups", 0),
                "hours": hours(row.get("hours")),
            }
        )

    contributions = period_contributions(period, now=now)
    money = contributions.aggregate(
        total=Coalesce(Sum("amount", filter=Q(voided_at__isnull=True)), Value(ZERO), output_field=MONEY),
        count=Count("pk", filter=Q(voided_at__isnull=True)),
        voided_total=Coalesce(Sum("amount", filter=Q(voided_at__isnull=False)), Value(ZERO), output_field=MONEY),
        voided_count=Count("pk", filter=Q(voided_at__isnull=False)),
        meal_total=Coalesce(
            Sum("amount", filter=Q(voided_at__isnull=True) & MEAL_MONEY), Value(ZERO), output_field=MONEY
        ),
        donations=Coalesce(
            Sum("amount", filter=Q(voided_at__isnull=True, kind=Contribution.Kind.DONATION)),
            Value(ZERO),
            output_field=MONEY,
        ),
        memberships=Coalesce(
            Sum("amount", filter=Q(voided_at__isnull=True, kind=Contribution.Kind.MEMBERSHIP)),
            Value(ZERO),
            output_field=MONEY,
        ),
    )
    method_labels = dict(PaymentMethod.choices)
    by_method = [
        {**row, "label": method_labels.get(row["method"], row["method"])}
        for row in contributions.filter(voided_at__isnull=True)
        .order_by()
        .values("method")
        .annotate(total=Sum("amount"), count=Count("pk"))
        .order_by("-total", "method")
    ]
    voided = list(
        contributions.filter(voided_at__isnull=False)
        .select_related("meal", "recorded_by", "voided_by")
        .order_by("-voided_at", "-pk")[:VOIDED_SHOWN]
    )

    cost = bookings["cost_of_covers"]
    return {
        "period": period,
        "now": now,
        # The period is not over: its figures so far, and what is planned.
        "in_progress": now < period.end,
        "rows": rows,
        "meal_count": meal_count,
        "covers": covers,
        "walk_in_covers": bookings["walk_in_covers"],
        "covers_per_meal": _ratio(covers, meal_count, "0.1"),
        "bookings": bookings["bookings"],
        "past_bookings": bookings["bookings"],  # every counted booking is for a served meal
        "no_shows": bookings["no_shows"],
        "no_show_rate": _percent(bookings["no_shows"], bookings["bookings"]),
        "planned_meals": planned["meals"],
        "planned_bookings": planned["booking_count"],
        "planned_people": planned["people"],
        "unique_guests": guests["unique"],
        "first_time_guests": guests["first_time"],
        "returning_guests": guests["returning"],
        "partners": partner_rows,
        "shift_signups": volunteer_totals["signups"],
        "shift_slots": sum(r["slots"] for r in roles),
        "helpers": volunteer_totals["helpers"],
        "volunteers": volunteer_totals["volunteers"],
        "helping_guests": volunteer_totals["helpers"] - volunteer_totals["volunteers"],
        # At most four roles: their sum is not a loop over rows.
        "volunteer_hours": hours(sum(row["hours"] or 0 for row in by_role_signups.values())),
        "roles": roles,
        # Over, not marked yet: shown apart, never counted as worked.
        "signups_to_mark": volunteer_totals["to_mark"],
        "hours_to_mark": hours(volunteer_totals["hours_to_mark"]),
        "guests_who_helped": volunteer_totals["guests_who_helped"],
        "contributions_total": money["total"],
        "contributions_count": money["count"],
        "voided_total": money["voided_total"],
        "voided_count": money["voided_count"],
        "voided": voided,
        "by_method": by_method,
        "meal_contributions_total": money["meal_total"],
        "donations_total": money["donations"],
        "memberships_total": money["memberships"],
        # Against the cost price: the money that pays the meals, not the gifts nor the membership fees.
        "average_per_cover": _ratio(money["meal_total"], covers),
        "cost_of_covers": cost,
        "cost_per_cover": _ratio(cost, covers),
        "coverage": _percent(money["meal_total"], cost),
        # Each meal's share weighted by the covers it served.
        "organic_share": _ratio(bookings["organic_weighted"], covers, "0.1"),
        "local_share": _ratio(bookings["local_weighted"], covers, "0.1"),
    }


VOIDED_SHOWN = 20
