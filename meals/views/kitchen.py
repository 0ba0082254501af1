"""The kitchen's view of a meal: what the cooks must know of the guests' allergies and diets, as counts."""

from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from meals import selectors
from meals.allergies import UNDECLARED, allergen_label, diet_label
from meals.models import Meal


@require_GET
@login_required
# Volunteers and coordinators (both hold ``view_shift``, the shift board's), never a partner's referent:
# counts only, but of health data.
@permission_required("meals.view_shift", raise_exception=True)
def kitchen(request, pk: int):
    meal = get_object_or_404(Meal, pk=pk)
    context = {
        "meal": meal,
        "counts": selectors.kitchen(meal),
        "meal_allergens": [allergen_label(code) for code in meal.allergens or []],
        "meal_diets": [diet_label(code) for code in meal.diet_labels or []],
        "undeclared": UNDECLARED,
    }
    return render(request, "meals/kitchen.html", context)
