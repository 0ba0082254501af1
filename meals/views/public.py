"""Pages anyone may see: the next meals and one meal. Counts only, never names."""

from django.shortcuts import get_object_or_404, render

from meals.models import Meal


def upcoming(request):
    meals = Meal.objects.upcoming().order_by("starts_at")
    return render(request, "meals/upcoming.html", {"meals": meals})


def meal_detail(request, pk: int):
    meal = get_object_or_404(Meal, pk=pk)
    return render(request, "meals/meal.html", {"meal": meal})
