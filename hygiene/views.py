"""The hygiene logbook's pages: today's (a phone in the kitchen), the month's (printed for an inspection),
a correction, and the coordinators' cold units and cleaning plan. Views stay thin: hygiene/services.py decides."""

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cantine import bounds
from hygiene import forms, services
from hygiene.models import (
    Briefing,
    CleaningCheck,
    CleaningTask,
    ColdUnit,
    Cooling,
    Delivery,
    TemperatureReading,
)
from meals import idempotency
from meals.idempotency import FIELD
from members.models import Member

REFUSED = 400  # a refused form: the page again, with its message, nothing written


def recorders_required(view):
    return login_required(permission_required("hygiene.record_hygiene", raise_exception=True)(view))


def readers_required(view):
    return login_required(permission_required("hygiene.view_logbook", raise_exception=True)(view))


def managers_required(view):
    return login_required(permission_required("hygiene.manage_hygiene", raise_exception=True)(view))


# What each page shows of an entry, in one query per kind whatever the number of rows.


def readings() -> QuerySet:
    return TemperatureReading.objects.with_corrected().select_related("unit", "recorded_by__member")


def deliveries() -> QuerySet:
    return Delivery.objects.with_corrected().select_related("supplier", "recorded_by__member", "purchase_line")


def coolings() -> QuerySet:
    return Cooling.objects.with_corrected().select_related("meal", "recorded_by__member")


def cleaning_checks() -> QuerySet:
    return CleaningCheck.objects.with_corrected().select_related("task", "recorded_by__member")


def briefings() -> QuerySet:
    return (
        Briefing.objects.with_corrected()
        .select_related("given_by", "meal", "recorded_by__member")
        .prefetch_related(Prefetch("attendees", queryset=Member.objects.order_by("name", "pk")))
    )


def _day_span(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def entries_between(first: date, last: date) -> dict[str, list]:
    start, end = _day_span(first, last)
    return {
        "readings": list(readings().filter(taken_at__gte=start, taken_at__lt=end).order_by("taken_at", "pk")),
        "deliveries": list(deliveries().filter(received_on__range=(first, last))),
        "coolings": list(coolings().filter(started_at__gte=start, started_at__lt=end)),
        "checks": list(cleaning_checks().filter(day__range=(first, last))),
        "briefings": list(briefings().filter(day__range=(first, last))),
    }


# Today's logbook -----------------------------------------------------------------------------


FORMS = {
    "reading": forms.ReadingForm,
    "delivery": forms.DeliveryForm,
    "cooling": forms.CoolingForm,
    "cleaning": forms.CleaningForm,
    "briefing": forms.BriefingForm,
}


def _form(name: str, data=None):
    # Five forms on one page share field names (« temperature », « day »): their ids must not.
    return FORMS[name](data, auto_id=f"{name}-%s")


def _today(request, *, bound: dict | None = None, status: int = 200):
    today = timezone.localdate()
    entries = entries_between(today, today)
    done_today = {check.task_id for check in entries["checks"] if not check.is_corrected and check.done}
    page_forms = {name: _form(name) for name in FORMS}
    page_forms.update(bound or {})
    return render(
        request,
        "hygiene/today.html",
        {
            "today": today,
            "forms": page_forms,
            "entries": entries,
            "units": list(ColdUnit.objects.filter(active=True)),
            "tasks": list(CleaningTask.objects.filter(active=True)),
            "done_today": done_today,
            "can_manage": request.user.has_perm("hygiene.manage_hygiene"),
            "can_read_month": request.user.has_perm("hygiene.view_logbook"),
            "refused": status == REFUSED,
        },
        status=status,
    )


@recorders_required
@require_GET
def today(request):
    """Today's logbook: one short form per kind of entry, and what was recorded today."""
    return _today(request)


def _record(request, name: str, write) -> object:
    """Parse the form ``name``, call ``write(data, key)``; a refusal shows today's page with its message."""
    form = _form(name, request.POST)
    if form.is_valid():
        try:
            entry = write(form.cleaned_data, form.cleaned_data[FIELD])
        except services.HygieneError as error:
            form.add_error(error.field if error.field in form.fields else None, str(error))
        else:
            if not getattr(entry, "replayed", False):
                messages.success(request, _("C'est noté dans le cahier."))
            return redirect(f"{reverse('hygiene:today')}#{name}")
    return _today(request, bound={name: form}, status=REFUSED)


@require_POST
@recorders_required
def record_reading(request):
    return _record(
        request,
        "reading",
        lambda data, key: services.reading_record(
            unit=data["unit"],
            temperature=data["temperature"],
            taken_at=data["taken_at"],
            corrective_action=data["corrective_action"],
            by=request.user,
            key=key,
        ),
    )


def _delivery_values(data: dict) -> dict:
    return {
        "received_on": data["received_on"],
        "supplier": data.get("supplier"),
        "supplier_name": data.get("supplier_name", ""),
        "product": data["product"],
        "lot": data.get("lot", ""),
        "use_by": data.get("use_by"),
        "storage": data["storage"],
        "temperature": data.get("temperature"),
        "accepted": not data.get("refused"),
        "corrective_action": data.get("corrective_action", ""),
        "purchase_line": data.get("purchase_line"),
    }


@require_POST
@recorders_required
def record_delivery(request):
    return _record(
        request,
        "delivery",
        lambda data, key: services.delivery_record(**_delivery_values(data), by=request.user, key=key),
    )


def _cooling_values(data: dict) -> dict:
    return {
        "dish": data["dish"],
        "meal": data.get("meal"),
        "started_at": data["started_at"],
        "start_c": data["start_c"],
        "ended_at": data["ended_at"],
        "end_c": data["end_c"],
        "corrective_action": data.get("corrective_action", ""),
    }


@require_POST
@recorders_required
def record_cooling(request):
    return _record(
        request,
        "cooling",
        lambda data, key: services.cooling_record(**_cooling_values(data), by=request.user, key=key),
    )


@require_POST
@recorders_required
def record_cleaning(request):
    return _record(
        request,
        "cleaning",
        lambda data, key: services.cleaning_checks_record(
            tasks=data["tasks"], day=data["day"], by=request.user, key=key
        ),
    )


def _briefing_values(data: dict) -> dict:
    return {"day": data["day"], "meal": data.get("meal"), "given_by": data["given_by"], "attendees": data["attendees"]}


@require_POST
@recorders_required
def record_briefing(request):
    return _record(
        request,
        "briefing",
        lambda data, key: services.briefing_record(**_briefing_values(data), by=request.user, key=key),
    )


# Corrections ---------------------------------------------------------------------------------


def _reading_initial(entry: TemperatureReading) -> dict:
    return {
        "unit": entry.unit_id,
        "temperature": entry.temperature,
        "taken_at": timezone.localtime(entry.taken_at).replace(second=0, microsecond=0),
        "corrective_action": entry.corrective_action,
    }


class ReadingCorrectionForm(forms.CorrectionMixin, forms.ReadingForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ColdUnit.objects.all()  # a unit since retired may have been the mistake


class DeliveryCorrectionForm(forms.CorrectionMixin, forms.DeliveryForm):
    pass


class CoolingCorrectionForm(forms.CorrectionMixin, forms.CoolingForm):
    pass


class CleaningCorrectionForm(forms.CorrectionMixin, forms.CleaningCorrectionForm):
    pass


class BriefingCorrectionForm(forms.CorrectionMixin, forms.BriefingForm):
    pass


def _initial(entry) -> dict:
    if isinstance(entry, TemperatureReading):
        return _reading_initial(entry)
    if isinstance(entry, Delivery):
        fields = ["received_on", "supplier", "supplier_name", "product", "lot", "use_by", "storage", "temperature"]
        return {
            **{name: getattr(entry, name) for name in fields},
            "supplier": entry.supplier_id,
            "refused": not entry.accepted,
            "corrective_action": entry.corrective_action,
            "purchase_line": entry.purchase_line_id,
        }
    if isinstance(entry, Cooling):
        local = timezone.localtime
        return {
            "dish": entry.dish,
            "meal": entry.meal_id,
            "started_at": local(entry.started_at).replace(second=0, microsecond=0),
            "start_c": entry.start_c,
            "ended_at": local(entry.ended_at).replace(second=0, microsecond=0),
            "end_c": entry.end_c,
            "corrective_action": entry.corrective_action,
        }
    if isinstance(entry, CleaningCheck):
        return {"done": entry.done, "note": entry.note}
    return {
        "day": entry.day,
        "meal": entry.meal_id,
        "given_by": entry.given_by_id,
        "attendees": [member.pk for member in entry.attendees.all()],
    }


KINDS = {
    "releve": (TemperatureReading, ReadingCorrectionForm),
    "livraison": (Delivery, DeliveryCorrectionForm),
    "refroidissement": (Cooling, CoolingCorrectionForm),
    "nettoyage": (CleaningCheck, CleaningCorrectionForm),
    "consignes": (Briefing, BriefingCorrectionForm),
}


def _write_correction(entry, data: dict, *, by, key: str):
    common = {"by": by, "corrects": entry, "reason": data["correction_reason"], "key": key}
    if isinstance(entry, TemperatureReading):
        return services.reading_record(
            unit=data["unit"],
            temperature=data["temperature"],
            taken_at=data["taken_at"],
            corrective_action=data["corrective_action"],
            **common,
        )
    if isinstance(entry, Delivery):
        return services.delivery_record(**_delivery_values(data), **common)
    if isinstance(entry, Cooling):
        return services.cooling_record(**_cooling_values(data), **common)
    if isinstance(entry, CleaningCheck):
        return services.cleaning_check_correct(done=data["done"], note=data["note"], **common)
    return services.briefing_record(**_briefing_values(data), **common)


@recorders_required
def correct(request, kind: str, pk: int):
    """Correct an entry: a new one, with the reason, that says which it corrects. The old one stays."""
    if kind not in KINDS:
        raise Http404
    model, form_class = KINDS[kind]
    entry = get_object_or_404(model.objects.with_corrected(), pk=pk)
    if entry.is_corrected:
        messages.info(request, _("Cette ligne a déjà été corrigée : corrigez plutôt la correction."))
        return redirect("hygiene:today")
    form = form_class(request.POST or None, initial=_initial(entry))
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _write_correction(entry, form.cleaned_data, by=request.user, key=form.cleaned_data[FIELD])
            except services.HygieneError as error:
                form.add_error(error.field if error.field in form.fields else None, str(error))
            else:
                messages.success(request, _("Correction notée : l'ancienne ligne reste, barrée."))
                return redirect("hygiene:today")
        status = REFUSED
    return render(request, "hygiene/correct.html", {"form": form, "entry": entry, "kind": kind}, status=status)


# The month's logbook ------------------------------------------------------------------------


@dataclass
class Day:
    day: date
    readings: list
    deliveries: list
    coolings: list
    checks: list
    briefings: list

    @property
    def empty(self) -> bool:
        return not (self.readings or self.deliveries or self.coolings or self.checks or self.briefings)


def _by_day(rows, day_of) -> dict[date, list]:
    grouped: dict[date, list] = {}
    for row in rows:
        grouped.setdefault(day_of(row), []).append(row)
    return grouped


@readers_required
@require_GET
def month(request, year: int, month: int):
    """The month's logbook for an inspection: every day, every entry, corrections struck through, signatures."""
    if not (bounds.FIRST_YEAR <= year <= bounds.LAST_YEAR and 1 <= month <= 12):
        raise Http404
    first = date(year, month, 1)
    last = date(year, month, calendar.monthrange(year, month)[1])
    entries = entries_between(first, last)
    local = timezone.localtime
    grouped = {
        "readings": _by_day(entries["readings"], lambda row: local(row.taken_at).date()),
        "deliveries": _by_day(entries["deliveries"], lambda row: row.received_on),
        "coolings": _by_day(entries["coolings"], lambda row: local(row.started_at).date()),
        "checks": _by_day(entries["checks"], lambda row: row.day),
        "briefings": _by_day(entries["briefings"], lambda row: row.day),
    }
    days = [
        Day(
            day=first + timedelta(days=n),
            **{kind: rows.get(first + timedelta(days=n), []) for kind, rows in grouped.items()},
        )
        for n in range(last.day)
    ]
    previous = first - timedelta(days=1)
    following = last + timedelta(days=1)
    return render(
        request,
        "hygiene/month.html",
        {
            "first": first,
            "days": days,
            "units": list(ColdUnit.objects.all()),
            "previous": previous if previous.year >= bounds.FIRST_YEAR else None,
            "following": following if following.year <= bounds.LAST_YEAR else None,
            "out_of_range": sum(1 for row in entries["readings"] if row.out_of_range)
            + sum(1 for row in entries["coolings"] + entries["deliveries"] if row.out_of_rule),
        },
    )


# Cold units and the cleaning plan (coordinators) ----------------------------------------------


def _keyed_create(request, form, kind: str, create) -> bool:
    """Write ``create(data)`` once per form key; True when the form was handled (or replayed)."""
    key = request.POST.get(FIELD, "")
    # A replay is answered before the form refuses the name its first submission wrote.
    if idempotency.is_key(key) and idempotency.answered(key, kind):
        return True
    if not form.is_valid():
        return False
    with transaction.atomic():
        key = form.cleaned_data[FIELD]
        if idempotency.claim(key, kind) is None:
            row = create(form.cleaned_data)
            idempotency.keep(key, kind, row.pk)
    return True


@managers_required
def units(request):
    """The fridges and freezers, with their limits; add one, take one out of service (never deleted)."""
    form = forms.ColdUnitForm(request.POST or None)
    if request.method == "POST":
        created = _keyed_create(
            request,
            form,
            "hygiene_unit",
            lambda data: services.cold_unit_create(
                name=data["name"], kind=data["kind"], min_c=data.get("min_c"), max_c=data.get("max_c")
            ),
        )
        if created:
            messages.success(request, _("Enceinte ajoutée."))
            return redirect("hygiene:units")
    return render(
        request,
        "hygiene/units.html",
        {"form": form, "units": ColdUnit.objects.all()},
        status=REFUSED if form.errors else 200,
    )


@require_POST
@managers_required
def unit_toggle(request, pk: int):
    unit = get_object_or_404(ColdUnit, pk=pk)
    if _set_active(request, unit):
        messages.success(
            request, _("Enceinte remise en service.") if unit.active else _("Enceinte retirée du service.")
        )
    return redirect("hygiene:units")


def _set_active(request, row) -> bool:
    """Put a unit or a task in or out of service as posted; False (and the message) for a bad form key.

    Setting, not flipping: a double tap leaves it as the first tap did.
    """
    _key, bad_key = idempotency.posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return False
    row.active = request.POST.get("active") == "1"
    row.save(update_fields=["active"])
    return True


@managers_required
def cleaning_plan(request):
    """The cleaning plan: what, where, how often; add a task, pause one (a task with checks stays)."""
    form = forms.CleaningTaskForm(request.POST or None)
    if request.method == "POST":
        created = _keyed_create(
            request,
            form,
            "hygiene_task",
            lambda data: CleaningTask.objects.create(
                area=data["area"].strip(), name=data["name"].strip(), frequency=data["frequency"]
            ),
        )
        if created:
            messages.success(request, _("Tâche ajoutée au plan de nettoyage."))
            return redirect("hygiene:cleaning_plan")
    return render(
        request,
        "hygiene/cleaning_plan.html",
        {"form": form, "tasks": CleaningTask.objects.all()},
        status=REFUSED if form.errors else 200,
    )


@require_POST
@managers_required
def task_toggle(request, pk: int):
    if _set_active(request, get_object_or_404(CleaningTask, pk=pk)):
        messages.success(request, _("Plan de nettoyage mis à jour."))
    return redirect("hygiene:cleaning_plan")
