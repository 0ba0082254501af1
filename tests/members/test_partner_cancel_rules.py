"""A referent cancels as the guest's own link does: not a meal that already happened (issue 12, point 6)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Meal
from meals.services import door
from meals.services.booking import MealOver, booking_cancel, partner_booking_create

pytestmark = pytest.mark.django_db


def partner_booking(meal, partner, referent, **kwargs) -> Booking:
    return partner_booking_create(meal=meal, partner=partner, name="Odette", by=referent, **kwargs)


def test_referent_cannot_cancel_a_booking_of_a_meal_that_happened(client, make_meal, partner, partner_referent):
    meal = make_meal(day=timezone.localdate() - timedelta(days=2))
    booking = partner_booking(meal, partner, partner_referent, now=meal.booking_opens_at + timedelta(days=1))
    client.force_login(partner_referent)
    response = client.post(reverse("members:partner_booking_cancel", args=[partner.pk, booking.pk]), follow=True)
    assert response.status_code == 200
    assert "Ce repas est passé" in response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED
    assert Meal.objects.get(pk=meal.pk).seats_taken == 1


def test_referent_cannot_cancel_once_the_guest_was_welcomed(client, meal, partner, partner_referent, coordinator):
    booking = partner_booking(meal, partner, partner_referent)
    door.booking_check_in(booking=booking, by=coordinator)
    client.force_login(partner_referent)
    client.post(reverse("members:partner_booking_cancel", args=[partner.pk, booking.pk]))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED


def test_the_service_refuses_past_meals_too(make_meal, partner, partner_referent):
    meal = make_meal(day=timezone.localdate() - timedelta(days=2))
    booking = partner_booking(meal, partner, partner_referent, now=meal.booking_opens_at + timedelta(days=1))
    with pytest.raises(MealOver):
        booking_cancel(booking=booking)
    assert Booking.objects.get(pk=booking.pk).status == Booking.Status.CONFIRMED
