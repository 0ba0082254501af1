"""Booking a seat, the private booking page, cancelling, booking on someone's behalf."""

from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from meals.allergies import booking_clash
from meals.emails import booking_url
from meals.forms.booking import BookingForm, OnBehalfForm
from meals.models import Booking, Meal
from meals.ratelimit import is_limited
from meals.services.booking import (
    BookingError,
    BookingResult,
    booking_cancel,
    booking_place,
    can_book_on_behalf,
    waitlist_position,
)
from meals.sourcing import meal_cost
from meals.views.public import decorate_meal, meal_page_context

# A private link stops working a month after its meal: the guest's details
# are not left reachable forever.
LINK_EXPIRES_AFTER = timedelta(days=30)


def get_booking(token: str) -> Booking:
    """The booking behind a private link; a forged or expired token is a 404."""
    booking = get_object_or_404(
        Booking.objects.select_related("meal"),
        token=token,
        meal__ends_at__gte=timezone.now() - LINK_EXPIRES_AFTER,
    )
    booking.meal = Meal.objects.with_held_seats().get(pk=booking.meal_id)
    return booking


def _health(data: dict) -> dict:
    """The allergy and diet fields of a valid booking form, as ``booking_place`` takes them."""
    return {
        "allergens": data.get("allergens") or [],
        "diets": data.get("diets") or [],
        "health_consent": bool(data.get("health_consent")),
        "remember_health": bool(data.get("remember_health")),
    }


def _language() -> str:
    return (get_language() or settings.LANGUAGE_CODE)[:2]


def _after_booking(request, result: BookingResult, *, on_behalf: bool = False, contact: str = "email"):
    booking = result.booking
    if on_behalf:
        # The coordinator on the phone reads these, not the guest.
        if result.is_duplicate:
            text = _("%(name)s avait déjà une réservation pour ce repas : la voici.")
        elif booking.status == Booking.Status.WAITLISTED:
            text = _("Le repas est complet : %(name)s est sur la liste d'attente.")
        else:
            text = _("C'est noté : %(name)s est inscrit·e pour ce repas.")
        messages.success(request, text % {"name": booking.name})
        # Their page, not the guest's: the link to read out, and the next call.
        return redirect("meals:book_on_behalf_done", token=booking.token)
    if result.is_duplicate:
        # Whoever typed this contact may not be the guest who booked with it:
        # nothing of her booking is shown (name, seats, status, link); its
        # link went to the email stored on it. Same status as a new booking.
        url = reverse("meals:booking_sent", args=[booking.meal_id])
        return redirect(f"{url}?contact=telephone" if contact == "phone" else url)
    if booking.status == Booking.Status.WAITLISTED:
        messages.warning(
            request,
            _("Le repas est complet : vous êtes sur la liste d'attente. Nous vous prévenons si une place se libère."),
        )
    else:
        messages.success(request, _("C'est réservé ! Nous vous attendons avec plaisir."))
    if result.help_message:
        messages.info(request, result.help_message)
    return redirect("meals:booking", token=booking.token)


@require_POST
def book(request, pk: int):
    meal = get_object_or_404(Meal.objects.with_held_seats(), pk=pk)
    form = BookingForm(request.POST, meal=meal)
    if form.is_valid():
        # Only bookings that validate count: typos must not lock the next guest out.
        if is_limited(request, scope="book", rate=settings.BOOKING_RATE_LIMIT):
            return render(request, "meals/rate_limited.html", {"meal": meal}, status=429)
        data = form.cleaned_data
        try:
            result = booking_place(
                meal=meal,
                name=data["name"],
                email=data["email"],
                phone=data["phone"],
                party_size=data["party_size"],
                notes=data["notes"],
                help_with=data.get("help_with") or "",
                **_health(data),
                language=_language(),
                by=request.user if request.user.is_authenticated else None,
                key=data["form_key"],
            )
        except BookingError as exc:
            form.add_error(None, str(exc))
        else:
            return _after_booking(
                request,
                result,
                # A coordinator may see the booking already there, from this form too.
                on_behalf=result.is_duplicate and can_book_on_behalf(request.user),
                contact="email" if data["email"] else "phone",
            )
    context = meal_page_context(meal, request=request, form=form)
    return render(request, "meals/meal.html", context, status=400 if form.errors else 200)


@require_GET
def booking_sent(request, pk: int):
    """The answer to booking again with a contact that has a booking: it says nothing of that booking."""
    meal = get_object_or_404(Meal, pk=pk)
    return render(
        request,
        "meals/booking_sent.html",
        {
            "meal": meal,
            "by_phone": request.GET.get("contact") == "telephone",
            "phone": settings.COORDINATION_PHONE,
        },
    )


def booking_detail(request, token: str):
    booking = get_booking(token)
    decorate_meal(booking.meal, now=timezone.now())
    return render(
        request,
        "meals/booking.html",
        {
            "booking": booking,
            "meal": booking.meal,
            "cost": meal_cost(booking.meal),  # the same price and shares as the meal's page
            "position": waitlist_position(booking),
            "private_url": booking_url(booking),
            "clash": booking_clash(booking),
        },
    )


def booking_ics(request, token: str):
    """The booked meal as a calendar file (the same one the confirmation email carries).

    Only for a seat that is booked: a place on the waiting list is not a meal to put in a calendar.
    """
    from django.http import Http404, HttpResponse

    from meals.calendar import meal_calendar

    booking = get_booking(token)
    if booking.status != Booking.Status.CONFIRMED:
        raise Http404
    response = HttpResponse(meal_calendar(booking.meal, booking=booking), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cantine.ics"'
    return response


@require_http_methods(["GET", "POST"])
def cancel_booking(request, token: str):
    """GET asks once (« Annuler ma réservation ? »), without JavaScript; POST cancels."""
    booking = get_booking(token)
    if request.method == "GET":
        decorate_meal(booking.meal, now=timezone.now())
        if booking.status == Booking.Status.CANCELLED or booking.checked_in_at or booking.meal.is_past:
            return redirect("meals:booking", token=booking.token)  # which says why there is nothing to cancel
        return render(request, "meals/cancel_booking.html", {"booking": booking, "meal": booking.meal})
    if booking.status == Booking.Status.CANCELLED:
        messages.info(request, _("Cette réservation était déjà annulée."))
    else:
        try:
            booking_cancel(booking=booking)
        except BookingError as exc:  # the meal is over, or she was welcomed at the door
            messages.info(request, str(exc))
        else:
            messages.success(request, _("Votre réservation est annulée. Merci de nous avoir prévenus !"))
    return redirect("meals:booking", token=booking.token)


@login_required
@permission_required("meals.book_on_behalf", raise_exception=True)
def book_on_behalf(request, pk: int):
    meal = get_object_or_404(Meal.objects.with_held_seats(), pk=pk)
    if request.method == "POST":
        form = OnBehalfForm(request.POST, meal=meal)
        if form.is_valid():
            data = form.cleaned_data
            try:
                result = booking_place(
                    meal=meal,
                    name=data["name"],
                    email=data["email"],
                    phone=data["phone"],
                    party_size=data["party_size"],
                    notes=data["notes"],
                    **_health(data),
                    language=_language(),
                    by=request.user,
                    override_capacity=data["override_capacity"],
                    key=data["form_key"],
                )
            except BookingError as exc:
                form.add_error(None, str(exc))
            else:
                return _after_booking(request, result, on_behalf=True)
    else:
        form = OnBehalfForm(meal=meal)
    return render(
        request,
        "meals/book_on_behalf.html",
        {"meal": meal, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
@permission_required("meals.book_on_behalf", raise_exception=True)
def book_on_behalf_done(request, token: str):
    """Where a booking for someone who phoned ends: what came of it, the link to read out, the next call."""
    booking = get_booking(token)
    decorate_meal(booking.meal, now=timezone.now())
    return render(
        request,
        "meals/book_on_behalf_done.html",
        {
            "booking": booking,
            "meal": booking.meal,
            "cost": meal_cost(booking.meal),  # the same price and shares as the meal's page
            "position": waitlist_position(booking),
            "private_url": booking_url(booking),
            "clash": booking_clash(booking),
            "token_groups": [booking.token[n : n + 4] for n in range(0, len(booking.token), 4)],
        },
    )
