"""The next meals and each meal's page are kept until a write changes the ``meals`` generation, or the clock does."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.cache import generation
from meals.models import SeatBlock, Shift
from meals.services.booking import booking_create
from meals.services.planning import meal_update, seat_block_set
from meals.services.shifts import shift_claim
from members.models import Partner
from tests.conftest import create_meal

pytestmark = pytest.mark.django_db

UPCOMING = reverse("meals:upcoming")


def meal_at(starts_at, **fields):
    values = {
        "day": timezone.localdate(starts_at),
        "starts_at": starts_at,
        "cooking_starts_at": starts_at - timedelta(hours=3),
        "ends_at": starts_at + timedelta(hours=2),
        "booking_opens_at": starts_at - timedelta(days=20),
        "booking_closes_at": starts_at - timedelta(hours=2),
    }
    return create_meal(**(values | fields))


def page(client) -> str:
    return client.get(UPCOMING).content.decode()


def test_a_warm_page_costs_one_query(client):
    meal_at(timezone.now() + timedelta(days=2))
    page(client)
    with CaptureQueriesContext(connection) as queries:
        assert "Je réserve" in page(client)
    assert len(queries) == 1  # the generation and the cards, in one read of the cache


def test_the_meals_generation_follows_bookings_claims_seat_blocks_and_edits(client, guest):
    meal = meal_at(timezone.now() + timedelta(days=2))
    partner = Partner.objects.create(name="Les Amis du Quartier")
    writes = [
        lambda: booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=1),
        lambda: shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=guest),
        lambda: seat_block_set(meal=meal, partner=partner, seats=2, release_at=meal.starts_at),
        lambda: meal_update(meal=meal, values={"dessert": "Tarte aux pommes"}),
    ]
    for write in writes:
        page(client)
        assert generation("meals") is not None
        write()
        assert generation("meals") is None, write


def test_booking_closes_on_a_kept_page_when_its_time_comes(client, clock):
    now, move = clock
    meal_at(now + timedelta(hours=5), booking_closes_at=now + timedelta(hours=1))
    assert "Je réserve" in page(client)
    move(timedelta(hours=1, seconds=1))
    later = page(client)
    assert "Je réserve" not in later and "Voir ce repas" in later


def test_booking_opens_on_a_kept_page_when_its_time_comes(client, clock):
    now, move = clock
    meal_at(now + timedelta(days=3), booking_opens_at=now + timedelta(hours=1))
    assert "Je réserve" not in page(client)
    move(timedelta(hours=1, seconds=1))
    assert "Je réserve" in page(client)


def test_held_seats_return_to_the_public_on_a_kept_page(client, clock):
    now, move = clock
    meal = meal_at(now + timedelta(days=2), capacity=10)
    partner = Partner.objects.create(name="Les Amis du Quartier")
    SeatBlock.objects.create(meal=meal, partner=partner, seats=4, release_at=now + timedelta(hours=1))
    assert "Il reste 6 places" in page(client)
    move(timedelta(hours=1, seconds=1))
    assert "Il reste 10 places" in page(client)


def test_a_meal_leaves_the_kept_page_when_it_ends_and_enters_two_weeks_ahead(client, clock):
    now, move = clock
    ending = meal_at(now - timedelta(hours=1), title="Déjeuner en cours")
    type(ending).objects.filter(pk=ending.pk).update(ends_at=now + timedelta(minutes=30))
    meal_at(now + timedelta(days=14, hours=12), title="Déjeuner lointain")
    first = page(client)
    assert "Déjeuner en cours" in first and "Déjeuner lointain" not in first
    move(timedelta(days=1))
    later = page(client)
    assert "Déjeuner en cours" not in later and "Déjeuner lointain" in later


def test_a_warm_meal_page_costs_one_query_and_follows_a_booking(client):
    meal = meal_at(timezone.now() + timedelta(days=2), capacity=10)
    url = reverse("meals:meal", args=[meal.pk])
    assert "Il reste 10 places" in client.get(url).content.decode()
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) == 1
    booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=3)
    assert "Il reste 7 places" in client.get(url).content.decode()


def test_a_kept_meal_page_closes_its_form_when_booking_closes(client, clock):
    now, move = clock
    meal = meal_at(now + timedelta(hours=5), booking_closes_at=now + timedelta(hours=1))
    url = reverse("meals:meal", args=[meal.pk])
    assert 'name="party_size"' in client.get(url).content.decode()
    move(timedelta(hours=1, seconds=1))
    assert 'name="party_size"' not in client.get(url).content.decode()
