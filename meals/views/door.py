"""The door desk: a tablet in one hand, a queue in front, a cash box beside.

Thin views: parse the form, call ``meals.services.door`` (which locks the
meal), then redirect back to the desk (POST/redirect/GET), to the place the
next gesture is: the guest list after a contribution, the contribution after
a check-in. The desk reads everything in a fixed number of queries, whatever
the number of bookings.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from cantine.bounds import ascii_int
from meals import cache, selectors
from meals.forms.door import ContributionForm, TillCloseForm, TillReopenForm, VoidForm, WalkInForm, booking_label
from meals.idempotency import key_error, posted_key
from meals.models import Booking, Contribution, Meal
from meals.services import door
from meals.templatetags.cantine import format_euros
from members.models import PaymentMethod

door_required = permission_required("meals.run_door", raise_exception=True)

# The method of the last contribution this coordinator recorded: the next one is offered it first
# (a queue paying by card), and a one-tap amount records with the method the radios show.
LAST_METHOD = "door_method"


def _meal(pk: int) -> Meal:
    return get_object_or_404(Meal, pk=pk)


def _desk_url(meal: Meal, *, anchor: str = "", **params) -> str:
    url = reverse("meals:door", args=[meal.pk])
    params = {key: value for key, value in params.items() if value not in (None, "")}
    url = f"{url}?{urlencode(params)}" if params else url
    return f"{url}#{anchor}" if anchor else url


def _back_to_desk(request, meal: Meal, **params):
    """Back to the guest list (first on a phone), where the desk shows the message."""
    q = request.POST.get("q", "").strip()[:100]
    return redirect(_desk_url(meal, q=q, anchor="guests", **params))


def _focus(form, name: str = "") -> None:
    """Focus ``name`` in ``form``, else its first refused box: on a phone, the message is then in view."""
    if not name:
        boxes = [key for key, field in form.fields.items() if not field.widget.is_hidden]
        name = next((key for key in form.errors if key in boxes), boxes[0])
    form.fields[name].widget.attrs["autofocus"] = True


def _guest_rows(meal: Meal, shown: list[Booking], q: str):
    """The guests' rows, kept under the ``door`` generation (meals/cache.py): rendered without the request,
    their buttons submit the page's ``door-actions`` form, which carries this request's CSRF token."""
    kept = cache.kept(
        {"rows": "meals/door/includes/guest_rows.html"},
        kinds=("door",),
        build=lambda: ({"bookings": shown, "meal": meal}, None),
        now=timezone.now(),
        vary=(meal.pk, q),
    )
    return kept["rows"]


def _booking_field(form: ContributionForm):
    """The "for whom" list (one option per booking), kept under the ``meals`` generation (meals/cache.py).

    A bound form is rendered each time: it shows what the coordinator sent.
    """
    from crispy_forms.templatetags.crispy_forms_filters import as_crispy_field

    if form.is_bound or not form.bookings:
        return as_crispy_field(form["booking"])
    meal_id = next(iter(form.bookings.values())).meal_id
    kept = cache.kept(
        {"field": "meals/door/includes/booking_field.html"},
        kinds=("meals",),
        build=lambda: ({"form": form}, None),
        now=timezone.now(),
        vary=(meal_id, form.initial.get("booking")),
    )
    return kept["field"]


def _desk(request, meal: Meal, *, contribution_form=None, walk_in_form=None, till_form=None, status=200):
    desk = selectors.door_desk(meal)
    bookings = desk.bookings
    for booking in bookings:
        booking.label = booking_label(booking)
    q = request.GET.get("q", "").strip()[:100]
    shown = desk.matching(q)

    for_booking = None
    if contribution_form is None:
        initial = {}
        wanted = ascii_int(request.GET.get("booking"), low=1, high=2**63 - 1)
        if wanted in {b.pk for b in bookings}:
            initial["booking"] = wanted
            for_booking = next(b for b in bookings if b.pk == wanted)
        method = request.session.get(LAST_METHOD)
        if method in PaymentMethod.values:
            initial["method"] = method
        contribution_form = ContributionForm(initial=initial, bookings=bookings)
    # Opened for one guest (after their check-in) or refused, the amount is the next gesture; a reload grabs nothing.
    if for_booking is not None or contribution_form.errors:
        _focus(contribution_form, "amount")
    walk_in_form = walk_in_form or WalkInForm()
    till_form = till_form or TillCloseForm()
    for form in (walk_in_form, till_form):
        if form.errors:
            _focus(form)
    context = {
        "meal": meal,
        "bookings": shown,
        "guest_rows": _guest_rows(meal, shown, q) if shown else "",
        "walk_ins": desk.walk_ins,
        # Promoted today with a phone only: call them (meals.services.booking.promote_waiting).
        "to_call": [b for b in bookings if b.call_needed],
        "q": q,
        "counters": desk.counters,
        "contributions": desk.contributions,
        "totals": desk.totals,
        "closing": desk.closing,
        "past_closings": [c for c in desk.closings if c.reopened_at is not None],
        "expected_cash": desk.totals.cash,
        "quick_amounts": list(settings.DOOR_QUICK_AMOUNTS),
        "for_booking": for_booking,
        "contribution_form": contribution_form,
        "booking_field": _booking_field(contribution_form),
        "walk_in_form": walk_in_form,
        "till_form": till_form,
        "reopen_form": TillReopenForm(),
        "void_form": VoidForm(),
    }
    return render(request, "meals/door/desk.html", context, status=status)


@require_GET
@login_required
@door_required
def door_today(request):
    """Today's meal desk, or a choice when there are several (or none) today."""
    meals_today, coming, recent = selectors.door_choice(today=timezone.localdate(), now=timezone.now())
    if len(meals_today) == 1:
        return redirect("meals:door", meals_today[0].pk)
    return render(request, "meals/door/today.html", {"meals_today": meals_today, "coming": coming, "recent": recent})


@require_GET
@login_required
@door_required
def door_desk(request, pk: int):
    return _desk(request, _meal(pk))


@require_POST
@login_required
@door_required
def door_check_in(request, pk: int):
    booking = get_object_or_404(Booking.objects.select_related("meal"), pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return _back_to_desk(request, booking.meal)
    try:
        door.booking_check_in(booking=booking, by=request.user, key=key)
    except door.DoorError as error:
        messages.error(request, str(error))
        return _back_to_desk(request, booking.meal)
    messages.success(request, _("%(name)s est arrivé·e.") % {"name": booking_label(booking)})
    # The next thing the coordinator does is take this guest's contribution.
    return redirect(_desk_url(booking.meal, booking=booking.pk, anchor="participation"))


@require_POST
@login_required
@door_required
def door_called(request, pk: int):
    """Tick off a guest promoted today whom someone at the desk has phoned."""
    booking = get_object_or_404(Booking.objects.select_related("meal"), pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
    else:
        door.booking_called(booking=booking, key=key)
    return _back_to_desk(request, booking.meal)


@require_POST
@login_required
@door_required
def door_undo_check_in(request, pk: int):
    booking = get_object_or_404(Booking.objects.select_related("meal"), pk=pk)
    key, bad_key = posted_key(request)
    if bad_key:
        messages.error(request, bad_key)
        return _back_to_desk(request, booking.meal)
    try:
        door.booking_undo_check_in(booking=booking, by=request.user, key=key)
    except door.DoorError as error:
        messages.error(request, str(error))
    else:
        if booking.is_walk_in:
            text = _("%(name)s retiré·e des arrivées sans réservation.")
        else:
            text = _("Arrivée de %(name)s annulée.")
        messages.info(request, text % {"name": booking_label(booking)})
    return _back_to_desk(request, booking.meal)


@require_POST
@login_required
@door_required
def door_walk_in(request, pk: int):
    meal = _meal(pk)
    form = WalkInForm(request.POST)
    if not form.is_valid():
        return _desk(request, meal, walk_in_form=form)
    try:
        walk_in = door.walk_in_add(
            meal=meal,
            name=form.cleaned_data["name"],
            party_size=form.cleaned_data["party_size"],
            squeeze=form.cleaned_data["squeeze"],
            by=request.user,
            key=form.cleaned_data["form_key"],
        )
    except door.DoorError as error:
        form.add_error(None, str(error))
        return _desk(request, meal, walk_in_form=form)
    messages.success(
        request,
        _("%(name)s ajouté·e sans réservation (%(count)s).")
        % {"name": booking_label(walk_in), "count": walk_in.party_size},
    )
    return redirect(_desk_url(meal, booking=walk_in.pk, anchor="participation"))


@require_POST
@login_required
@door_required
def record_contribution(request, pk: int):
    meal = _meal(pk)
    bookings = list(Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED))
    form = ContributionForm(request.POST, bookings=bookings)
    if not form.is_valid():
        return _desk(request, meal, contribution_form=form)
    try:
        contribution = door.contribution_record(
            meal=meal,
            amount=form.cleaned_data["amount"],
            method=form.cleaned_data["method"],
            booking=form.cleaned_data["booking"],
            kind=form.cleaned_data["kind"],
            giver=form.cleaned_data["giver"],
            donation=form.cleaned_data["donation"],
            by=request.user,
            key=form.cleaned_data["form_key"],
        )
    except door.DoorError as error:
        form.add_error(None, str(error))
        return _desk(request, meal, contribution_form=form)
    values = {"amount": format_euros(contribution.amount, cents=True), "method": contribution.get_method_display()}
    if contribution.booking:
        values["name"] = booking_label(contribution.booking)
        text = _("Participation de %(name)s enregistrée : %(amount)s (%(method)s).") % values
    else:
        text = _("Participation enregistrée : %(amount)s (%(method)s).") % values
    if getattr(contribution, "donation_row", None):
        gift = format_euros(contribution.donation_row.amount, cents=True)
        text = f"{text} {_('Don en plus : %(amount)s.') % {'amount': gift}}"
    messages.success(request, text)
    if request.session.get(LAST_METHOD) != contribution.method:
        request.session[LAST_METHOD] = contribution.method
    return _back_to_desk(request, meal)


@require_POST
@login_required
@door_required
def door_void_contribution(request, pk: int):
    contribution = get_object_or_404(Contribution.objects.select_related("meal"), pk=pk)
    form = VoidForm(request.POST)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Dites pourquoi vous annulez cette participation."))
        return _back_to_desk(request, contribution.meal)
    try:
        door.contribution_void(
            contribution=contribution,
            by=request.user,
            reason=form.cleaned_data["reason"],
            key=form.cleaned_data["form_key"],
        )
    except door.DoorError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Participation de %(amount)s annulée. Enregistrez-la à nouveau si besoin.")
            % {"amount": format_euros(contribution.amount, cents=True)},
        )
    return _back_to_desk(request, contribution.meal)


@require_POST
@login_required
@door_required
def door_till_close(request, pk: int):
    meal = _meal(pk)
    form = TillCloseForm(request.POST)
    if not form.is_valid():
        return _desk(request, meal, till_form=form)
    try:
        closing = door.till_close(
            meal=meal,
            counted_cash=form.cleaned_data["counted_cash"],
            note=form.cleaned_data["note"],
            by=request.user,
            key=form.cleaned_data["form_key"],
        )
    except door.DoorError as error:
        messages.error(request, str(error))
        return _back_to_desk(request, meal)
    messages.success(
        request,
        _("Caisse close : %(counted)s comptés, %(expected)s attendus, écart %(difference)s.")
        % {
            "counted": format_euros(closing.counted_cash, cents=True),
            "expected": format_euros(closing.expected_cash, cents=True),
            "difference": format_euros(closing.difference, cents=True),
        },
    )
    return _back_to_desk(request, meal)


@require_POST
@login_required
@door_required
def door_till_reopen(request, pk: int):
    meal = _meal(pk)
    form = TillReopenForm(request.POST)
    if not form.is_valid():
        messages.error(request, key_error(form) or _("Dites pourquoi vous rouvrez la caisse."))
        return _back_to_desk(request, meal)
    try:
        door.till_reopen(
            meal=meal, by=request.user, reason=form.cleaned_data["reason"], key=form.cleaned_data["form_key"]
        )
    except door.DoorError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Caisse rouverte."))
    return _back_to_desk(request, meal)


@require_GET
@login_required
@door_required
def day_sheet(request, pk: int):
    """A paper copy for the day: bookings, helpers, allergies (one A4 page for 50 guests)."""
    meal = _meal(pk)
    context = {"meal": meal, **selectors.day_sheet(meal), "printed_at": timezone.now()}
    return render(request, "meals/door/day_sheet.html", context)
