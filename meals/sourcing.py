"""What is on the plate: the cost price of a meal and the shares of organic, local, bulk and saved food.

Definitions (the same on the meal's page, on the purchases' pages, in the
sourcing report and in its CSV file):

- a purchase line's *value* is what was paid for it (``amount``) plus, for a
  gift in kind, its valuation; its *cost* is what was paid only. Gifts in kind
  are counted apart (``gifts``): they are in the shares, not in the cost price;
- a line is *local* when it is labelled so, or when its supplier is within the
  cantine's radius (``CantineSettings.local_radius_km``, 150 km by default);
- a meal gets a share (in %) of each purchase linked to it (``MealSupply``):
  that share of each line's cost, value and weight;
- the *covers* of a meal are those of the reports (meals/reports.py): the
  people of its checked-in bookings, walk-ins included, once the meal is over;
  before that, its capacity (the cantine buys for a full room);
- *food cost per cover* = the meal's food cost ÷ its covers;
- *overheads per cover* = the month's budget (rent, salaries, energy, other:
  the cantine's settings) ÷ the covers of the month's meals (each counted as
  above: served covers of the meals that are over, capacity of the others);
- the *cost price shown to guests* = food cost + overheads per cover, unless
  the coordinator fixed the meal's price by hand (with a note), or no purchase
  is linked to the meal: then it is the meal's typed ``cost_price``, and its
  shares are the typed ``organic_share`` and ``local_share`` (the figures
  meals had before purchases were recorded);
- the shares are by value and by weight: the part of the value (or of the
  kilograms) that is organic, local, bulk or saved from waste; the *goal* is
  half of the value organic, local, bulk or saved (any of them);
- a month's shares count the purchases dated in that month.

Every figure is one aggregate (or one grouped) query: the number of queries is
the same for a month of purchases and for a year.
"""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Case, DecimalField, F, IntegerField, Min, Q, Sum, Value, When
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from meals.models import Booking, Meal, MealSupply, PurchaseLine, Supplier
from meals.reports import CHECKED_IN, Period, _booking_sum, held_meals
from members.models import cantine_settings

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
MONEY = DecimalField(max_digits=16, decimal_places=4)
GOAL = Decimal("50")
LABELS = ("organic", "local", "bulk", "saved")


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


def _kg(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _percent(part, whole, places: str = "0.1") -> Decimal | None:
    if not whole:
        return None
    return (Decimal(str(part or 0)) * 100 / Decimal(str(whole))).quantize(Decimal(places), ROUND_HALF_UP)


def _per(total: Decimal, count: int) -> Decimal | None:
    return (total / count).quantize(CENT, ROUND_HALF_UP) if count else None


def _local_q(prefix: str, radius: int) -> Q:
    # Both MealSupply and PurchaseLine reach the supplier by ``purchase__supplier``.
    return Q(**{f"{prefix}local": True}) | Q(purchase__supplier__distance_km__lte=radius)


def _sums(prefix: str, factor, radius: int) -> dict:
    """The aggregates of lines (``prefix`` leads from the queried model to the line), times ``factor``."""
    cost = F(f"{prefix}amount") * factor
    value = (F(f"{prefix}amount") + F(f"{prefix}valuation")) * factor
    weight = F(f"{prefix}weight_kg") * factor
    conditions = {
        "organic": Q(**{f"{prefix}organic": True}),
        "local": _local_q(prefix, radius),
        "bulk": Q(**{f"{prefix}bulk": True}),
        "saved": Q(**{f"{prefix}saved": True}),
    }
    conditions["goal"] = conditions["organic"] | conditions["local"] | conditions["bulk"] | conditions["saved"]
    sums = {
        "cost": Sum(cost, output_field=MONEY),
        "value": Sum(value, output_field=MONEY),
        "gifts": Sum(F(f"{prefix}valuation") * factor, output_field=MONEY),
        "weight": Sum(weight, output_field=MONEY),
    }
    for label, condition in conditions.items():
        sums[f"{label}_value"] = Sum(value, filter=condition, output_field=MONEY)
        sums[f"{label}_weight"] = Sum(weight, filter=condition, output_field=MONEY)
    return sums


@dataclass
class Shares:
    """Cost, value, weight and the shares (in %) of a set of purchase lines."""

    cost: Decimal = ZERO
    value: Decimal = ZERO
    gifts: Decimal = ZERO
    weight_kg: Decimal = Decimal("0.0")
    by_value: dict = field(default_factory=dict)  # label -> % or None
    by_weight: dict = field(default_factory=dict)
    saved_kg: Decimal = Decimal("0.0")

    @classmethod
    def from_row(cls, row: dict) -> "Shares":
        shares = cls(
            cost=_money(row.get("cost")),
            value=_money(row.get("value")),
            gifts=_money(row.get("gifts")),
            weight_kg=_kg(row.get("weight")),
            saved_kg=_kg(row.get("saved_weight")),
        )
        for label in (*LABELS, "goal"):
            shares.by_value[label] = _percent(row.get(f"{label}_value"), row.get("value"))
            shares.by_weight[label] = _percent(row.get(f"{label}_weight"), row.get("weight"))
        return shares

    @property
    def any(self) -> bool:
        return bool(self.value or self.weight_kg)


@dataclass
class MealCost:
    """What the meal's page shows: the cost price and where it comes from, and the shares."""

    cost_price: Decimal
    computed: bool  # from purchases (else the typed figure)
    overridden: bool
    note: str
    food_per_cover: Decimal | None
    overheads_per_cover: Decimal | None
    covers: int
    shares: Shares
    organic_share: int  # what the page says: computed by value, or the typed figure
    local_share: int
    saved_kg: Decimal
    changes_at: datetime | None = None  # a meal of the month ends: its covers, hence the overheads, change


def meal_covers(meal: Meal, *, now: datetime) -> int:
    """The covers a meal's food is shared by (see the module's docstring)."""
    if meal.ends_at >= now:
        return meal.capacity
    return Booking.objects.filter(CHECKED_IN, meal=meal).aggregate(total=Coalesce(Sum("party_size"), 0))["total"]


def month_covers(day: date, *, now: datetime) -> tuple[int, datetime | None]:
    """The covers of the month's meals (served covers of those that are over, capacity of the others),
    and the next instant one of them ends: the figure changes then, with no write."""
    period = Period(day.year, day.month)
    served = _booking_sum(CHECKED_IN)
    row = held_meals(period).aggregate(
        total=Coalesce(
            Sum(Case(When(ends_at__lt=now, then=served), default=F("capacity"), output_field=IntegerField())), 0
        ),
        next_end=Min("ends_at", filter=Q(ends_at__gte=now)),
    )
    return row["total"], row["next_end"]


def overheads_per_cover(day: date, *, now: datetime, settings=None) -> Decimal | None:
    return _overheads(day, now=now, settings=settings)[0]


def _overheads(day: date, *, now: datetime, settings=None) -> tuple[Decimal | None, datetime | None]:
    settings = settings or cantine_settings()
    budget = settings.monthly_overheads
    if not budget:
        return ZERO, None
    covers, changes_at = month_covers(day, now=now)
    return _per(budget, covers), changes_at


def meal_shares(meal: Meal, *, radius: int) -> Shares:
    """The shares of the purchases linked to one meal (one query)."""
    # × 0.01, not ÷ 100: SQLite keeps a whole-number share as an integer, and 50 / 100 is 0 there.
    factor = F("share") * Value(Decimal("0.01"), output_field=MONEY)
    row = MealSupply.objects.filter(meal=meal).aggregate(**_sums("purchase__lines__", factor, radius))
    return Shares.from_row(row)


def meal_cost(meal: Meal, *, now: datetime | None = None) -> MealCost:
    """The cost price shown to guests and the shares of one meal (three or four small queries)."""
    now = now or timezone.now()
    settings = cantine_settings()
    shares = meal_shares(meal, radius=settings.local_radius_km)
    covers = meal_covers(meal, now=now) if shares.any else 0
    food = _per(shares.cost, covers)
    overheads, changes_at = _overheads(timezone.localtime(meal.starts_at).date(), now=now, settings=settings)
    computed = shares.any and food is not None and overheads is not None and not meal.cost_price_overridden
    cost_price = (food + overheads) if computed else meal.cost_price
    organic = shares.by_value["organic"] if shares.any else None
    local = shares.by_value["local"] if shares.any else None
    whole = Decimal("1")
    return MealCost(
        cost_price=cost_price,
        computed=computed,
        overridden=meal.cost_price_overridden,
        note=meal.cost_price_note,
        food_per_cover=food,
        overheads_per_cover=overheads,
        covers=covers,
        shares=shares,
        organic_share=int(organic.quantize(whole, ROUND_HALF_UP)) if organic is not None else meal.organic_share,
        local_share=int(local.quantize(whole, ROUND_HALF_UP)) if local is not None else meal.local_share,
        saved_kg=shares.saved_kg,
        changes_at=changes_at,
    )


# --- The sourcing report: month by month -----------------------------------------


def year_lines(year: int):
    period = Period(year)
    return PurchaseLine.objects.filter(purchase__date__gte=period.first_day, purchase__date__lt=period.next_first_day)


def report(year: int) -> dict:
    """The year's sourcing, month by month, for funders (four queries whatever the number of purchases)."""
    settings = cantine_settings()
    radius = settings.local_radius_km
    one = Value(Decimal("1"), output_field=MONEY)
    lines = year_lines(year)
    by_month = {
        row["month"]: row
        for row in lines.annotate(month=TruncMonth("purchase__date"))
        .order_by()
        .values("month")
        .annotate(**_sums("", one, radius))
    }
    kinds = dict(Supplier.Kind.choices)
    spend_rows = (
        lines.order_by()
        .values("purchase__supplier__kind")
        .annotate(cost=Sum("amount", output_field=MONEY), value=Sum(F("amount") + F("valuation"), output_field=MONEY))
    )
    spend = {row["purchase__supplier__kind"]: row for row in spend_rows}
    local_producers = lines.filter(
        purchase__supplier__kind=Supplier.Kind.PRODUCER, purchase__supplier__distance_km__lte=radius
    ).aggregate(value=Sum(F("amount") + F("valuation"), output_field=MONEY))["value"]
    total = Shares.from_row(lines.aggregate(**_sums("", one, radius)))
    months = []
    for month in range(1, 13):
        key = next((m for m in by_month if _month_number(m) == month), None)
        shares = Shares.from_row(by_month[key]) if key is not None else Shares.from_row({})
        months.append({"period": Period(year, month), "shares": shares})
    return {
        "year": year,
        "radius": radius,
        "goal": GOAL,
        "months": months,
        "total": total,
        "by_kind": [
            {
                "kind": kind,
                "label": label,
                "cost": _money(spend.get(kind, {}).get("cost")),
                "value": _money(spend.get(kind, {}).get("value")),
                "share": _percent(spend.get(kind, {}).get("value"), total.value),
            }
            for kind, label in kinds.items()
        ],
        "local_producers_share": _percent(local_producers, total.value),
    }


def _month_number(value) -> int:
    """TruncMonth gives a date on PostgreSQL and SQLite alike (a datetime for a DateTimeField)."""
    return value.month
