"""Planning rules under real concurrency (PostgreSQL): seat blocks and cancellations."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, SeatBlock
from tests.conftest import make_user

PUBLIC = 10
PARTNER = 10


def run_together(jobs) -> list:
    barrier = threading.Barrier(len(jobs))
    results: list = [None] * len(jobs)

    def run(n: int, job) -> None:
        try:
            barrier.wait(timeout=30)
            results[n] = job()
        except Exception as exc:  # noqa: BLE001 - reported by the assertions
            results[n] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(n, job)) for n, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def public_booking(meal, n: int):
    def job():
        return (
            Client()
            .post(
                reverse("meals:book", args=[meal.pk]),
                {"name": f"Invité {n}", "email": f"guest{n}@example.org", "party_size": "1"},
            )
            .status_code
        )

    return job


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_public_and_referent_racing_never_take_the_partners_held_seats(make_meal, partner, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    meal = make_meal(capacity=10)
    SeatBlock.objects.create(meal=meal, partner=partner, seats=5, release_at=timezone.now() + timedelta(hours=6))
    referent = make_user("sophie@example.org", group="partner", name="Sophie Garnier")
    partner.referents.add(referent)

    def partner_booking(n: int):
        def job():
            client = Client()
            client.force_login(referent)
            url = reverse("members:partner_bookings", args=[partner.pk])
            return client.post(url, {"meal": meal.pk, "name": f"Accompagné {n}", "party_size": 1}).status_code

        return job

    jobs = [public_booking(meal, n) for n in range(PUBLIC)] + [partner_booking(n) for n in range(PARTNER)]
    results = run_together(jobs)
    assert results == [302] * (PUBLIC + PARTNER)
    meal.refresh_from_db()
    confirmed = Booking.objects.filter(meal=meal, status=Booking.Status.CONFIRMED)
    assert meal.seats_taken == 10 and confirmed.count() == 10
    assert confirmed.filter(partner__isnull=True).count() <= 5
    assert confirmed.filter(partner=partner).count() >= 5
    assert Booking.objects.filter(meal=meal, status=Booking.Status.WAITLISTED).count() == 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_cancelling_a_meal_while_guests_book_leaves_no_live_booking(make_meal, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    meal = make_meal(capacity=10)
    coordinator = make_user("claire@example.org", group="coordinator", name="Claire Morel")

    def cancel():
        client = Client()
        client.force_login(coordinator)
        return client.post(reverse("meals:planning_cancel", args=[meal.pk]), {"reason": "Panne"}).status_code

    results = run_together([public_booking(meal, n) for n in range(15)] + [cancel])
    assert results[-1] == 200
    assert all(code in {200, 302, 400, 409} for code in results[:-1]), results
    meal.refresh_from_db()
    assert meal.is_cancelled and meal.seats_taken == 0
    assert not Booking.objects.filter(meal=meal).exclude(status=Booking.Status.CANCELLED).exists()
