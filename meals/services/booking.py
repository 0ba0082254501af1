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
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from meals.idempotency import claim, keep
from meals.models import HELP_ROLES, Booking, Meal, Shift, ShiftSignup
from meals.services.errors import BookingError, MealCancelled
from meals.services.locks import lock_booking, lock_meal
from members.contacts import InvalidPhone, normalize_email, normalize_phone
from members.models import Member

logger = logging.getLogger(__name__)


class BookingClosed(BookingError):
    """Before the booking window opens, or after the cut-off."""


class MissingContact(BookingError):
    """A guest booking alone must leave an email or a phone number."""


class InvalidBooking(BookingError):
    """Party size or name out of bounds (the form checks it first)."""


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
    # Partners' unused seats stay theirs until released; a partner draws from its own block.
    held = (
        Meal.objects.with_held_seats(now=now, exclude_partner=partner)
        .values_list("held_seats", flat=True)
        .get(pk=meal.pk)
    )
    return max(meal.capacity - meal.seats_taken - held, 0)


def waitlist_position(booking: Booking) -> int | None:
    """1 for the first in line; None when the booking is not waiting."""
    if booking.status != Booking.Status.WAITLISTED:
        return None
    ahead = Booking.objects.filter(meal_id=booking.meal_id, status=Booking.Status.WAITLISTED).filter(
        Q(created_at__lt=booking.created_at) | Q(created_at=booking.created_at, pk__lt=booking.pk)
    )
    return ahead.count() + 1


@dataclass(frozen=True)
class BookingResult:
    """What came of a booking request: the booking, and what to tell whoever asked.

    ``is_duplicate``: the contact already had a live booking on this meal,
    which is ``booking`` — for the coordinator's eyes only; a guest is told
    nothing of it (its private link went again to the contact stored on it).
    ``help_message``: what became of the help offered (``help_with``), or "".
    """

    booking: Booking
    is_duplicate: bool = False
    help_message: str = ""


def booking_create(**kwargs) -> Booking:
    """``booking_place(...)``, for callers that only need the booking (same arguments)."""
    return booking_place(**kwargs).booking


def booking_place(
    *,
    meal: Meal,
    name: str,
    email: str = "",
    phone: str = "",
    party_size: int = 1,
    notes: str = "",
    help_with: str = "",
    allergens: list[str] | tuple = (),
    diets: list[str] | tuple = (),
    health_consent: bool = False,
    remember_health: bool = False,
    language: str = "fr",
    by=None,
    partner=None,
    override_capacity: bool = False,
    now: datetime | None = None,
    key: str = "",
) -> BookingResult:
    """Book ``party_size`` seats at ``meal`` for one person.

    Confirmed while seats fit, otherwise waitlisted. Booking again with the
    same email or phone makes no second booking: the result holds the live
    booking already there (``is_duplicate``), and, unless a coordinator books
    on someone's behalf, its private link is sent again to the email stored
    on it — the one who typed the contact learns nothing. A closed or past
    meal refuses a duplicate exactly as it refuses a new booking.

    With ``help_with`` (a shift role) a confirmed guest also takes a slot on
    that shift, in the same transaction; when the shift is full the booking
    stands and ``help_message`` says so. A waitlisted guest takes no slot (a
    volunteer sure to come may need it): the offer is kept and taken, if there
    is still room, when a seat frees up for them.

    ``by`` with ``meals.book_on_behalf`` (a coordinator) may book after the
    cut-off, with only a name, and with ``override_capacity`` beyond capacity
    (``extra_seats`` grows so the constraint holds; ``over_capacity`` is set).

    ``allergens`` and ``diets`` (health data, GDPR art. 9) are kept only with ``health_consent``
    (``MissingConsent`` otherwise, nothing written); with ``remember_health`` too, the member keeps
    them as their profile for the next bookings (``_may_remember`` says who may change it).
    """
    now = now or timezone.now()
    privileged = can_book_on_behalf(by)
    request = _validated(
        name=name, email=email, phone=phone, party_size=party_size, notes=notes, help_with=help_with,
        contact_optional=privileged or partner is not None,
    )  # fmt: skip
    health = _health(allergens=allergens, diets=diets, consent=health_consent, remember=remember_health, now=now)

    with transaction.atomic():
        # The meal row lock serialises every booking of this meal: the seat
        # count, the duplicate check and the waiting-list order below all see
        # the bookings committed before us, and nobody else writes meanwhile.
        locked = lock_meal(meal)
        # The same rendered form again (a double tap, a retry): the booking it made the first time.
        if (first := claim(key, "booking", Booking)) is not None:
            return BookingResult(booking=first)
        # Before the duplicate check: a closed meal answers the same to everyone.
        _refuse_if_closed(locked, now=now, privileged=privileged)
        existing = _live_booking(meal=locked, email=request.email, phone=request.phone)
        if existing is not None:
            if not privileged:
                from meals.emails import queue_booking_message

                # Once an hour at most: typing someone's contact again and again must not flood them.
                queue_booking_message(existing, "booking_link", key=f"link:{existing.pk}:{now:%Y%m%d%H}")
            return BookingResult(booking=existing, is_duplicate=True)

        # Seats a block gave back since the last write go to those already waiting, first.
        promote_waiting(meal=locked, now=now)
        member = _member_for(
            name=request.name, email=request.email, phone=request.phone, language=language, partner=partner
        )
        booking = Booking(
            meal=locked,
            member=member,
            name=request.name,
            email=request.email,
            phone=request.phone,
            party_size=request.party_size,
            notes=request.notes,
            allergens=health.allergens,
            diets=health.diets,
            health_consent_at=health.consent_at,
            language=language,
            partner=partner,
            help_with=request.help_with,
            created_by=by if privileged or partner else None,
            created_at=now,
        )
        _seat(booking, meal=locked, now=now, beyond_capacity=privileged and override_capacity)
        booking.save()
        if health.remember and _may_remember(member, by=by, privileged=privileged):
            member_remember_health(member=member, allergens=health.allergens, diets=health.diets, now=now)

        help_message = ""
        if request.help_with and booking.status == Booking.Status.WAITLISTED:
            help_message = _(
                "Merci pour le coup de main ! Si une place se libère pour vous, nous vous inscrirons aussi, "
                "s'il reste de la place dans l'équipe."
            )
        elif request.help_with:
            help_message = _claim_help(
                meal=locked, role=request.help_with, member=member, booking=booking, by=by, now=now
            )

        from meals.emails import queue_booking_message

        # In this transaction: rolled back with the booking, never lost once it commits (meals/outbox.py).
        queue_booking_message(booking, "booking_confirmation")
        keep(key, "booking", booking)

    meal.seats_taken = Meal.objects.values_list("seats_taken", flat=True).get(pk=meal.pk)
    return BookingResult(booking=booking, help_message=help_message)


class MissingConsent(BookingError):
    """An allergy or a diet without the guest's explicit consent (GDPR art. 9): nothing is kept."""


@dataclass(frozen=True)
class _Health:
    allergens: list[str]
    diets: list[str]
    consent_at: datetime | None
    remember: bool


def _health(*, allergens, diets, consent: bool, remember: bool, now: datetime) -> _Health:
    """The allergy and diet profile as asked, refused when unknown or without consent (the form says it first)."""
    from meals.allergies import ALLERGEN_CODES, DIET_CODES

    allergens, diets = list(allergens or []), list(diets or [])
    if any(code not in ALLERGEN_CODES for code in allergens) or any(code not in DIET_CODES for code in diets):
        raise InvalidBooking(_("Cette allergie ou ce régime n'existe pas."))
    if (allergens or diets) and not consent:
        raise MissingConsent(
            _("Pour noter une allergie ou un régime, cochez la case d'accord (ou décochez les allergies et le régime).")
        )
    allergens = [code for code in ALLERGEN_CODES if code in allergens]
    diets = [code for code in DIET_CODES if code in diets]
    return _Health(
        allergens=allergens, diets=diets, consent_at=now if (allergens or diets) else None, remember=remember
    )


def _may_remember(member: Member, *, by, privileged: bool) -> bool:
    """Whether this booking may write ``member``'s remembered profile.

    Anyone can type a known guest's email, and the profile fills her form when
    she signs in: only she (signed in) or a coordinator on the phone with her
    changes it. An anonymous booking only sets a first one, on a record
    without an account.
    """
    if privileged:
        return True
    if member.user_id is not None:
        return by is not None and by.pk == member.user_id
    return member.health_consent_at is None


def member_remember_health(*, member: Member, allergens: list[str], diets: list[str], now: datetime) -> None:
    """Keep (or, empty, forget) the member's allergy and diet profile, as they asked when booking."""
    member.allergens, member.diets = allergens, diets
    member.health_consent_at = now if (allergens or diets) else None
    member.save(update_fields=["allergens", "diets", "health_consent_at"])


@dataclass(frozen=True)
class _Request:
    """What was asked, cleaned: the contact in its canonical form (members/contacts.py)."""

    name: str
    email: str
    phone: str
    party_size: int
    notes: str
    help_with: str


def _validated(
    *, name: str, email: str, phone: str, party_size: int, notes: str, help_with: str, contact_optional: bool
) -> _Request:
    """Refuse what no meal could take (before any lock); the form says the same first."""
    name = (name or "").strip()
    if not name or len(name) > Booking._meta.get_field("name").max_length:
        raise InvalidBooking(_("Indiquez votre nom (200 caractères au plus)."))
    if party_size < 1:
        raise InvalidBooking(_("Il faut au moins une personne."))
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as error:
        raise InvalidBooking(str(error)) from error
    email = normalize_email(email)
    if not (email or phone or contact_optional):
        raise MissingContact(_("Laissez-nous un e-mail ou un numéro de téléphone, pour vous prévenir si besoin."))
    if help_with and help_with not in HELP_ROLES:
        raise InvalidBooking(_("Ce coup de main n'existe pas."))
    return _Request(
        name=name, email=email, phone=phone, party_size=party_size, notes=(notes or "").strip(), help_with=help_with
    )


def _refuse_if_closed(locked: Meal, *, now: datetime, privileged: bool) -> None:
    """A cancelled meal refuses everyone; outside its window, everyone but the coordinator."""
    if locked.is_cancelled:
        raise MealCancelled(_("Ce repas est annulé. Nous sommes désolés."))
    if privileged:
        return
    if now < locked.booking_opens_at:
        raise BookingClosed(_("Les réservations pour ce repas ne sont pas encore ouvertes."))
    if now >= locked.booking_closes_at:
        raise BookingClosed(
            _("Les réservations pour ce repas sont closes. Appelez la cantine, on trouvera une solution.")
        )


def _seat(booking: Booking, *, meal: Meal, now: datetime, beyond_capacity: bool) -> None:
    """Confirm ``booking`` if its seats are free (or, ``beyond_capacity``, squeeze it in), else waitlist it.

    ``meal`` is locked; its ``seats_taken`` is written here, in the same transaction.
    """
    size = booking.party_size
    if size <= seats_available(meal=meal, partner=booking.partner, now=now):
        booking.status = Booking.Status.CONFIRMED
        Meal.objects.filter(pk=meal.pk).update(seats_taken=F("seats_taken") + size)
    elif beyond_capacity:
        booking.status = Booking.Status.CONFIRMED
        booking.over_capacity = True
        Meal.objects.filter(pk=meal.pk).update(
            seats_taken=F("seats_taken") + size,
            # extra_seats grows so the constraint seats_taken <= capacity + extra_seats holds.
            extra_seats=max(meal.extra_seats, meal.seats_taken + size - meal.capacity),
        )
    else:
        booking.status = Booking.Status.WAITLISTED


def partner_booking_create(
    *,
    meal: Meal,
    partner,
    name: str,
    party_size: int = 1,
    notes: str = "",
    allergens: list[str] | tuple = (),
    diets: list[str] | tuple = (),
    health_consent: bool = False,
    by=None,
    now: datetime | None = None,
    key: str = "",
) -> Booking:
    """Book for someone a partner accompanies: a first name is enough.

    The booking rules apply (meal row lock, window, waiting list); the partner's
    unreleased block counts as free seats for it, and as taken for everyone else.
    A referent cancels with ``booking_cancel``, under the rules of the guest's own link.
    """
    return booking_create(
        meal=meal, name=name, party_size=party_size, notes=notes, allergens=allergens, diets=diets,
        health_consent=health_consent, by=by, partner=partner, now=now, key=key,
    )  # fmt: skip


def _live_booking(*, meal: Meal, email: str, phone: str) -> Booking | None:
    """The live booking of ``meal`` with this email or phone (the database allows one of each)."""
    contact = Q()
    if email:
        contact |= Q(email=email)
    if phone:
        contact |= Q(phone=phone)
    if not contact:
        return None
    return Booking.objects.filter(meal=meal).exclude(status=Booking.Status.CANCELLED).filter(contact).first()


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


class AlreadyCheckedIn(BookingError):
    """The guest came and was welcomed at the door: her seat was used."""


class MealOver(BookingError):
    """The meal has already taken place."""


def booking_cancel(*, booking: Booking, now: datetime | None = None) -> list[Booking]:
    """Cancel ``booking``: free its seats, promote the waiting list, release its shift slots.

    Returns the bookings promoted from the waiting list (``promote_waiting``).
    Cancelling twice does nothing the second time. Refused, with nothing
    written, once the meal is over (``MealOver``) or once the guest has been
    checked in at the door (``AlreadyCheckedIn``: she came, the seat was
    used; the desk undoes the check-in first if it was a mistake). So a
    confirmed booking always holds its seats, and ``seats_taken`` is exactly
    the seats of the confirmed bookings.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Meal, then its shifts (slots given back, slots taken by the promoted), then the booking.
        locked_meal = lock_meal(booking.meal_id, shifts=True)
        current = lock_booking(booking)
        if current.status == Booking.Status.CANCELLED:
            booking.status = current.status
            return []
        if locked_meal.ends_at < now:
            raise MealOver(_("Ce repas est passé."))
        if current.checked_in_at is not None:
            raise AlreadyCheckedIn(
                _("Vous êtes déjà passé·e à l'accueil : cette réservation ne peut plus être annulée ici.")
            )
        was_confirmed = current.status == Booking.Status.CONFIRMED
        current.status = Booking.Status.CANCELLED
        current.cancelled_at = now
        current.save(update_fields=["status", "cancelled_at"])
        if was_confirmed:
            Meal.objects.filter(pk=locked_meal.pk).update(seats_taken=F("seats_taken") - current.party_size)
            locked_meal.seats_taken -= current.party_size
        _release_signups(booking=current)
        promoted = promote_waiting(meal=locked_meal, now=now)
    booking.status = current.status
    booking.cancelled_at = current.cancelled_at
    return promoted


def promote_waiting(*, meal: Meal, now: datetime) -> list[Booking]:
    """Confirm the waiting bookings that fit in the seats free for them.

    Call with ``meal`` locked and its ``seats_taken`` current (it is kept so).
    First come, first served: a party too big for the free seats is skipped,
    the next one that fits goes in. A partner's waiting booking may use its
    partner's unreleased block; nobody else may. Each promoted guest takes
    the help slot offered when booking, if the team still has room, and is
    told: the message is queued in this transaction (meals/outbox.py). A guest
    with a phone only, promoted on the day of the meal, is also listed « à
    appeler » on the door desk. Nothing moves once the meal has started (the
    people waiting are not in the room) or if it is cancelled. Returns the
    promoted bookings.
    """
    from meals.emails import queue_booking_message

    if meal.is_cancelled or now >= meal.starts_at or meal.seats_taken >= meal.capacity:
        return []  # the last case: no seat is free for anyone, whatever the blocks
    waiting = list(
        Booking.objects.filter(meal=meal, status=Booking.Status.WAITLISTED)
        .select_related("member")
        .order_by("created_at", "pk")
    )
    if not waiting:
        return []
    promoted: list[Booking] = []
    # Seats free for a partner's people (or the public's, under None): seats_available(), asked once
    # per partner until someone goes in, so a long waiting list costs a few queries, not one each.
    free: dict[int | None, int] = {}
    for candidate in waiting:
        if candidate.party_size > meal.capacity - meal.seats_taken:
            continue  # too big even without the partners' blocks
        if candidate.partner_id not in free:
            free[candidate.partner_id] = seats_available(meal=meal, partner=candidate.partner_id, now=now)
        if candidate.party_size > free[candidate.partner_id]:
            continue
        if candidate.help_with and candidate.member_id:
            # The help they offered when they booked, if the team still has room
            # (the shift before the booking row, as the lock order wants).
            _claim_help(
                meal=meal, role=candidate.help_with, member=candidate.member, booking=candidate, by=None, now=now
            )
        candidate.status = Booking.Status.CONFIRMED
        candidate.promoted_at = now
        # Today, a text may be read too late: someone at the desk calls them as well.
        candidate.call_needed = bool(
            candidate.phone and not candidate.email and timezone.localdate(meal.starts_at) == timezone.localdate(now)
        )
        candidate.save(update_fields=["status", "promoted_at", "call_needed"])
        meal.seats_taken += candidate.party_size
        free.clear()  # the seats taken and the blocks used have changed
        promoted.append(candidate)
        queue_booking_message(candidate, "booking_promotion")
    if promoted:
        Meal.objects.filter(pk=meal.pk).update(seats_taken=meal.seats_taken)
    return promoted


def waitlist_promote(*, meal: Meal, now: datetime | None = None) -> list[Booking]:
    """Promote whoever now fits (e.g. a partner's block came to its release time). Safe to run any time."""
    now = now or timezone.now()
    with transaction.atomic():
        return promote_waiting(meal=lock_meal(meal, shifts=True), now=now)


def _release_signups(*, booking: Booking) -> None:
    """Give back the shift slots a guest took while booking (shift_release locks the shift)."""
    from meals.services.shifts import shift_release

    for signup in ShiftSignup.objects.filter(booking=booking).order_by("shift_id"):
        # force: the guest is cancelling the seat, however late; the slot must follow.
        shift_release(signup=signup, force=True)
