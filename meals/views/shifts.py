"""Volunteers' shifts: the board, claim and release, my shifts, the iCal feed, the coordinator's overview."""

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib import messages as django_messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import connection, transaction
from django.db.models import BooleanField, CharField, ExpressionWrapper, Prefetch, Q
from django.db.models.functions import Cast
from django.forms import modelformset_factory
from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from meals.calendar import member_calendar
from meals.forms.shifts import AssignVolunteerForm, ShiftTemplateForm
from meals.models import Meal, Shift, ShiftSignup, ShiftTemplate
from meals.services.shifts import (
    DEFAULT_SHIFT_TEMPLATE,
    RELEASE_CUTOFF,
    ShiftError,
    can_release_late,
    shift_claim,
    shift_release,
    too_late_message,
)
from meals.templatetags.cantine import punct
from members.models import Member, new_token
from members.roles import VOLUNTEER

BOARD_DAYS = 21
OVERVIEW_DAYS = 7


class _FrenchMessages:
    """django.contrib.messages with French typography (narrow spaces before « : ; ! ? »)."""

    @staticmethod
    def success(request, text) -> None:
        django_messages.success(request, punct(str(text)))

    @staticmethod
    def error(request, text) -> None:
        django_messages.error(request, punct(str(text)))

    get_messages = staticmethod(django_messages.get_messages)


messages = _FrenchMessages()


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


@dataclass
class BoardShift:
    pk: int
    role: str
    role_label: str
    starts_at: datetime
    ends_at: datetime
    slots: int
    taken: int
    description: str
    helpers: list[str] = field(default_factory=list)
    mine: bool = False
    late: bool = False

    @property
    def hands_needed(self) -> int:
        return max(self.slots - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.slots


@dataclass
class BoardMeal:
    pk: int
    title: str
    starts_at: datetime
    shifts: list[BoardShift] = field(default_factory=list)

    @property
    def hands_needed(self) -> int:
        return sum(shift.hands_needed for shift in self.shifts)


# Rendered boards, keyed on a digest of everything they show: every shift
# and helper row, the viewer's own shifts, which shifts are past the release
# cut-off, the language. A write changes the rows, hence the key: pages are
# never stale, and no timer is involved. Per process on purpose: the key is
# derived from the data, so nothing needs to be shared between workers.
_FRAGMENTS: OrderedDict[str, str] = OrderedDict()
_PAGES: OrderedDict[str, str] = OrderedDict()
# About 200 kB a board at 200 shifts: 64 entries stay well under 30 MB a worker.
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()
CSRF_PLACEHOLDER = "\x00csrf\x00"


def _cache_get(cache: OrderedDict, key: str) -> str | None:
    with _CACHE_LOCK:
        value = cache.get(key)
        if value is not None:
            cache.move_to_end(key)
        return value


def _cache_put(cache: OrderedDict, key: str, value: str) -> None:
    with _CACHE_LOCK:
        cache[key] = value
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)


def board_cache_clear() -> None:
    with _CACHE_LOCK:
        _FRAGMENTS.clear()
        _PAGES.clear()


def _digest(*parts) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


def _window(now: datetime, days: int = BOARD_DAYS) -> Q:
    return Q(starts_at__gt=now, starts_at__lt=now + timedelta(days=days), meal__status=Meal.Status.SCHEDULED)


_FINGERPRINT_ORDER = ("meal__starts_at", "meal_id", "starts_at", "role", "signups__created_at", "signups__pk")


# Each value quoted (NULL as a bare word) so that no two different rows read alike.
_PG_FINGERPRINT = """
SELECT md5(string_agg(concat_ws(',',
    quote_nullable(s.id), quote_nullable(s.meal_id), quote_nullable(s.role), quote_nullable(s.starts_at),
    quote_nullable(s.ends_at), quote_nullable(s.slots), quote_nullable(s.taken), quote_nullable(s.description),
    quote_nullable(m.title), quote_nullable(m.starts_at), quote_nullable(s.starts_at < %s), quote_nullable(su.id),
    quote_nullable(mb.user_id), quote_nullable(mb.name)
), ';' ORDER BY m.starts_at, s.meal_id, s.starts_at, s.role, su.created_at, su.id))
FROM meals_shift s
JOIN meals_meal m ON m.id = s.meal_id
LEFT JOIN meals_shiftsignup su ON su.shift_id = s.id
LEFT JOIN members_member mb ON mb.id = su.member_id
WHERE s.starts_at > %s AND s.starts_at < %s AND m.status = %s
"""


def _board_fingerprint(*, now: datetime) -> list[tuple] | str:
    """One query with every value the board shows, times as text (cheap: no datetime parsing).

    On PostgreSQL the database joins those values into one text per row and
    returns only the md5 of them all: one short row instead of one per sign-up.
    """
    if connection.vendor == "postgresql":
        # Raw SQL: the same rows, but composing this in the ORM costs more than it saves.
        with connection.cursor() as cursor:
            cursor.execute(
                _PG_FINGERPRINT, [now + RELEASE_CUTOFF, now, now + timedelta(days=BOARD_DAYS), Meal.Status.SCHEDULED]
            )
            return cursor.fetchone()[0] or ""
    text = CharField()
    rows = Shift.objects.filter(_window(now)).annotate(
        late=ExpressionWrapper(Q(starts_at__lt=now + RELEASE_CUTOFF), output_field=BooleanField())
    )
    return list(
        rows.order_by(*_FINGERPRINT_ORDER).values_list(
            "pk",
            "meal_id",
            "role",
            Cast("starts_at", text),
            Cast("ends_at", text),
            "slots",
            "taken",
            "description",
            "meal__title",
            Cast("meal__starts_at", text),
            "late",
            "signups__member__user_id",
            "signups__member__name",
        )  # fmt: skip
    )


def _board_rows(*, now: datetime, days: int = BOARD_DAYS):
    window = _window(now, days)
    shifts = list(
        Shift.objects.filter(window)
        .order_by("meal__starts_at", "meal_id", "starts_at", "role")
        .values_list(
            "pk",
            "meal_id",
            "role",
            "starts_at",
            "ends_at",
            "slots",
            "taken",
            "description",
            "meal__title",
            "meal__starts_at",
        )  # fmt: skip
    )
    signups = list(
        ShiftSignup.objects.filter(shift__in=Shift.objects.filter(window).values("pk"))
        .order_by("created_at", "pk")
        .values_list("shift_id", "member__user_id", "member__name")
    )
    return shifts, signups


def _board_fragment(*, now: datetime, user_id: int, needing_only: bool) -> str:
    shift_rows, signup_rows = _board_rows(now=now)
    roles = dict(Shift.Role.choices)
    meals: dict[int, BoardMeal] = {}
    by_pk: dict[int, BoardShift] = {}
    for pk, meal_id, role, starts_at, ends_at, slots, taken, description, title, meal_starts_at in shift_rows:
        meal = meals.get(meal_id)
        if meal is None:
            meal = meals[meal_id] = BoardMeal(pk=meal_id, title=title, starts_at=meal_starts_at)
        shift = BoardShift(
            pk=pk, role=role, role_label=roles.get(role, role), starts_at=starts_at, ends_at=ends_at,
            slots=slots, taken=taken, description=description, late=starts_at - now < RELEASE_CUTOFF,
        )  # fmt: skip
        meal.shifts.append(shift)
        by_pk[pk] = shift
    for shift_id, signup_user_id, name in signup_rows:
        shift = by_pk.get(shift_id)
        if shift is None:
            continue
        # Other volunteers see a first name only (guests who help included).
        shift.helpers.append((name or "").split(" ")[0] or "?")
        if signup_user_id == user_id:
            shift.mine = True
    board = []
    for meal in meals.values():
        # Shifts that still need hands first, then in the order of the day.
        meal.shifts.sort(key=lambda s: (s.is_full and not s.mine, s.starts_at))
        if needing_only:
            meal.shifts = [s for s in meal.shifts if not s.is_full or s.mine]
            if not meal.shifts:
                continue
        board.append(meal)
    return render_to_string(
        "meals/shifts/includes/board.html",
        {"board": board, "csrf_token": CSRF_PLACEHOLDER, "too_late": too_late_message()},
    )


@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def board(request):
    """The next three weeks of shifts. Same queries for 10 or 200 shifts; cached on the data itself."""
    now = timezone.now()
    needing_only = request.GET.get("besoin") == "1"
    fragment_key = _digest(_board_fingerprint(now=now), request.user.pk, needing_only, get_language())
    page_key = _digest(
        fragment_key, request.get_full_path(), request.user.pk, sorted(request.user.get_all_permissions())
    )
    # A flash message (right after a claim) makes the page one of a kind: not cached.
    plain = len(messages.get_messages(request)) == 0
    page = _cache_get(_PAGES, page_key) if plain else None
    if page is None:
        fragment = _cache_get(_FRAGMENTS, fragment_key)
        if fragment is None:
            fragment = _board_fragment(now=now, user_id=request.user.pk, needing_only=needing_only)
            _cache_put(_FRAGMENTS, fragment_key, fragment)
        page = render_to_string(
            "meals/shifts/board.html",
            {
                "board_html": mark_safe(fragment),  # noqa: S308 - rendered by our own template
                "needing_only": needing_only,
                "days": BOARD_DAYS,
                "csrf_token": CSRF_PLACEHOLDER,
            },
            request=request,
        )
        if plain:
            _cache_put(_PAGES, page_key, page)
    return HttpResponse(page.replace(CSRF_PLACEHOLDER, get_token(request)))


@require_POST
@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def claim(request, pk: int):
    shift = get_object_or_404(Shift.objects.select_related("meal"), pk=pk)
    try:
        shift_claim(shift=shift, member=member_for(request.user), by=request.user)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("C'est noté : vous êtes inscrit·e en %(role)s. Merci !") % {"role": shift.get_role_display().lower()},
        )
    return _back(request, reverse("meals:shifts"))


@require_POST
@login_required
@permission_required("meals.add_shiftsignup", raise_exception=True)
def release(request, pk: int):
    shift = get_object_or_404(Shift, pk=pk)
    signup = ShiftSignup.objects.filter(shift=shift, member=member_for(request.user)).first()
    if signup is None:
        messages.error(request, _("Vous n'êtes pas inscrit·e sur ce créneau."))
        return _back(request, reverse("meals:shifts"))
    try:
        shift_release(signup=signup, by=request.user)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Vous êtes désinscrit·e de ce créneau."))
    return _back(request, reverse("meals:shifts"))


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
        messages.error(request, _("Choisissez un·e bénévole dans la liste."))
        return _back(request, reverse("meals:shift_overview"))
    member = form.cleaned_data["member"]
    try:
        shift_claim(shift=shift, member=member, by=request.user)
    except ShiftError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(name)s est inscrit·e en %(role)s.") % {"name": member.name, "role": shift.get_role_display().lower()},
        )
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
            }
            for row in DEFAULT_SHIFT_TEMPLATE
        ]
    if request.method == "POST":
        formset = TemplateFormSet(request.POST, queryset=ShiftTemplate.objects.all())
        if formset.is_valid():
            with transaction.atomic():
                formset.save()
            messages.success(request, _("Modèle enregistré : les prochains repas créés auront ces créneaux."))
            return redirect("meals:shift_template")
    else:
        formset = TemplateFormSet(queryset=ShiftTemplate.objects.all(), initial=initial)
    return render(request, "meals/shifts/template.html", {"formset": formset, "using_default": not existing})
