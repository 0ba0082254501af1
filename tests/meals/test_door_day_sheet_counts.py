"""The door desk and the day sheet of one meal count the same people, in the same words."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking


@pytest.fixture
def busy_meal(make_meal, partner):
    """5 people booked (3 bookings), 2 walk-ins, plus a waitlisted and a cancelled booking that count nowhere."""
    meal = make_meal(capacity=12)
    rows = [
        Booking(meal=meal, name="Odette", party_size=2, checked_in_at=timezone.now()),
        Booking(meal=meal, name="Lucien", party_size=1),
        Booking(meal=meal, name="Simone", party_size=2, partner=partner),
        Booking(meal=meal, name="Sans résa", party_size=2, is_walk_in=True, checked_in_at=timezone.now()),
        Booking(meal=meal, name="Attente", party_size=3, status=Booking.Status.WAITLISTED),
        Booking(meal=meal, name="Annulée", party_size=4, status=Booking.Status.CANCELLED),
    ]
    Booking.objects.bulk_create(rows)
    meal.seats_taken = 7
    meal.save(update_fields=["seats_taken"])
    return meal


def text(html: str) -> str:
    """The page's words, tags out and spaces joined, as a reader sees them."""
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_desk_and_day_sheet_show_the_same_people_booked_and_walk_ins(client, coordinator, busy_meal):
    client.force_login(coordinator)
    desk = text(client.get(reverse("meals:door", args=[busy_meal.pk])).content.decode())
    sheet = text(client.get(reverse("meals:day_sheet", args=[busy_meal.pk])).content.decode())
    for page in (desk, sheet):
        assert "5 personnes réservées" in page
        assert "2 personnes sans réservation" in page
    assert "couverts réservés" not in sheet
    assert "7 couverts" not in sheet


def test_desk_and_day_sheet_counters_are_the_same_numbers(client, coordinator, busy_meal):
    client.force_login(coordinator)
    desk = client.get(reverse("meals:door", args=[busy_meal.pk])).context
    sheet = client.get(reverse("meals:day_sheet", args=[busy_meal.pk])).context
    assert (desk["counters"]["booked"], desk["counters"]["walk_ins"]) == (5, 2)
    assert (sheet["people"]["booked"], sheet["people"]["walk_ins"]) == (5, 2)
