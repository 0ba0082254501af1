"""A purchase shared out between meals by coordinators at the same time, on PostgreSQL (row locks are real there)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meals.idempotency import new_key
from meals.models import MealSupply, Purchase, PurchaseLine, Supplier
from tests.conftest import all_at_once


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_meals_racing_for_shares_of_one_purchase_never_get_more_than_100_percent(make_meal, coordinator):
    farm = Supplier.objects.create(name="Ferme", kind=Supplier.Kind.PRODUCER, distance_km=20)
    purchase = Purchase.objects.create(date=timezone.localdate(), supplier=farm)
    PurchaseLine.objects.create(purchase=purchase, product="Carottes", weight_kg=Decimal("10"), amount=Decimal("20"))
    meals = [make_meal(day=timezone.localdate() + timedelta(days=n + 1), shifts=False) for n in range(10)]
    url = reverse("meals:purchase", args=[purchase.pk])
    clients = [Client() for _ in meals]
    for client in clients:
        client.force_login(coordinator)

    def post(n):
        # 30 % each: three fit (90 %), a fourth would make 120 %.
        return clients[n].post(url, {"form_key": new_key(), "meal": meals[n].pk, "share": "30"}).status_code

    results = all_at_once(10, post)
    assert sorted(results) == [200] * 7 + [302] * 3, results  # 200: the page says what is left
    assert MealSupply.objects.filter(purchase=purchase).count() == 3
    assert sum(MealSupply.objects.values_list("share", flat=True)) == Decimal("90")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_purchase_double_tapped_from_two_connections_is_recorded_once(coordinator):
    farm = Supplier.objects.create(name="Ferme", kind=Supplier.Kind.PRODUCER)
    key = new_key()
    data = {
        "form_key": key,
        "date": timezone.localdate().isoformat(),
        "supplier": str(farm.pk),
        "paid_by": "cantine",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-product": "Pain",
        "lines-0-weight_kg": "2",
        "lines-0-amount": "6",
    }
    clients = [Client() for _ in range(5)]
    for client in clients:
        client.force_login(coordinator)
    results = all_at_once(5, lambda n: clients[n].post(reverse("meals:purchase_new"), data).status_code)
    assert results == [302] * 5
    assert Purchase.objects.count() == 1 and PurchaseLine.objects.count() == 1
