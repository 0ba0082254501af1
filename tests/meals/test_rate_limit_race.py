"""Twenty bookings from one address at the same instant, on PostgreSQL: exactly the allowed number go through."""

import pytest
from django.test import Client
from django.urls import reverse

from meals.models import Booking
from tests.conftest import all_at_once, create_meal

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SENDERS = 20


def test_a_burst_from_one_address_gets_exactly_the_allowed_bookings(settings):
    settings.BOOKING_RATE_LIMIT = "5/d"  # a day: no window boundary within the burst
    meal = create_meal(capacity=100)

    def send(n: int) -> int:
        response = Client(REMOTE_ADDR="203.0.113.7").post(
            reverse("meals:book", args=[meal.pk]),
            {"name": f"Invité {n}", "email": f"burst{n}@example.org", "party_size": "1"},
        )
        return response.status_code

    statuses = all_at_once(SENDERS, send)
    assert sorted(statuses) == [302] * 5 + [429] * 15
    assert Booking.objects.filter(meal=meal).count() == 5
