"""Volunteers' shifts: the board, claim and release, my shifts, the iCal feed, the coordinator's overview."""

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import Prefetch
from django.forms import modelformset_factory
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meals import cache, idempotency
from meals.calendar import member_calendar
from meals.forms.shifts import AssignVolunteerForm, ShiftTemplateForm
from meals.idempotency import key_error, posted_key
from meals.models import Meal, Shift, ShiftSignup, ShiftTemplate
from meals.readiness import DEFAULT_REQUIRES, shortfall
from meals.selectors import BOARD_DAYS, board_meals
from meals.services.shifts import (
    DEFAULT_SHIFT_TEMPLATE,
    RELEASE_CUTOFF,
    NotReady,
    ShiftError,
    can_release_late,
    release_is_late,
    shift_claim,
    shift_release,
    too_late_message,
)
from members.models import Member, new_token
from members.roles import VOLUNTEER

OVERVIEW_DAYS = 7


def member_for(user) -> Member:
    """The person behind a login (made on the fly for an account that has none yet)."""
    try:
        return user.member
    except Member.DoesNotExist:
        name = user.get_full_name() or user.email or user.get_username()
        return Member.objects.create(user=user, name=name, email=user.email)


def _back(request, default: str):
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return HttpResponseRedirect(target)  # not redirect(): "-1" is not a view name
    return redirect(default)


# The board ---------------------------------------------------------------


@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def board(request):
    """The next three weeks of shifts (same queries for 10 or 200), kept per viewer under the ``board`` generation."""
    now = timezone.now()
    needing_only = request.GET.get("besoin") == "1"

    def build():
        rows, valid_until = board_meals(now=now, user_id=request.user.pk, needing_only=needing_only)
        return {"board": rows, "too_late": too_late_message()}, valid_until

    return cache.kept_page(
        request,
        "meals/shifts/board.html",
        parts={"board_html": "meals/shifts/includes/board.html"},
        kinds=("board",),
        build=build,
        now=now,
        vary=(request.user.pk, needing_only),
        query=("besoin",),
        context={"needing_only": needing_only, "days": BOARD_DAYS},
    )


def _on_board(shift_pk: int) -> str:
    """The shift's own row on the board: claim and release come back to where the volunteer was."""
    return reverse("meals:shifts") + f"#shift-{shift_pk}"


def _asks_first(request, shift: Shift) -> bool:
    """A claim from the board (``warn``) that could not be released online once made: warn first."""
    now = timezone.now()
    return (
        request.POST.get("warn") == "1"
        and now < shift.starts_at
        and release_is_late(shift, now)
        and shift.meal.status == Meal.Status.SCHEDULED
        and not shift.is_full
        and not can_release_late(request.user)
        and not ShiftSignup.objects.filter(shift=shift, member__user=request.user).exists()
    )


@require_POST
@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def claim(request, pk: int):
    shift = get_object_or_404(Shift.objects.select_related("meal"), pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return _back(request, _on_board(shift.pk))
    if _asks_first(request, shift):
        # Nothing written: the page's form posts the claim again, without ``warn``, with a fresh key.
        return render(request, "meals/shifts/claim_confirm.html", {"shift": shift})
    try:
        shift_claim(shift=shift, member=member_for(request.user), by=request.user, key=key)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("C'est noté : vous êtes inscrit·e en %(role)s. Merci !") % {"role": shift.get_role_display().lower()},
        )
    return _back(request, _on_board(shift.pk))


@require_POST
@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def release(request, pk: int):
    shift = get_object_or_404(Shift, pk=pk)
    signup = ShiftSignup.objects.filter(shift=shift, member=member_for(request.user)).first()
    if signup is None:
        messages.error(request, _("Vous n'êtes pas inscrit·e sur ce créneau."))
        return _back(request, _on_board(shift.pk))
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return _back(request, _on_board(shift.pk))
    try:
        shift_release(signup=signup, by=request.user, key=key)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Vous êtes désinscrit·e de ce créneau."))
    return _back(request, _on_board(shift.pk))


# My shifts and the calendar ------------------------------------------------


@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def my_shifts(request):
    now = timezone.now()
    member = member_for(request.user)
    signups = (
        ShiftSignup.objects.filter(member=member, shift__ends_at__gte=now)
        .select_related("shift__meal")
        .order_by("shift__starts_at")
    )
    can_late = can_release_late(request.user)
    rows = [
        {
            "signup": s,
            "late": not can_late and s.shift.starts_at - now < RELEASE_CUTOFF,
            "started": s.shift.starts_at <= now,
        }
        for s in signups
    ]
    ical_path = reverse("meals:shifts_ical", args=[member.calendar_token])
    return render(
        request,
        "meals/shifts/my_shifts.html",
        {
            "rows": rows,
            "ical_url": request.build_absolute_uri(ical_path),
            "webcal_url": "webcal://" + request.get_host() + ical_path,
            "too_late": too_late_message(),
        },
    )


def shifts_ical(request, token: str):
    """A volunteer's shifts as an iCalendar feed, behind a secret link (no login: calendar apps have none)."""
    member = get_object_or_404(Member.objects.active(), calendar_token=token)
    if member.user_id and not member.user.is_active:
        return HttpResponse(status=404)
    response = HttpResponse(member_calendar(member=member), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="cantine.ics"'
    response["Cache-Control"] = "private, no-cache"
    return response


@require_POST
@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def regenerate_calendar_token(request):
    member = member_for(request.user)
    member.calendar_token = new_token()
    member.save(update_fields=["calendar_token"])
    messages.success(request, _("Nouveau lien créé. L'ancien lien ne marche plus : mettez à jour votre agenda."))
    return redirect("meals:my_shifts")


# The coordinator's overview -----------------------------------------------


@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def overview(request):
    now = timezone.now()
    shifts = list(
        Shift.objects.filter(
            starts_at__gt=now, starts_at__lt=now + timedelta(days=OVERVIEW_DAYS), meal__status=Meal.Status.SCHEDULED
        )
        .select_related("meal")
        .prefetch_related(
            Prefetch("signups", queryset=ShiftSignup.objects.select_related("member").order_by("member__name"))
        )
        .order_by("starts_at", "role")
    )
    volunteers = list(
        Member.objects.active().filter(user__is_active=True, user__groups__name=VOLUNTEER).order_by("name").distinct()
    )
    unfilled = [s for s in shifts if s.taken < s.slots]
    show_all = request.GET.get("tous") == "1"
    return render(
        request,
        "meals/shifts/overview.html",
        {
            "shifts": shifts if show_all else unfilled,
            "show_all": show_all,
            "unfilled": unfilled,
            "hands_needed": sum(s.hands_needed for s in shifts),
            "volunteers": volunteers,
            "days": OVERVIEW_DAYS,
            "form": AssignVolunteerForm(volunteers=volunteers),
        },
    )


@require_POST
@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def assign(request, pk: int):
    shift = get_object_or_404(Shift, pk=pk)
    form = AssignVolunteerForm(request.POST, volunteers=None)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Choisissez un·e bénévole dans la liste."))
        return _back(request, reverse("meals:shift_overview"))
    member = form.cleaned_data["member"]
    override = form.cleaned_data["override"]
    try:
        shift_claim(shift=shift, member=member, by=request.user, key=form.cleaned_data["form_key"], override=override)
    except NotReady:
        # What is missing, and how to go on: the coordinator decides (meals/readiness.py).
        messages.error(
            request,
            _("%(missing)s Cochez « Inscrire quand même » pour l'inscrire malgré tout.")
            % {"missing": shortfall(member=member, shift=shift)},
        )
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        done = _("%(name)s est inscrit·e en %(role)s.") % {
            "name": member.name,
            "role": shift.get_role_display().lower(),
        }
        warning = shortfall(member=member, shift=shift) if override else ""
        if warning:
            messages.warning(request, f"{done} {warning}")
        else:
            messages.success(request, done)
    return _back(request, reverse("meals:shift_overview"))


@require_POST
@login_required
@permission_required("meals.delete_shiftsignup", raise_exception=True)
def unassign(request, pk: int):
    signup = get_object_or_404(ShiftSignup.objects.select_related("member", "shift"), pk=pk)
    try:
        shift_release(signup=signup, by=request.user)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("%(name)s ne fait plus partie de ce créneau.") % {"name": signup.member.name})
    return _back(request, reverse("meals:shift_overview"))


# The default shifts of new meals ------------------------------------------


@login_required
@permission_required("meals.change_shift", raise_exception=True)
def template_edit(request):
    """The coordinator's default shifts: what every new meal gets."""
    existing = ShiftTemplate.objects.count()
    roles = len(Shift.Role.choices)
    TemplateFormSet = modelformset_factory(
        ShiftTemplate, form=ShiftTemplateForm, extra=max(roles - existing, 0), max_num=roles, can_delete=True
    )
    initial = []
    if not existing:
        initial = [
            {
                "role": row.role,
                "minutes_before_meal": int(row.starts_before_meal.total_seconds() // 60),
                "duration_minutes": int(row.duration.total_seconds() // 60),
                "slots": row.slots,
                "description": row.description,
                "active": True,
                "requires": list(DEFAULT_REQUIRES.get(row.role, ())),
                "accompanied": row.accompanied,
            }
            for row in DEFAULT_SHIFT_TEMPLATE
        ]
    if request.method == "POST":
        formset = TemplateFormSet(request.POST, queryset=ShiftTemplate.objects.all())
        key, bad_key = posted_key(request)
        if bad_key:
            messages.error(request, bad_key)
        # A replay is answered before the formset refuses the rows its first submission wrote.
        elif idempotency.answered(key, "shift_template") or formset.is_valid():
            with transaction.atomic():
                if idempotency.claim(key, "shift_template") is None:
                    formset.save()
                    idempotency.keep(key, "shift_template", 1)
            messages.success(request, _("Modèle enregistré : les prochains repas créés auront ces créneaux."))
            return redirect("meals:shift_template")
    else:
        formset = TemplateFormSet(queryset=ShiftTemplate.objects.all(), initial=initial)
    return render(request, "meals/shifts/template.html", {"formset": formset, "using_default": not existing})
