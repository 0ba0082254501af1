"""Pages anyone may see: the next meals and one meal. Counts only, never names."""

import hashlib

from django.core.cache import caches
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

from meals.models import ALLERGENS, DIET_LABELS, Meal, Shift

ALLERGEN_LABELS = dict(ALLERGENS)
DIET_LABEL_NAMES = dict(DIET_LABELS)
HELP_ROLES = (Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES)


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


MEAL_FIELDS = [field.attname for field in Meal._meta.concrete_fields]


def _card_key(meal: Meal) -> str:
    """A digest of every value a meal card shows: a write (booking, claim, edit) changes it."""
    values = (
        get_language(),
        [meal.__dict__.get(name) for name in MEAL_FIELDS],  # the loaded ones (a deferred one is not shown)
        meal.__dict__.get("held_seats"),
        [(s.pk, s.role, s.slots, s.taken) for s in getattr(meal, "helping_shifts", [])],
        meal.open_now,
        meal.not_yet_open,
        meal.is_past,
    )
    return "card:" + hashlib.blake2b(repr(values).encode(), digest_size=20).hexdigest()


def meal_cards(meals: list[Meal]) -> list:
    """Each meal's card, rendered once per version of its rows (per process, never stale)."""
    fragments = caches["fragments"]
    keys = [_card_key(meal) for meal in meals]
    found = fragments.get_many(keys)
    cards = []
    for meal, key in zip(meals, keys, strict=True):
        html = found.get(key)
        if html is None:
            html = render_to_string("meals/includes/meal_card.html", {"meal": meal})
            fragments.set(key, str(html))
        cards.append(mark_safe(html))  # noqa: S308 - rendered by our own template
    return cards


def upcoming(request):
    now = timezone.now()
    meals = [
        decorate_meal(meal, now=now)
        for meal in Meal.objects.upcoming(now=now)
        .defer("series", "cancelled_at", "cancel_reason", "created_at")
        .prefetch_related(
            # The cards show how many hands each shift lacks: its counters only.
            Prefetch(
                "shifts",
                queryset=Shift.objects.filter(role__in=HELP_ROLES)
                .only("pk", "meal", "role", "slots", "taken")
                .order_by("starts_at"),
                to_attr="helping_shifts",
            )
        )
        .order_by("starts_at")
    ]
    return render(request, "meals/upcoming.html", {"meals": meals, "cards": meal_cards(meals)})


def meal_page_context(meal: Meal, *, request, form=None) -> dict:
    from meals.forms.booking import BookingForm
    from meals.services.booking import can_book_on_behalf

    now = timezone.now()
    if not hasattr(meal, "helping_shifts"):
        meal.helping_shifts = list(meal.shifts.filter(role__in=HELP_ROLES).order_by("starts_at"))
    decorate_meal(meal, now=now)
    return {
        "meal": meal,
        "form": form or BookingForm(meal=meal),
        "can_book_on_behalf": can_book_on_behalf(request.user),
    }


def meal_detail(request, pk: int):
    meal = get_object_or_404(Meal.objects.with_held_seats().prefetch_related(_helping_shifts()), pk=pk)
    return render(request, "meals/meal.html", meal_page_context(meal, request=request))
