"""Coordinators plan meals: one meal, a series, edits, cancellations, partner seat blocks."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meals.forms.planning import CancelMealForm, MealEditForm, MealForm, SeatBlockForm, SeriesForm
from meals.models import Meal, SeatBlock
from meals.services import planning

plan_required = permission_required("meals.plan_meals", raise_exception=True)


def _meal(pk: int) -> Meal:
    return get_object_or_404(Meal.objects.select_related("series"), pk=pk)


@login_required
@plan_required
def planning_list(request):
    now = timezone.now()
    meals = (
        Meal.objects.filter(ends_at__gte=now)
        .select_related("series")
        .prefetch_related(Prefetch("seat_blocks", queryset=SeatBlock.objects.select_related("partner")))
        .order_by("starts_at")[:200]
    )
    return render(request, "meals/planning/list.html", {"meals": meals})


@login_required
@plan_required
def meal_new(request):
    form = MealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            meal = planning.meal_create(
                values=form.meal_values(),
                times=form.meal_times(),
                day=form.cleaned_data["day"],
                key=form.cleaned_data["form_key"],
            )
        except planning.PlanningError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Le repas est planifié."))
            return redirect("meals:planning_edit", pk=meal.pk)
    return render(request, "meals/planning/meal_form.html", {"form": form, "meal": None})


@login_required
@plan_required
def meal_edit(request, pk: int):
    meal = _meal(pk)
    if meal.is_cancelled:
        messages.error(request, _("Ce repas est annulé : il ne peut plus être modifié."))
        return redirect("meals:planning")
    form = MealEditForm(request.POST or None, meal=meal, initial=MealEditForm.initial_for(meal))
    if request.method == "POST" and form.is_valid():
        try:
            if form.cleaned_data.get("scope") == MealEditForm.SCOPE_FUTURE:
                count = planning.series_update_future(
                    series=meal.series,
                    values=form.meal_values(),
                    times=form.meal_times(),
                    like=meal,
                    key=form.cleaned_data["form_key"],
                )
                messages.success(
                    request,
                    ngettext("%(count)s repas modifié.", "%(count)s repas modifiés.", count) % {"count": count},
                )
            else:
                planning.meal_update(
                    meal=meal,
                    values=form.meal_values(),
                    times=form.meal_times(),
                    day=form.cleaned_data["day"],
                    key=form.cleaned_data["form_key"],
                )
                messages.success(request, _("Le repas est modifié."))
        except planning.PlanningError as error:
            form.add_error(None, str(error))
        else:
            return redirect("meals:planning_edit", pk=meal.pk)
    blocks = meal.seat_blocks.select_related("partner").order_by("partner__name")
    return render(
        request,
        "meals/planning/meal_form.html",
        {"form": form, "meal": meal, "blocks": blocks, "block_form": SeatBlockForm()},
    )


@login_required
@plan_required
def series_new(request):
    form = SeriesForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            series = planning.series_create(
                title=data["title"],
                weekdays=data["weekdays"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                times=form.meal_times(),
                values={k: v for k, v in form.meal_values().items() if k != "title"},
                dinner=form.dinner(),
                by=request.user,
                key=data["form_key"],
            )
        except planning.PlanningError as error:
            form.add_error(None, str(error))
        else:
            count = series.meals.count()
            messages.success(
                request,
                ngettext("%(count)s repas planifié.", "%(count)s repas planifiés.", count) % {"count": count},
            )
            return redirect("meals:planning")
    return render(request, "meals/planning/series_form.html", {"form": form})


@login_required
@plan_required
def meal_cancel(request, pk: int):
    meal = _meal(pk)
    form = CancelMealForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            result = planning.meal_cancel(meal=meal, by=request.user, reason=form.cleaned_data["reason"])
        except planning.PlanningError as error:
            messages.error(request, str(error))
            return redirect("meals:planning")
        return render(request, "meals/planning/cancelled.html", {"meal": result.meal, "result": result})
    live = meal.bookings.exclude(status="cancelled").count()
    signups = sum(shift.taken for shift in meal.shifts.all())
    return render(request, "meals/planning/cancel.html", {"form": form, "meal": meal, "live": live, "signups": signups})


@login_required
@plan_required
def seat_block_set(request, pk: int):
    meal = _meal(pk)
    form = SeatBlockForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            planning.seat_block_set(
                meal=meal,
                partner=form.cleaned_data["partner"],
                seats=form.cleaned_data["seats"],
                release_at=form.cleaned_data["release_at"],
                key=form.cleaned_data["form_key"],
            )
        except planning.PlanningError as error:
            form.add_error("seats", str(error))
        else:
            messages.success(request, _("Les places du partenaire sont enregistrées."))
            return redirect("meals:planning_edit", pk=meal.pk)
    return render(request, "meals/planning/seat_block.html", {"form": form, "meal": meal}, status=200)
