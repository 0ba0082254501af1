"""Booking rules: take a seat, join the waiting list, cancel and promote.

Capacity must hold under concurrency (many guests booking the last seats at
once, on several workers): every function here opens one transaction and
locks the meal row FIRST with ``select_for_update()``, then checks, then
writes. ``Meal.seats_taken`` is written only here (and by the door desk's
own locked service); the database check constraint
``seats_taken <= capacity + extra_seats`` is the last line of defence.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meals.idempotency import claim, keep
from meals.models import Booking, Meal, Shift, ShiftSignup
from members.models import Member

logger = logging.getLogger(__name__)

HELP_ROLES = (Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES)


class BookingError(Exception):
    """A booking that cannot be made; the message is for the guest (French source)."""


class BookingClosed(BookingError):
    """Before the booking window opens, or after the cut-off."""


class MealCancelled(BookingError):
    pass


class MissingContact(BookingError):
    """A guest booking alone must leave an email or a phone number."""


class InvalidPhone(BookingError, ValueError):
    pass


class InvalidBooking(BookingError):
    """Party size or name out of bounds (the form checks it first)."""


# ----------------------------------------------------------------------------
# Contact details

_PHONE_SEPARATORS = re.compile(r"[\s.\-()/\u00a0\u202f]")


def normalize_phone(value: str) -> str:
    """One canonical form per number, so « 06 12 34 56 78 », « +33 6 12 34 56 78 »
    and « 0612345678 » are the same person: ``06 12 34 56 78``.

    Foreign numbers keep their ``+`` and digits (``+441234567890``). Raises
    ``InvalidPhone`` for letters or a wrong number of digits; ``""`` stays ``""``.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = _PHONE_SEPARATORS.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not digits.isdigit() or not digits.isascii():
        raise InvalidPhone(
            _("Ce numéro de téléphone n'est pas valable : des chiffres seulement, par exemple 06 12 34 56 78.")
        )
    if international and digits.startswith("33"):
        digits = "0" + digits[2:].removeprefix("0")
        international = False
    if not international:
        if len(digits) == 9 and not digits.startswith("0"):
            digits = "0" + digits
        if len(digits) != 10 or not digits.startswith("0"):
            raise InvalidPhone(
                _("Ce numéro de téléphone n'est pas valable : il faut 10 chiffres, par exemple 06 12 34 56 78.")
            )
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if not 8 <= len(digits) <= 15:
        raise InvalidPhone(_("Ce numéro de téléphone n'est pas valable."))
    return "+" + digits


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def _member_for(*, name: str, email: str, phone: str, language: str, partner=None) -> Member:
    """The person behind a booking: found by email, else by phone, else created."""
    member = None
    if email:
        member = Member.objects.active().filter(email__iexact=email).order_by("pk").first()
    if member is None and phone:
        member = Member.objects.active().filter(phone=phone).order_by("pk").first()
    if member is None:
        return Member.objects.create(name=name, email=email, phone=phone, language=language, partner=partner)
    changed = []
    if email and not member.email:
        member.email = email
        changed.append("email")
    if phone and not member.phone:
        member.phone = phone
        changed.append("phone")
    if changed:
        member.save(update_fields=changed)
    return member


# ----------------------------------------------------------------------------
# Seats


def can_book_on_behalf(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.has_perm("meals.book_on_behalf"))


def seats_available(*, meal: Meal, partner=None, now: datetime | None = None) -> int:
    """Seats a new booking may take now. Call with the meal row locked.

    One place to change when seats are held back (partner seat blocks).
    """
    from meals.services.planning import held_seats

    # Partners' unused seats stay theirs until released; a partner draws from its own block.
    return max(meal.capacity - meal.seats_taken - held_seats(meal=meal, now=now, exclude_partner=partner), 0)


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None when the booking is not waiting."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    ahead = Booking.objects.filter(meal_id=booking.meal_id, status=Booking.Status.WAITLISTED).filter(
        Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk)
    )
    return ahead.count() + 1


def booking_create(
    *,
    meal: Meal,
    name: str,
    email: str = "",
    phone: str = "",
    party_size: int = 1,
    notes: str = "",
    help_with: str = "",
    language: str = "fr",
    by=None,
    partner=None,
    override_capacity: bool = False,
    now: datetime | None = None,
    key: str = "",
) -> Booking:
    """Book ``party_size`` seats at ``meal`` for one person.

    Confirmed while seats fit, otherwise waitlisted. Booking again with the
    same email or phone returns the live booking already there, with
    ``booking.is_duplicate = True``. With ``help_with`` (a shift role) a
    confirmed guest also takes a slot on that shift, in the same transaction;
    when the shift is full the booking stands and ``booking.help_message`` says
    so. A waitlisted guest takes no slot (a volunteer sure to come may need
    it): the offer is kept and taken, if there is still room, when a seat
    frees up for them.

    ``by`` with ``meals.book_on_behalf`` (a coordinator) may book after the
    cut-off, with only a name, and with ``override_capacity`` beyond capacity
    (``extra_seats`` grows so the constraint holds; ``over_capacity`` is set).
    """
    now = now or timezone.now()
    name = (name or "").strip()
    email = normalize_email(email)
    phone = normalize_phone(phone)
    notes = (notes or "").strip()
    privileged = can_book_on_behalf(by)
    if not name or len(name) > Booking._meta.get_field("name").max_length:
        raise InvalidBooking(_("Indiquez votre nom (200 caractères au plus)."))
    if party_size < 1:
        raise InvalidBooking(_("Il faut au moins une personne."))
    if not (email or phone or privileged or partner):
        raise MissingContact(_("Laissez-nous un e-mail ou un numéro de téléphone, pour vous prévenir si besoin."))
    if help_with and help_with not in HELP_ROLES:
        raise InvalidBooking(_("Ce coup de main n'existe pas."))

    with transaction.atomic():
        # The meal row lock serialises every booking of this meal: the seat
        # count, the duplicate check and the waiting-list order below all see
        # the bookings committed before us, and nobody else writes meanwhile.
        locked = Meal.objects.select_for_update().get(pk=meal.pk)
        # The same rendered form again (a double tap, a retry): the booking it made the first time.
        if (first := claim(key, "booking", Booking)) is not None:
            return first
        # Booking again shows the booking already there, even after the cut-off.
        contact = Q()
        if email:
            contact |= Q(email=email)
        if phone:
            contact |= Q(phone=phone)
        if contact:
            existing = (
                Booking.objects.filter(meal=locked).exclude(status=Booking.Status.CANCELLED).filter(contact).first()
            )
            if existing is not None:
                existing.is_duplicate = True
                existing.help_message = ""
                return existing

        if locked.is_cancelled:
            raise MealCancelled(_("Ce repas est annulé. Nous sommes désolés."))
        if not privileged:
            if now < locked.booking_opens_at:
                raise BookingClosed(_("Les réservations pour ce repas ne sont pas encore ouvertes."))
            if now >= locked.booking_closes_at:
                raise BookingClosed(
                    _("Les réservations pour ce repas sont closes. Appelez la cantine, on trouvera une solution.")
                )

        member = _member_for(name=name, email=email, phone=phone, language=language, partner=partner)
        booking = Booking(
            meal=locked,
            member=member,
            name=name,
            email=email,
            phone=phone,
            party_size=party_size,
            notes=notes,
            language=language,
            partner=partner,
            help_with=help_with,
            created_by=by if privileged or partner else None,
            created_at=now,
        )
        free = seats_available(meal=locked, partner=partner, now=now)
        if party_size <= free:
            booking.status = Booking.Status.CONFIRMED
            Meal.objects.filter(pk=locked.pk).update(seats_taken=F("seats_taken") + party_size)
        elif privileged and override_capacity:
            booking.status = Booking.Status.CONFIRMED
            booking.over_capacity = True
            needed_extra = locked.seats_taken + party_size - locked.capacity
            Meal.objects.filter(pk=locked.pk).update(
                seats_taken=F("seats_taken") + party_size,
                extra_seats=max(locked.extra_seats, needed_extra),
            )
        else:
            booking.status = Booking.Status.WAITLISTED
        booking.save()
        booking.is_duplicate = False
        booking.help_message = ""

        if help_with and booking.status == Booking.Status.WAITLISTED:
            booking.help_message = _(
                "Merci pour le coup de main ! Si une place se libère pour vous, nous vous inscrirons aussi, "
                "s'il reste de la place dans l'équipe."
            )
        elif help_with:
            booking.help_message = _claim_help(
                meal=locked, role=help_with, member=member, booking=booking, by=by, now=now
            )

        if booking.email:
            from meals.emails import send_booking_confirmation

            booking_pk = booking.pk
            transaction.on_commit(lambda: send_booking_confirmation(booking_pk))
        keep(key, "booking", booking)

    meal.seats_taken = Meal.objects.values_list("seats_taken", flat=True).get(pk=meal.pk)
    return booking


def _claim_help(*, meal: Meal, role: str, member: Member, booking: Booking, by, now) -> str:
    """Take a slot on the meal's ``role`` shift; a message for the guest either way."""
    from meals.services.shifts import AlreadyOnShift, ShiftError, shift_claim

    shift = Shift.objects.filter(meal=meal, role=role).first()
    if shift is None:
        return _("Merci ! Il n'y a pas d'équipe pour ce coup de main à ce repas.")
    try:
        # shift_claim runs in a savepoint: if it refuses, the booking stays.
        shift_claim(shift=shift, member=member, booking=booking, by=by, now=now)
    except AlreadyOnShift:
        return _("Vous étiez déjà inscrit·e pour ce coup de main. Merci !")
    except ShiftError:
        if role == Shift.Role.COOKING:
            return _("La cuisine est complète, merci quand même ! Votre place à table est bien notée.")
        return _("Ce coup de main est déjà complet, merci quand même ! Votre place à table est bien notée.")
    return {
        Shift.Role.COOKING: _("Merci ! Vous cuisinez avec nous : rendez-vous en cuisine à %(time)s."),
        Shift.Role.TABLE: _("Merci ! Vous nous aidez à mettre la table à %(time)s."),
        Shift.Role.DISHES: _("Merci ! Vous faites la vaisselle avec nous après le repas."),
    }[role] % {"time": _local_hour(shift.starts_at)}


def _local_hour(value: datetime) -> str:
    from meals.templatetags.cantine import hour

    return hour(value)


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> list[Booking]:
    """Cancel ``booking``: free its seats, promote the waiting list, release its shift slots.

    Returns the bookings promoted from the waiting list (FIFO; a party too
    big for the freed seats is skipped, the next one that fits goes in).
    Their guests get "une place s'est libérée" once the transaction commits.
    Cancelling twice does nothing the second time.
    """
    now = now or timezone.now()
    promoted: list[Booking] = []
    with transaction.atomic():
        # Meal first, as in booking_create: one lock order, no deadlock.
        locked_meal = Meal.objects.select_for_update().get(pk=booking.meal_id)
        current = Booking.objects.select_for_update().get(pk=booking.pk)
        if current.status == Booking.Status.CANCELLED:
            booking.status = current.status
            return []
        was_confirmed = current.status == Booking.Status.CONFIRMED
        current.status = Booking.Status.CANCELLED
        current.cancelled_at = now
        current.save(update_fields=["status", "cancelled_at"])
        seats_taken = locked_meal.seats_taken
        if was_confirmed and current.checked_in_at is None:
            seats_taken -= current.party_size
        elif was_confirmed:
            # Came and ate: the seat was used, only the booking is closed.
            pass
        if not locked_meal.is_cancelled and now < locked_meal.starts_at:
            from meals.services.planning import held_seats

            free = locked_meal.capacity - seats_taken - held_seats(meal=locked_meal, now=now)
            waiting = Booking.objects.filter(meal=locked_meal, status=Booking.Status.WAITLISTED).order_by(
                "created_at", "pk"
            )
            for candidate in waiting:
                if free <= 0:
                    break
                if candidate.party_size <= free:
                    candidate.status = Booking.Status.CONFIRMED
                    candidate.promoted_at = now
                    candidate.save(update_fields=["status", "promoted_at"])
                    free -= candidate.party_size
                    seats_taken += candidate.party_size
                    promoted.append(candidate)
                    if candidate.help_with and candidate.member_id:
                        # The help they offered when they booked, if the team still has room.
                        _claim_help(
                            meal=locked_meal, role=candidate.help_with, member=candidate.member,
                            booking=candidate, by=None, now=now,
                        )  # fmt: skip
        if seats_taken != locked_meal.seats_taken:
            Meal.objects.filter(pk=locked_meal.pk).update(seats_taken=seats_taken)
        _release_signups(booking=current)

        from meals.emails import send_promotion

        for candidate in promoted:
            if candidate.email:
                transaction.on_commit(lambda pk=candidate.pk: send_promotion(pk))
    booking.status = current.status
    booking.cancelled_at = current.cancelled_at
    return promoted


def _release_signups(*, booking: Booking) -> None:
    """Give back the shift slots a guest took while booking (shift_release locks the shift)."""
    from meals.services.shifts import shift_release

    for signup in ShiftSignup.objects.filter(booking=booking).order_by("shift_id"):
        # force: the guest is cancelling the seat, however late; the slot must follow.
        shift_release(signup=signup, force=True)
