"""Twenty bookings from one address at the same instant, on PostgreSQL: exactly the allowed number go through."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from meals.models import Booking
from tests.conftest import create_meal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 20


def test_a_burst_from_one_address_gets_exactly_the_allowed_bookings(settings):
    settings.BOOKING_RATE_LIMIT = "5/d"  # a day: no window boundary within the burst
    meal = create_meal(capacity=100)
    barrier = threading.Barrier(SENDERS)
    statuses: list = [None] * SENDERS

    def send(n: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = Client(REMOTE_ADDR="203.0.113.7").post(
                reverse("meals:book", args=[meal.pk]),
                {"name": f"Invité {n}", "email": f"burst{n}@example.org", "party_size": "1"},
            )
            statuses[n] = response.status_code
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            statuses[n] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(SENDERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(statuses) == [302] * 5 + [429] * 15
    assert Booking.objects.filter(meal=meal).count() == 5
