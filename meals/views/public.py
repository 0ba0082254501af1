"""Pages anyone may see: the next meals and one meal. Counts only, never names.

Their heavy part is kept under the ``meals`` generation (meals/cache.py); the page around
it is rendered for each request.
"""

from datetime import datetime, time, timedelta

from django.db.models import Min
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

from meals import cache, selectors
from meals.models import ALLERGENS, DIET_LABELS, HELP_ROLES, Meal, SeatBlock
from meals.selectors import UPCOMING_DAYS
from meals.sourcing import meal_cost

ALLERGEN_LABELS = dict(ALLERGENS)
DIET_LABEL_NAMES = dict(DIET_LABELS)
# The meal page's kept fragments (meal.html puts the cantine's address and the CSRF token between them).
MEAL_PAGE = {
    "title": "meals/includes/meal_title.html",
    "body": "meals/includes/meal_body.html",
    "booking": "meals/includes/meal_booking.html",
    "form_id": "meals/includes/meal_form_id.html",
}


def decorate_meal(meal: Meal, *, now) -> Meal:
    """Labels and flags the templates need, computed in Python from rows already loaded."""
    meal.allergen_labels = [ALLERGEN_LABELS.get(code, code) for code in meal.allergens or []]
    meal.diet_names = [DIET_LABEL_NAMES.get(code, code) for code in meal.diet_labels or []]
    meal.hands_needed = [shift for shift in getattr(meal, "helping_shifts", []) if shift.hands_needed > 0]
    meal.open_now = meal.is_open_for_booking(now)
    meal.not_yet_open = not meal.is_cancelled and now < meal.booking_opens_at
    meal.is_past = meal.ends_at < now
    return meal


def _changes_at(meals: list[Meal], *, now, entering: bool = False) -> datetime | None:
    """The first instant the clock alone changes a page of these meals: one ends, its booking opens or
    closes, a partner's held seats are released (or, with ``entering``, a meal enters the two weeks)."""
    instants = [meal.ends_at for meal in meals]
    instants += [getattr(meal, name) for meal in meals for name in ("booking_opens_at", "booking_closes_at")]
    instants = [instant for instant in instants if instant > now]
    released = SeatBlock.objects.filter(meal__in=meals, release_at__gt=now).aggregate(first=Min("release_at"))
    instants += [released["first"]] if released["first"] else []
    # The dates say « Aujourd'hui » and « Demain » (the ``relday`` filter): they change at local midnight.
    instants.append(timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min)))
    if entering:
        first = (
            Meal.objects.scheduled()
            .filter(starts_at__gt=now + timedelta(days=UPCOMING_DAYS))
            .aggregate(first=Min("starts_at"))["first"]
        )
        instants += [first - timedelta(days=UPCOMING_DAYS)] if first else []
    return min(instants, default=None)


def upcoming(request):
    """The next two weeks: their cards are kept until a meal, shift, booking or seat block changes, or the clock."""
    now = timezone.now()

    def build():
        meals = selectors.upcoming_meals(now=now)
        for meal in meals:
            decorate_meal(meal, now=now)
        return {"meals": meals}, _changes_at(meals, now=now, entering=True)

    return cache.kept_page(
        request,
        "meals/upcoming.html",
        parts={"cards": "meals/includes/meal_cards.html"},
        kinds=("meals",),
        build=build,
        now=now,
    )


def _meal_body_context(meal: Meal, *, form=None, can_book_on_behalf: bool, now) -> dict:
    """The meal's card and its booking form, rendered without the request (meals/cache.py)."""
    from meals.forms.booking import BookingForm

    form = form or BookingForm(meal=meal)
    # The page around the form gives it its CSRF token (an <input form="booking-form"> in meal.html).
    form.helper.disable_csrf = True
    return {
        "meal": meal,
        "cost": meal_cost(meal, now=now),  # the cost price and shares, from the purchases (meals/sourcing.py)
        "form": form,
        "can_book_on_behalf": can_book_on_behalf,
    }


def _can_book_on_behalf(user) -> bool:
    from meals.services.booking import can_book_on_behalf

    return can_book_on_behalf(user)


def meal_page_context(meal: Meal, *, request, form=None) -> dict:
    """The meal page rendered now, for this request's form (a refused booking shows its errors)."""
    now = timezone.now()
    if not hasattr(meal, "helping_shifts"):
        meal.helping_shifts = list(meal.shifts.filter(role__in=HELP_ROLES).order_by("starts_at"))
    decorate_meal(meal, now=now)
    context = _meal_body_context(meal, form=form, can_book_on_behalf=_can_book_on_behalf(request.user), now=now)
    parts = {name: mark_safe(render_to_string(template, context)) for name, template in MEAL_PAGE.items()}  # noqa: S308
    return {**parts, "form": context["form"]}


def remembered_health(user) -> dict | None:
    """The signed-in member's remembered allergies and diets, as the booking form's initial values."""
    member = getattr(user, "member", None) if user.is_authenticated else None
    if member is None or member.health_consent_at is None or not (member.allergens or member.diets):
        return None
    return {"allergens": member.allergens, "diets": member.diets, "health_consent": True, "remember_health": True}


def meal_detail(request, pk: int):
    """One meal and its booking form, kept like the next meals (the CSRF token is given by the page)."""
    now = timezone.now()
    can_book_on_behalf = _can_book_on_behalf(request.user)
    if (initial := remembered_health(request.user)) is not None:
        # Their own profile in the form: this page is theirs alone, rendered now and never kept.
        from meals.forms.booking import BookingForm

        meal = selectors.meal_for_page(pk, now=now)
        form = BookingForm(meal=meal, initial=initial)
        return render(request, "meals/meal.html", meal_page_context(meal, request=request, form=form))

    def build():
        meal = selectors.meal_for_page(pk, now=now)
        decorate_meal(meal, now=now)
        context = _meal_body_context(meal, can_book_on_behalf=can_book_on_behalf, now=now)
        valid_until = _changes_at([meal], now=now)
        # The overheads per cover change when another meal of the month ends (its covers count then).
        if context["cost"].changes_at is not None:
            valid_until = min(filter(None, (valid_until, context["cost"].changes_at)))
        return context, valid_until

    return cache.kept_page(
        request,
        "meals/meal.html",
        parts=MEAL_PAGE,
        kinds=("meals", "cantine"),  # the cost price reads the month's overheads
        build=build,
        now=now,
        vary=(pk, can_book_on_behalf),
    )
