"""50 guests book a 10-seat meal at the same instant: exactly 10 seats go."""

import pytest
from django.test import Client
from django.urls import reverse

from meals.models import Booking
from tests.conftest import all_at_once
from tests.gunicorn import booking_post, posted_together, sqlite_app

GUESTS = 50


def book_all_at_once(meal) -> list:
    def guest(n: int) -> int:
        return (
            Client()
            .post(
                reverse("meals:book", args=[meal.pk]),
                {"name": f"Invité {n}", "email": f"guest{n}@example.org", "party_size": "1"},
            )
            .status_code
        )

    return all_at_once(GUESTS, guest)


def assert_exactly_ten_confirmed(meal, results) -> None:
    assert results == [302] * GUESTS
    meal.refresh_from_db()
    confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
    assert meal.seats_taken == 10
    assert sum(confirmed.values_list("party_size", flat=True)) == 10
    assert confirmed.count() == 10
    assert Booking.objects.filter(meal=meal, status=Booking.Status.WAITLISTED).count() == GUESTS - 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_confirm_exactly_ten_on_postgresql(make_meal, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    meal = make_meal(capacity=10)
    assert_exactly_ten_confirmed(meal, book_all_at_once(meal))


# SQLite: real threads cannot race on the suite's in-memory database; the app runs
# as in production instead, with 50 real HTTP clients (tests/gunicorn.py).


@pytest.mark.slow
def test_fifty_simultaneous_bookings_confirm_exactly_ten_on_sqlite_with_gunicorn(tmp_path):
    # Its own SQLite file and gunicorn: runs the same whatever database the suite uses (tests/gunicorn.py).
    app = sqlite_app(tmp_path / "race.sqlite3")
    meal_pk = app.create_meal(capacity=10)
    with app.served("--workers", "3", "--threads", "8") as base:
        results = posted_together(
            GUESTS, lambda n: booking_post(base, meal_pk, name=f"Invité {n}", email=f"guest{n}@example.org")
        )
    assert results == [302] * GUESTS
    assert app.seat_counts(meal_pk) == [10, 10, 10, 40]
