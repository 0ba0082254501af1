"""A meal that has happened offers neither seats nor hands: its pages say when it took place."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking
from meals.services.booking import booking_create


@pytest.fixture
def past_meal(make_meal):
    """Yesterday's lunch: 2 of 10 seats taken, every shift still short of hands."""
    meal = make_meal(day=timezone.localdate() - timedelta(days=1))
    meal.seats_taken = 2
    meal.save(update_fields=["seats_taken"])
    return meal


def test_past_meal_page_says_it_took_place_and_offers_no_seat_nor_hand(client, past_meal):
    html = client.get(reverse("meals:meal", args=[past_meal.pk])).content.decode()
    assert "Ce repas a eu lieu le" in html
    assert "Il reste" not in html and "Plus qu" not in html
    assert "On cherche des bras" not in html
    assert 'name="party_size"' not in html


def test_past_meal_page_offers_no_booking_on_behalf(client, coordinator, past_meal):
    client.force_login(coordinator)
    html = client.get(reverse("meals:meal", args=[past_meal.pk])).content.decode()
    assert reverse("meals:book_on_behalf", args=[past_meal.pk]) not in html
    assert "Ce repas a eu lieu le" in html


def test_the_same_meal_offers_seats_and_hands_until_it_ends(client, clock, make_meal):
    now, move = clock
    meal = make_meal()
    url = reverse("meals:meal", args=[meal.pk])
    before = client.get(url).content.decode()
    assert "Il reste 10 places" in before and "On cherche des bras" in before
    move(meal.ends_at - now + timedelta(minutes=1))
    after = client.get(url).content.decode()
    assert "Il reste" not in after and "On cherche des bras" not in after
    assert "Ce repas a eu lieu le" in after


def test_booking_page_of_a_past_meal_says_it_took_place(client, clock, make_meal):
    now, move = clock
    meal = make_meal()
    booking = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org")
    assert booking.status == Booking.Status.CONFIRMED
    move(meal.ends_at - now + timedelta(hours=1))
    html = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert "Ce repas a eu lieu le" in html
    assert "Votre place est réservée" not in html
    assert "annuler votre réservation" not in html
    assert reverse("meals:cancel_booking", args=[booking.token]) not in html
