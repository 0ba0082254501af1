"""Purchases for the demo and the benchmark's year (issue 17): a few suppliers, two purchases of three
lines for each meal, each linked whole to its meal. Written with ``bulk_create``: seconds for a year."""

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from meals.models import Meal, MealSupply, Purchase, PurchaseLine, Supplier

BATCH = 1000
SUPPLIERS = [
    ("Ferme des Trois Chênes", Supplier.Kind.PRODUCER, 45),
    ("Maraîcher du Vexin", Supplier.Kind.PRODUCER, 60),
    ("Biocoop des Lilas", Supplier.Kind.SHOP, 1),
    ("Grossiste Rungis", Supplier.Kind.WHOLESALER, 12),
    ("Épicerie solidaire du quartier", Supplier.Kind.ANTI_WASTE, 1),
]
# (product, kg, € per kg, organic, bulk)
PRODUCE = [
    ("Carottes", 8, "2.40", True, True),
    ("Pommes de terre", 12, "1.60", True, True),
    ("Poireaux", 5, "3.20", True, False),
    ("Potimarron", 6, "2.80", True, False),
    ("Pommes", 6, "2.90", False, False),
    ("Œufs", 3, "6.50", True, False),
]
GROCERIES = [
    ("Lentilles", 4, "3.10", True, True),
    ("Riz", 4, "2.20", False, True),
    ("Huile d'olive", 2, "9.50", True, False),
    ("Fromage", 2, "14.00", False, False),
]


def seed_purchases(*, rng: random.Random, meals: list[Meal] | None = None, by=None) -> int:
    """Two purchases for each meal (its produce, and groceries or unsold bread); returns the purchases made."""
    meals = list(Meal.objects.scheduled().order_by("starts_at")) if meals is None else meals
    suppliers = {
        name: Supplier.objects.get_or_create(name=name, defaults={"kind": kind, "distance_km": km})[0]
        for name, kind, km in SUPPLIERS
    }
    producers = [suppliers[name] for name, kind, _km in SUPPLIERS if kind == Supplier.Kind.PRODUCER]
    today = timezone.localdate()
    purchases, plans = [], []
    for meal in meals:
        day = timezone.localtime(meal.starts_at).date() - timedelta(days=1)
        if day > today:
            continue  # not bought yet
        produce = Purchase(date=day, supplier=rng.choice(producers), created_by=by)
        second_saved = rng.random() < 0.3
        if second_saved:
            second = Purchase(date=day, supplier=suppliers["Épicerie solidaire du quartier"], created_by=by)
        elif rng.random() < 0.2:
            second = Purchase(
                date=day,
                supplier=suppliers["Biocoop des Lilas"],
                paid_by=Purchase.PaidBy.VOLUNTEER,
                reimburse_to="Karim",
                reimbursed_on=day + timedelta(days=7) if day + timedelta(days=7) <= today else None,
                created_by=by,
            )
        else:
            second = Purchase(date=day, supplier=suppliers["Grossiste Rungis"], created_by=by)
        purchases += [produce, second]
        plans.append((meal, produce, second, second_saved))
    Purchase.objects.bulk_create(purchases, batch_size=BATCH)
    lines, supplies = [], []
    for meal, produce, second, saved in plans:
        for name, kg, price, organic, bulk in rng.sample(PRODUCE, k=3):
            lines.append(_line(produce, name, kg, price, organic=organic, bulk=bulk, local=True))
        if saved:
            lines.append(
                PurchaseLine(
                    purchase=second,
                    product="Pain invendu",
                    weight_kg=Decimal(rng.choice(["3", "4", "6"])),
                    saved=True,
                    is_gift_in_kind=True,
                    valuation=Decimal("12.00"),
                )
            )
        else:
            for name, kg, price, organic, bulk in rng.sample(GROCERIES, k=3):
                lines.append(_line(second, name, kg, price, organic=organic, bulk=bulk))
        supplies += [MealSupply(meal=meal, purchase=produce), MealSupply(meal=meal, purchase=second)]
    PurchaseLine.objects.bulk_create(lines, batch_size=BATCH)
    MealSupply.objects.bulk_create(supplies, batch_size=BATCH)
    return len(purchases)


def _line(purchase, name, kg, price, **labels) -> PurchaseLine:
    weight = Decimal(kg)
    return PurchaseLine(
        purchase=purchase,
        product=name,
        weight_kg=weight,
        amount=(weight * Decimal(price)).quantize(Decimal("0.01")),
        **labels,
    )
