"""Who came to their shift (issue 18): the coordinator's attendance page per meal, and the gentle follow-up.

Coordinators only (``meals.delete_shiftsignup``): who did not come is never shown on the board,
to other volunteers, nor on any public page.
"""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meals.forms.shifts import AttendanceForm
from meals.idempotency import key_error, posted_key
from meals.models import Meal, ShiftSignup
from meals.services.shifts import ShiftError, attendance_mark, no_show_follow_up

# The « à pointer » and « à relancer » lists look this far back.
FOLLOW_UP_DAYS = 60

Attendance = ShiftSignup.Attendance


@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def shift_attendance(request, pk: int):
    """Each helper of the meal, one tap each: came, did not come (three queries whatever their number)."""
    meal = get_object_or_404(Meal, pk=pk)
    signups = list(
        ShiftSignup.objects.filter(shift__meal=meal)
        .select_related("shift", "member")
        .order_by("shift__starts_at", "shift__role", "member__name", "pk")
    )
    now = timezone.now()
    shifts: dict[int, dict] = {}
    for signup in signups:
        shifts.setdefault(signup.shift_id, {"shift": signup.shift, "signups": []})["signups"].append(signup)
    return render(
        request,
        "meals/shifts/attendance.html",
        {
            "meal": meal,
            "shifts": list(shifts.values()),
            "now": now,
            "to_mark": sum(1 for s in signups if s.attended == Attendance.UNKNOWN and s.shift.starts_at <= now),
        },
    )


@require_POST
@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def mark_attendance(request, pk: int):
    signup = get_object_or_404(ShiftSignup.objects.select_related("shift", "member"), pk=pk)
    back = reverse("meals:shift_attendance", args=[signup.shift.meal_id]) + f"#signup-{signup.pk}"
    form = AttendanceForm(request.POST)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Choisissez « venu·e » ou « pas venu·e »."))
        return redirect(back)
    try:
        attendance_mark(
            signup=signup, attended=form.cleaned_data["attended"], by=request.user, key=form.cleaned_data["form_key"]
        )
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        if form.cleaned_data["attended"] == Attendance.CAME:
            messages.success(request, _("%(name)s : venu·e.") % {"name": signup.member.name})
        else:
            messages.success(request, _("%(name)s : pas venu·e.") % {"name": signup.member.name})
    return redirect(back)


@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def shift_followups(request):
    """The meals whose helpers are still to mark, and who did not come (coordinators only, never public)."""
    now = timezone.now()
    since = now - timedelta(days=FOLLOW_UP_DAYS)
    recent = ShiftSignup.objects.filter(shift__starts_at__gte=since, shift__starts_at__lte=now).exclude(
        shift__meal__status=Meal.Status.CANCELLED
    )
    to_mark: dict[int, dict] = {}
    for signup in (
        recent.filter(attended=Attendance.UNKNOWN).select_related("shift__meal").order_by("-shift__meal__starts_at")
    ):
        entry = to_mark.setdefault(signup.shift.meal_id, {"meal": signup.shift.meal, "count": 0})
        entry["count"] += 1
    absent = list(
        recent.filter(attended=Attendance.ABSENT)
        .select_related("shift__meal", "member__user")
        .order_by("followed_up_at", "-shift__starts_at", "pk")
    )
    return render(
        request,
        "meals/shifts/followups.html",
        {"to_mark": list(to_mark.values()), "absent": absent, "days": FOLLOW_UP_DAYS},
    )


@require_POST
@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def shift_follow_up(request, pk: int):
    signup = get_object_or_404(ShiftSignup.objects.select_related("member"), pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return redirect("meals:shift_followups")
    try:
        sent = no_show_follow_up(signup=signup, by=request.user)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        if sent:
            messages.success(request, _("Message envoyé à %(name)s.") % {"name": signup.member.name})
        else:
            messages.error(
                request,
                _("%(name)s n'a pas d'adresse e-mail : un coup de fil, peut-être ?") % {"name": signup.member.name},
            )
    return redirect("meals:shift_followups")
