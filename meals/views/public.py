"""Pages anyone may see: the next meals and one meal. Counts only, never names."""

import hashlib
from datetime import datetime, timedelta

from django.core.cache import caches
from django.db.models import Min, Prefetch
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from cantine.changes import KeyedCache
from meals.cached_pages import CSRF_PLACEHOLDER, page_key, page_parts, page_response
from meals.models import ALLERGENS, DIET_LABELS, Meal, SeatBlock, Shift
from meals.sourcing import meal_cost

ALLERGEN_LABELS = dict(ALLERGENS)
DIET_LABEL_NAMES = dict(DIET_LABELS)
HELP_ROLES = (Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES)
UPCOMING_DAYS = 14  # Meal.objects.upcoming()'s default


def _helping_shifts():
    return Prefetch(
        "shifts", queryset=Shift.objects.filter(role__in=HELP_ROLES).order_by("starts_at"), to_attr="helping_shifts"
    )


def decorate_meal(meal: Meal, *, now) -> Meal:
    """Labels and flags the templates need, computed in Python from rows already loaded."""
    meal.allergen_labels = [ALLERGEN_LABELS.get(code, code) for code in meal.allergens or []]
    meal.diet_names = [DIET_LABEL_NAMES.get(code, code) for code in meal.diet_labels or []]
    meal.hands_needed = [shift for shift in getattr(meal, "helping_shifts", []) if shift.hands_needed > 0]
    meal.open_now = meal.is_open_for_booking(now)
    meal.not_yet_open = not meal.is_cancelled and now < meal.booking_opens_at
    meal.is_past = meal.ends_at < now
    return meal


# What a meal card shows (the card's key holds all of it); the other columns are not read.
CARD_FIELDS = [
    field.attname
    for field in Meal._meta.concrete_fields
    if field.attname not in {"series_id", "cancelled_at", "cancel_reason", "created_at"}
]


def _card_key(row: dict, shifts: list[tuple], now) -> str:
    """A digest of every value a meal card shows: a write (booking, claim, edit) changes it."""
    values = (
        get_language(),
        [row[name] for name in CARD_FIELDS],
        row["held_seats"],
        shifts,
        # What decorate_meal() derives from the clock.
        row["booking_opens_at"] <= now,
        now < row["booking_closes_at"],
        row["ends_at"] < now,
        timezone.localdate(now),  # « Aujourd'hui », « Demain »
    )
    return "card:" + hashlib.blake2b(repr(values).encode(), digest_size=20).hexdigest()


def _card(row: dict, shifts: list[tuple], now) -> str:
    """Render one card from the values alone (only when it is not in the cache)."""
    meal = Meal(**{name: row[name] for name in CARD_FIELDS})
    meal.held_seats = row["held_seats"]
    meal.helping_shifts = [
        Shift(pk=pk, meal_id=meal.pk, role=role, slots=slots, taken=taken) for pk, role, slots, taken in shifts
    ]
    decorate_meal(meal, now=now)
    return str(render_to_string("meals/includes/meal_card.html", {"meal": meal}))


# Whole public pages (the next meals, one meal), keyed on the ``meals`` change counter (cantine/changes.py).
_public_pages = KeyedCache(size=256)


def upcoming(request):
    """The next two weeks. Kept whole until a meal, shift, booking or seat block changes, or the clock does.

    Rebuilt, each card is rendered once per version of its rows (two queries of plain values).
    """
    now = timezone.now()
    key = page_key(request, "meals", "upcoming")
    kept = _public_pages.get(key, now=now) if key else None
    if kept is not None:
        return page_response(request, kept[0])
    rows = list(
        Meal.objects.upcoming(now=now, days=UPCOMING_DAYS).order_by("starts_at").values(*CARD_FIELDS, "held_seats")
    )
    shifts: dict[int, list[tuple]] = {row["id"]: [] for row in rows}
    for meal_id, *shift in (
        Shift.objects.filter(meal_id__in=list(shifts), role__in=HELP_ROLES)
        .order_by("starts_at")
        .values_list("meal_id", "pk", "role", "slots", "taken")
    ):
        shifts[meal_id].append(tuple(shift))
    fragments = caches["fragments"]
    keys = [_card_key(row, shifts[row["id"]], now) for row in rows]
    found = fragments.get_many(keys)
    cards = []
    for row, card_key in zip(rows, keys, strict=True):
        html = found.get(card_key)
        if html is None:
            html = _card(row, shifts[row["id"]], now)
            fragments.set(card_key, html)
        cards.append(mark_safe(html))  # noqa: S308 - rendered by our own template
    parts = page_parts(
        render_to_string("meals/upcoming.html", {"cards": cards, "csrf_token": CSRF_PLACEHOLDER}, request=request)
    )
    if key is not None:
        _public_pages.put(key, parts, valid_until=_changes_at(rows, now=now, entering=True))
    return page_response(request, parts)


def _changes_at(rows: list[dict], *, now, entering: bool = False):
    """The first instant the clock alone changes a page of these meals: one ends, its booking opens or
    closes, a partner's held seats are released (or, with ``entering``, a meal enters the two weeks)."""
    instants = [row["ends_at"] for row in rows]
    instants += [row[name] for row in rows for name in ("booking_opens_at", "booking_closes_at") if row[name] > now]
    released = SeatBlock.objects.filter(meal_id__in=[row["id"] for row in rows], release_at__gt=now).aggregate(
        first=Min("release_at")
    )["first"]
    instants += [released] if released else []
    # The dates say « Aujourd'hui » and « Demain » (the ``relday`` filter): they change at midnight.
    instants.append(
        timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), datetime.min.time()))
    )
    if entering:
        first = (
            Meal.objects.scheduled()
            .filter(starts_at__gt=now + timedelta(days=UPCOMING_DAYS))
            .aggregate(first=Min("starts_at"))["first"]
        )
        instants += [first - timedelta(days=UPCOMING_DAYS)] if first else []
    return min(instants, default=datetime.max.replace(tzinfo=now.tzinfo))


def meal_page_context(meal: Meal, *, request, form=None) -> dict:
    from meals.forms.booking import BookingForm
    from meals.services.booking import can_book_on_behalf

    now = timezone.now()
    if not hasattr(meal, "helping_shifts"):
        meal.helping_shifts = list(meal.shifts.filter(role__in=HELP_ROLES).order_by("starts_at"))
    decorate_meal(meal, now=now)
    return {
        "meal": meal,
        "cost": meal_cost(meal, now=now),  # the cost price and shares, from the purchases (meals/sourcing.py)
        "form": form or BookingForm(meal=meal),
        "can_book_on_behalf": can_book_on_behalf(request.user),
    }


def meal_detail(request, pk: int):
    """One meal and its booking form; kept whole like the next meals (each response with its own CSRF token)."""
    now = timezone.now()
    key = page_key(request, "meals", "meal", pk)
    kept = _public_pages.get(key, now=now) if key else None
    if kept is not None:
        return page_response(request, kept[0])
    meal = get_object_or_404(Meal.objects.with_held_seats().prefetch_related(_helping_shifts()), pk=pk)
    context = meal_page_context(meal, request=request) | {"csrf_token": CSRF_PLACEHOLDER}
    parts = page_parts(render_to_string("meals/meal.html", context, request=request))
    if key is not None:
        row = {name: getattr(meal, name) for name in ("id", "ends_at", "booking_opens_at", "booking_closes_at")}
        valid_until = _changes_at([row], now=now)
        # The overheads per cover change when another meal of the month ends (its covers are counted then).
        if context["cost"].changes_at is not None:
            valid_until = min(valid_until, context["cost"].changes_at)
        _public_pages.put(key, parts, valid_until=valid_until)
    return page_response(request, parts)
