"""Purchases and what went into which meal (issue 17). The figures are in ``meals.sourcing``.

A purchase hangs from no meal, so recording one locks nothing: its one-time
key (``meals.idempotency``) makes a double tap write it once. Linking it to a
meal locks the meal first, then the purchase row (the lock order of
meals/services/locks.py, with purchases after meals): two coordinators who
share out the same purchase at once cannot give more than 100 % of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from meals.idempotency import claim, keep
from meals.models import Meal, MealSupply, Purchase, PurchaseLine, Supplier
from meals.services.locks import lock_meal

HUNDRED = Decimal("100")


class SourcingError(Exception):
    """Something the purchases' pages cannot do; the message is for the coordinator (French source)."""


class OverShared(SourcingError):
    pass


class NoLines(SourcingError):
    pass


@dataclass(frozen=True)
class LineValues:
    product: str
    weight_kg: Decimal
    amount: Decimal
    quantity: Decimal | None = None
    unit: str = ""
    organic: bool = False
    local: bool = False
    bulk: bool = False
    saved: bool = False
    is_gift_in_kind: bool = False
    valuation: Decimal = Decimal("0.00")


def supplier_create(*, name: str, kind: str, distance_km: int | None) -> Supplier:
    return Supplier.objects.create(name=name.strip(), kind=kind, distance_km=distance_km)


def purchase_create(
    *,
    day: date,
    supplier: Supplier,
    paid_by: str,
    reimburse_to: str = "",
    note: str = "",
    receipt=None,
    lines: list[LineValues],
    meal: Meal | None = None,
    share: Decimal = HUNDRED,
    by=None,
    key: str = "",
) -> Purchase:
    """Record a purchase and its lines (and, if given, the share of it that goes into ``meal``)."""
    if not lines:
        raise NoLines(_("Ajoutez au moins une ligne : un produit et son montant."))
    with transaction.atomic():
        if meal is not None:
            meal = lock_meal(meal)
        if (first := claim(key, "purchase", Purchase)) is not None:
            return first
        purchase = Purchase.objects.create(
            date=day,
            supplier=supplier,
            paid_by=paid_by,
            reimburse_to=reimburse_to.strip() if paid_by == Purchase.PaidBy.VOLUNTEER else "",
            note=note,
            receipt=receipt or "",
            created_by=by,
        )
        PurchaseLine.objects.bulk_create(
            PurchaseLine(
                purchase=purchase,
                **{name: getattr(values, name) for name in LineValues.__dataclass_fields__},
            )
            for values in lines
        )
        if meal is not None:
            MealSupply.objects.create(meal=meal, purchase=purchase, share=share)
        return keep(key, "purchase", purchase)


def meal_supply_set(*, meal: Meal, purchase: Purchase, share: Decimal, key: str = "") -> MealSupply | None:
    """Give ``share`` % of ``purchase`` to ``meal`` (0 removes the link). The shares of a purchase add up to 100 %
    at most: ``OverShared`` says how much is left."""
    with transaction.atomic():
        meal = lock_meal(meal)
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if claim(key, "meal_supply") is not None:
            return MealSupply.objects.filter(meal=meal, purchase=purchase).first()
        given = (
            MealSupply.objects.filter(purchase=purchase).exclude(meal=meal).aggregate(total=Sum("share"))["total"] or 0
        )
        left = HUNDRED - Decimal(given)
        if share > left:
            raise OverShared(
                _("Il ne reste que %(left)s %% de cet achat à répartir : les autres repas en ont déjà %(given)s %%.")
                % {"left": _plain(left), "given": _plain(Decimal(given))}
            )
        if share <= 0:
            MealSupply.objects.filter(meal=meal, purchase=purchase).delete()
            keep(key, "meal_supply", 0)
            return None
        supply, _created = MealSupply.objects.update_or_create(meal=meal, purchase=purchase, defaults={"share": share})
        return keep(key, "meal_supply", supply)


def meal_cost_price_set(*, meal: Meal, overridden: bool, cost_price: Decimal, note: str) -> Meal:
    """Fix the meal's cost price by hand (with why), or go back to the computed one."""
    with transaction.atomic():
        meal = lock_meal(meal)
        meal.cost_price_overridden = overridden
        meal.cost_price_note = note.strip() if overridden else ""
        if overridden:
            meal.cost_price = cost_price
        meal.save(update_fields=["cost_price_overridden", "cost_price_note", "cost_price", "updated_at"])
        return meal


def purchase_reimburse(*, purchase: Purchase, on: date) -> Purchase:
    with transaction.atomic():
        purchase = Purchase.objects.select_for_update().get(pk=purchase.pk)
        if purchase.paid_by == Purchase.PaidBy.VOLUNTEER and purchase.reimbursed_on is None:
            purchase.reimbursed_on = on
            purchase.save(update_fields=["reimbursed_on"])
        return purchase


def _plain(value: Decimal) -> str:
    """« 50 » rather than « 50.00 » in a message."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")
