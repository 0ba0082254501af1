"""The door desk: check guests in, add walk-ins, record and void contributions, close the till.

Every write opens one transaction and locks the meal row FIRST with
``select_for_update()``: two coordinators (or one impatient double tap) queue
on the meal, so seats never exceed capacity, a contribution never lands in a
closed till and the expected cash of a closing is exactly the rows it counted.
Money is never edited nor deleted: a mistake is voided (who, when, why).
Audit is the who/when fields on the rows themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from meals.idempotency import claim, keep
from meals.models import Booking, Contribution, Meal, TillClosing
from meals.money import CENT, parse_amount
from meals.services.errors import DoorError, MealCancelled
from meals.services.locks import lock_booking, lock_meal
from members.models import Member, PaymentMethod

# The cash box may hold far more than one contribution's ceiling.
CASH_COUNT_CEILING = Decimal("99999.99")
MAX_WALK_IN_PARTY = 20


class MealFull(DoorError):
    pass


class TillClosed(DoorError):
    pass


class TillNotClosed(DoorError):
    pass


class InvalidContribution(DoorError):
    pass


class AlreadyVoided(DoorError):
    pass


class ReasonRequired(DoorError):
    pass


class OnReceipt(DoorError):
    """A gift on a live tax receipt: the receipt is cancelled first."""


class NotAGuest(DoorError):
    """A booking that is not a confirmed seat of this meal."""


def open_closing(meal: Meal) -> TillClosing | None:
    return TillClosing.objects.filter(meal=meal, reopened_at__isnull=True).first()


def _check_amount(amount: Decimal, *, ceiling: Decimal) -> Decimal:
    """The form already parsed it; callers that did not (shell, other code) meet the same rules and words."""
    try:
        return parse_amount(format(amount, "f") if isinstance(amount, Decimal) else amount, ceiling=ceiling)
    except ValueError as error:
        raise InvalidContribution(str(error)) from error


def _reason(text: str, *, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ReasonRequired(message)
    return text[:300]


# ----------------------------------------------------------------------------
# Check-in and walk-ins


def booking_check_in(*, booking: Booking, by, now: datetime | None = None, key: str = "") -> Booking:
    """Mark a confirmed booking as arrived. A second tap changes nothing (the first time stays)."""
    now = now or timezone.now()
    with transaction.atomic():
        meal = lock_meal(booking.meal_id)
        if (first := claim(key, "check_in", Booking)) is not None:
            return first
        locked = lock_booking(booking)
        if meal.is_cancelled:
            raise MealCancelled(_("Ce repas est annulé."))
        if locked.status != Booking.Status.CONFIRMED:
            raise NotAGuest(_("Cette réservation n'est pas confirmée : pas de place à pointer."))
        if locked.checked_in_at is None:
            locked.checked_in_at = now
            locked.checked_in_by = by
            locked.save(update_fields=["checked_in_at", "checked_in_by"])
        keep(key, "check_in", locked)
    booking.checked_in_at, booking.checked_in_by = locked.checked_in_at, locked.checked_in_by
    return locked


def booking_called(*, booking: Booking, key: str = "") -> None:
    """A guest promoted today with a phone only has been phoned: off the desk's « à appeler » list."""
    with transaction.atomic():
        lock_meal(booking.meal_id)
        if claim(key, "called") is not None:
            return
        Booking.objects.filter(pk=booking.pk, call_needed=True).update(call_needed=False)
        keep(key, "called", booking)


def booking_undo_check_in(*, booking: Booking, by, now: datetime | None = None, key: str = "") -> Booking:
    """Undo a check-in tapped by mistake.

    A walk-in exists only because someone came: undoing it removes them
    (booking cancelled, seats freed). A booked guest keeps her seat: she is
    only no longer marked as arrived. Seats freed before the meal starts go
    to the waiting list (``promote_waiting``); once it is under way, the
    people waiting are not in the room and nobody is promoted.

    A booking cancelled while checked in (the old rule let a guest cancel
    after arriving, keeping the seat as used) gives its seats back here.
    """
    from meals.services.booking import promote_waiting

    now = now or timezone.now()
    with transaction.atomic():
        meal = lock_meal(booking.meal_id, shifts=True)
        if (first := claim(key, "undo_check_in", Booking)) is not None:
            return first
        locked = lock_booking(booking)
        freed = 0
        keep(key, "undo_check_in", locked)
        if locked.is_walk_in:
            if locked.status == Booking.Status.CANCELLED:
                return locked
            locked.status = Booking.Status.CANCELLED
            locked.cancelled_at = now
            freed = locked.party_size
        elif locked.status == Booking.Status.CANCELLED and locked.checked_in_at is not None and not meal.is_cancelled:
            freed = min(locked.party_size, meal.seats_taken)
        locked.checked_in_at = None
        locked.checked_in_by = None
        locked.save(update_fields=["status", "cancelled_at", "checked_in_at", "checked_in_by"])
        if freed:
            Meal.objects.filter(pk=meal.pk).update(seats_taken=F("seats_taken") - freed)
            meal.seats_taken -= freed
            promote_waiting(meal=meal, now=now)
    booking.checked_in_at, booking.checked_in_by, booking.status = None, None, locked.status
    return locked


def walk_in_add(
    *,
    meal: Meal,
    name: str = "",
    party_size: int,
    by,
    squeeze: bool = False,
    now: datetime | None = None,
    key: str = "",
) -> Booking:
    """Seat people who came without booking. Counts against capacity.

    Beyond capacity only with ``squeeze=True`` (« on se serre »): ``extra_seats``
    grows so the database constraint holds, and the booking is marked
    ``over_capacity``. Otherwise raises ``MealFull``.
    """
    now = now or timezone.now()
    name = (name or "").strip()[:200]
    if not 1 <= int(party_size) <= MAX_WALK_IN_PARTY:
        raise DoorError(_("Entre 1 et %(max)s personnes.") % {"max": MAX_WALK_IN_PARTY})
    with transaction.atomic():
        locked = lock_meal(meal)
        if (first := claim(key, "walk_in", Booking)) is not None:
            return first
        if locked.is_cancelled:
            raise MealCancelled(_("Ce repas est annulé."))
        seats_after = locked.seats_taken + party_size
        over = seats_after > locked.capacity
        if over and not squeeze:
            left = max(locked.capacity - locked.seats_taken, 0)
            if left:
                message = ngettext(
                    "Il ne reste qu'une place. Cochez « On se serre » pour ajouter quand même.",
                    "Il ne reste que %(left)s places. Cochez « On se serre » pour ajouter quand même.",
                    left,
                ) % {"left": left}
            else:
                message = _("Le repas est complet. Cochez « On se serre » pour ajouter quand même.")
            raise MealFull(message)
        booking = Booking.objects.create(
            meal=locked,
            name=name,
            party_size=party_size,
            status=Booking.Status.CONFIRMED,
            is_walk_in=True,
            over_capacity=over,
            created_at=now,
            created_by=by,
            checked_in_at=now,
            checked_in_by=by,
        )
        updates = {"seats_taken": F("seats_taken") + party_size}
        if over:
            updates["extra_seats"] = max(locked.extra_seats, seats_after - locked.capacity)
        Meal.objects.filter(pk=locked.pk).update(**updates)
        keep(key, "walk_in", booking)
    meal.refresh_from_db(fields=["seats_taken", "extra_seats"])
    return booking


# ----------------------------------------------------------------------------
# Contributions


def contribution_record(
    *,
    meal: Meal,
    amount: Decimal,
    method: str,
    by,
    booking: Booking | None = None,
    kind: str = Contribution.Kind.MEAL,
    giver: Member | None = None,
    donation: Decimal | None = None,
    now: datetime | None = None,
    key: str = "",
) -> Contribution:
    """Record one free-price contribution (0 is fine: nobody is turned away).

    ``donation`` (« et 20 € en don ») adds a second row, a gift of the same
    giver by the same method, in the same transaction and under the same key.
    The giver is ``giver``, else the member of ``booking``. The row made for
    ``amount`` is returned; the gift, if any, is its ``donation_row``.
    """
    amount = _check_amount(amount, ceiling=Decimal(settings.CONTRIBUTION_CEILING))
    if method not in PaymentMethod.values:
        raise InvalidContribution(_("Choisissez un moyen de paiement de la liste."))
    if kind not in Contribution.Kind.values:
        raise InvalidContribution(_("Choisissez la nature de la somme dans la liste."))
    if donation is not None:
        donation = _check_amount(donation, ceiling=Decimal(settings.CONTRIBUTION_CEILING))
    gives = kind == Contribution.Kind.DONATION or bool(donation)
    if gives and method == PaymentMethod.VOUCHER:
        raise InvalidContribution(_("Un titre-restaurant paie un repas : ce n'est pas un don."))
    with transaction.atomic():
        locked = lock_meal(meal)
        if (first := claim(key, "contribution", Contribution)) is not None:
            return first
        if locked.is_cancelled:
            raise MealCancelled(_("Ce repas est annulé : il ne prend pas de participation."))
        if open_closing(locked) is not None:
            raise TillClosed(_("La caisse de ce repas est close. Rouvrez-la (avec une raison) pour enregistrer."))
        if booking is not None:
            current = Booking.objects.filter(pk=booking.pk).values("meal_id", "status", "member_id").first()
            if current is None or current["meal_id"] != locked.pk:
                raise NotAGuest(_("Cette réservation n'est pas pour ce repas."))
            if current["status"] == Booking.Status.CANCELLED:
                raise NotAGuest(_("Cette réservation est annulée."))
            if giver is None and current["member_id"]:
                giver = Member.objects.get(pk=current["member_id"])
        now = now or timezone.now()
        values = {"meal": locked, "booking": booking, "giver": giver, "method": method, "recorded_by": by}
        contribution = Contribution.objects.create(kind=kind, amount=amount, recorded_at=now, **values)
        contribution.donation_row = None
        if donation:
            contribution.donation_row = Contribution.objects.create(
                kind=Contribution.Kind.DONATION, amount=donation, recorded_at=now, **values
            )
        return keep(key, "contribution", contribution)


def contribution_void(
    *, contribution: Contribution, by, reason: str, now: datetime | None = None, key: str = ""
) -> Contribution:
    """Void a mistaken contribution (never delete it): who, when, why."""
    reason = _reason(reason, message=_("Dites pourquoi vous annulez cette participation."))
    with transaction.atomic():
        meal = lock_meal(contribution.meal_id)
        if (first := claim(key, "void", Contribution)) is not None:
            return first
        locked = Contribution.objects.select_for_update().get(pk=contribution.pk)
        if locked.voided_at is not None:
            raise AlreadyVoided(_("Cette participation est déjà annulée."))
        if locked.receipt_lines.filter(live=True).exists():
            raise OnReceipt(_("Ce don figure sur un reçu fiscal : annulez d'abord le reçu (page « Dons et reçus »)."))
        if open_closing(meal) is not None:
            # A closing counted these rows: changing them would silently change its figures.
            raise TillClosed(_("La caisse de ce repas est close. Rouvrez-la (avec une raison) pour annuler."))
        locked.voided_at = now or timezone.now()
        locked.voided_by = by
        locked.void_reason = reason
        locked.save(update_fields=["voided_at", "voided_by", "void_reason"])
        keep(key, "void", locked)
    contribution.voided_at, contribution.voided_by, contribution.void_reason = (
        locked.voided_at,
        locked.voided_by,
        locked.void_reason,
    )
    return locked


# ----------------------------------------------------------------------------
# Till


def expected_cash(meal: Meal) -> Decimal:
    total = sum(
        Contribution.objects.filter(meal=meal, method=PaymentMethod.CASH, voided_at__isnull=True).values_list(
            "amount", flat=True
        ),
        Decimal("0.00"),
    )
    return total.quantize(CENT)


def till_close(
    *, meal: Meal, counted_cash: Decimal, by, note: str = "", now: datetime | None = None, key: str = ""
) -> TillClosing:
    """Close the till: the cash counted against the cash the non-voided cash rows say."""
    counted_cash = _check_amount(counted_cash, ceiling=CASH_COUNT_CEILING)
    with transaction.atomic():
        locked = lock_meal(meal)
        if (first := claim(key, "till_close", TillClosing)) is not None:
            return first
        if open_closing(locked) is not None:
            raise TillClosed(_("La caisse de ce repas est déjà close."))
        closing = TillClosing.objects.create(
            meal=locked,
            counted_cash=counted_cash,
            expected_cash=expected_cash(locked),
            note=(note or "").strip()[:500],
            closed_at=now or timezone.now(),
            closed_by=by,
        )
        return keep(key, "till_close", closing)


def till_reopen(*, meal: Meal, by, reason: str, now: datetime | None = None, key: str = "") -> TillClosing:
    """Reopen a closed till, with a reason; the closing row stays as it was counted."""
    reason = _reason(reason, message=_("Dites pourquoi vous rouvrez la caisse."))
    with transaction.atomic():
        locked = lock_meal(meal)
        if (first := claim(key, "till_reopen", TillClosing)) is not None:
            return first
        closing = TillClosing.objects.select_for_update().filter(meal=locked, reopened_at__isnull=True).first()
        if closing is None:
            raise TillNotClosed(_("La caisse de ce repas n'est pas close."))
        closing.reopened_at = now or timezone.now()
        closing.reopened_by = by
        closing.reopen_reason = reason
        closing.save(update_fields=["reopened_at", "reopened_by", "reopen_reason"])
        keep(key, "till_reopen", closing)
    return closing


# ----------------------------------------------------------------------------
# Totals (read-only; computed from rows already fetched, so the desk's query count stays flat)


@dataclass
class MethodTotal:
    method: str
    label: str
    amount: Decimal
    count: int


@dataclass
class Totals:
    total: Decimal = Decimal("0.00")
    contributors: int = 0
    covers: int = 0
    cost_price: Decimal = Decimal("0.00")
    by_method: list[MethodTotal] = field(default_factory=list)
    cash: Decimal = Decimal("0.00")
    # By kind of money: what pays the meals (guests' and partners' payments) is held against the cost price;
    # gifts and membership fees are not the price of a meal.
    by_kind: dict[str, Decimal] = field(default_factory=dict)

    @property
    def meal_total(self) -> Decimal:
        return self.by_kind.get(Contribution.Kind.MEAL, Decimal("0.00")) + self.by_kind.get(
            Contribution.Kind.PARTNER, Decimal("0.00")
        )

    @property
    def donations(self) -> Decimal:
        return self.by_kind.get(Contribution.Kind.DONATION, Decimal("0.00"))

    @property
    def memberships(self) -> Decimal:
        return self.by_kind.get(Contribution.Kind.MEMBERSHIP, Decimal("0.00"))

    @property
    def average_per_cover(self) -> Decimal | None:
        if not self.covers:
            return None
        return (self.meal_total / self.covers).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def gap_per_cover(self) -> Decimal | None:
        """Average minus cost price: negative when the contributions fall short."""
        average = self.average_per_cover
        return None if average is None else average - self.cost_price

    @property
    def shortfall_per_cover(self) -> Decimal | None:
        gap = self.gap_per_cover
        return None if gap is None or gap >= 0 else -gap

    @property
    def covers_cost(self) -> bool:
        average = self.average_per_cover
        return average is not None and average >= self.cost_price


def door_totals(*, meal: Meal, contributions, covers: int) -> Totals:
    """Totals of the non-voided ``contributions`` (an iterable already fetched)."""
    sums: dict[str, list] = {}
    totals = Totals(covers=covers, cost_price=meal.cost_price)
    for contribution in contributions:
        if contribution.voided_at is not None:
            continue
        entry = sums.setdefault(contribution.method, [Decimal("0.00"), 0])
        entry[0] += contribution.amount
        entry[1] += 1
        totals.total += contribution.amount
        kind = getattr(contribution, "kind", Contribution.Kind.MEAL)
        totals.by_kind[kind] = totals.by_kind.get(kind, Decimal("0.00")) + contribution.amount
        # A gift comes with a meal's payment (or from someone who is not a guest): not one more contributor.
        if kind != Contribution.Kind.DONATION:
            totals.contributors += 1
    labels = dict(PaymentMethod.choices)
    totals.by_method = [
        MethodTotal(method=value, label=str(labels[value]), amount=sums[value][0], count=sums[value][1])
        for value in PaymentMethod.values
        if value in sums
    ]
    totals.cash = sums.get(PaymentMethod.CASH, [Decimal("0.00")])[0]
    return totals
