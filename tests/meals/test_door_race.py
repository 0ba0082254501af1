"""The door desk under real parallel requests, on PostgreSQL (row locks are real there)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from meals.models import Booking, Contribution
from meals.services.door import door_totals
from tests.conftest import all_at_once


def all_at_once_as(user, count: int, post) -> list:
    """``post(client, n)`` from ``count`` logged-in clients released together; the status codes."""
    clients = [Client() for _ in range(count)]
    for client in clients:
        client.force_login(user)
    return all_at_once(count, lambda n: post(clients[n], n).status_code)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_contributions_at_once_make_twenty_rows_and_exact_totals(make_meal, coordinator):
    meal = make_meal(capacity=40)
    url = reverse("meals:record_contribution", args=[meal.pk])
    # 20 different amounts with cents, in cash and by card: a lost or doubled row shows in the sum.
    amounts = [Decimal(f"{n + 1}.{n * 5 % 100:02d}") for n in range(20)]
    methods = ["cash" if n % 2 else "card" for n in range(20)]

    def post(client, n):
        return client.post(url, {"amount": f"{amounts[n]}".replace(".", ","), "method": methods[n]})

    results = all_at_once_as(coordinator, 20, post)
    assert results == [302] * 20
    rows = Contribution.objects.filter(meal=meal)
    assert rows.count() == 20
    totals = door_totals(meal=meal, contributions=rows, covers=20)
    assert totals.total == sum(amounts)
    assert totals.cash == sum(a for a, m in zip(amounts, methods, strict=True) if m == "cash")
    assert sorted(rows.values_list("amount", flat=True)) == sorted(amounts)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_walk_ins_racing_for_the_last_seats_stay_within_capacity(make_meal, coordinator):
    meal = make_meal(capacity=10)
    Booking.objects.create(meal=meal, name="Déjà là", party_size=7)
    meal.seats_taken = 7
    meal.save(update_fields=["seats_taken"])
    url = reverse("meals:door_walk_in", args=[meal.pk])

    def post(client, n):
        return client.post(url, {"name": f"Passant {n}", "party_size": "1"})

    results = all_at_once_as(coordinator, 12, post)
    # Three walk-ins get a seat (redirect); the others see « complet » in the page.
    assert sorted(results) == [200] * 9 + [302] * 3
    meal.refresh_from_db()
    assert meal.seats_taken == 10
    assert meal.extra_seats == 0
    assert Booking.objects.filter(meal=meal, is_walk_in=True).count() == 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_contributions_racing_a_till_closing_are_either_counted_or_refused(make_meal, coordinator):
    meal = make_meal()
    record_url = reverse("meals:record_contribution", args=[meal.pk])
    close_url = reverse("meals:door_till_close", args=[meal.pk])

    def post(client, n):
        if n == 0:
            return client.post(close_url, {"counted_cash": "0"})
        return client.post(record_url, {"amount": "5", "method": "cash"})

    results = all_at_once_as(coordinator, 11, post)
    assert results[0] == 302
    closing = meal.till_closings.get()
    # Every contribution that got in is in the closing's expected cash; the later ones were refused.
    recorded = Contribution.objects.filter(meal=meal).count()
    assert results[1:].count(302) == recorded
    assert results[1:].count(200) == 10 - recorded
    assert closing.expected_cash == Decimal("5.00") * recorded
