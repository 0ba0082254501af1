"""Cached fragments are keyed on the rows they show: a page is never stale right after a write."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from meals.models import Booking, Shift
from meals.services.booking import booking_create
from meals.services.shifts import shift_claim
from members.models import PaymentMethod

pytestmark = pytest.mark.django_db


def test_upcoming_page_shows_the_new_seat_count_right_after_a_booking(client, meal):
    before = client.get(reverse("meals:upcoming")).content.decode()
    assert "Il reste 10 places" in before
    booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=2)
    after = client.get(reverse("meals:upcoming")).content.decode()
    assert "Il reste 8 places" in after
    assert "Il reste 10 places" not in after


def test_upcoming_page_shows_the_new_hands_count_right_after_a_claim(client, meal, guest):
    cooking = meal.shifts.get(role=Shift.Role.COOKING)
    needed = cooking.slots - cooking.taken
    before = client.get(reverse("meals:upcoming")).content.decode()
    assert f"{needed} en cuisine" in before
    shift_claim(shift=cooking, member=guest)
    after = client.get(reverse("meals:upcoming")).content.decode()
    assert f"{needed - 1} en cuisine" in after


def test_upcoming_page_follows_a_menu_edit(client, meal):
    client.get(reverse("meals:upcoming"))
    meal.main = "Gratin de courge"
    meal.save()
    assert "Gratin de courge" in client.get(reverse("meals:upcoming")).content.decode()


def test_upcoming_page_cache_keeps_languages_apart(client, meal):
    french = client.get(reverse("meals:upcoming"), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    english = client.get(reverse("meals:upcoming"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Il reste 10 places" in french
    assert "Il reste 10 places" not in english


def test_shift_board_shows_the_new_count_right_after_a_claim(client, volunteer, meal):
    client.force_login(volunteer)
    shift = meal.shifts.get(role=Shift.Role.DISHES)
    before = client.get(reverse("meals:shifts")).content.decode()
    client.post(reverse("meals:claim_shift", args=[shift.pk]))
    shift.refresh_from_db()
    after = client.get(reverse("meals:shifts")).content.decode()
    assert shift.taken == 1
    assert "Vous êtes inscrit·e." not in before
    assert "Vous êtes inscrit·e." in after
    assert f"<strong>1 / {shift.slots}</strong>" in after


def test_door_desk_rows_follow_a_check_in_and_a_contribution(client, coordinator, meal):
    client.force_login(coordinator)
    booking = Booking.objects.create(meal=meal, name="Jeanne Martin", party_size=1)
    desk = reverse("meals:door", args=[meal.pk])
    before = client.get(desk).content.decode()
    assert reverse("meals:door_check_in", args=[booking.pk]) in before
    client.post(reverse("meals:door_check_in", args=[booking.pk]))
    after = client.get(desk).content.decode()
    assert reverse("meals:door_check_in", args=[booking.pk]) not in after
    assert reverse("meals:door_undo_check_in", args=[booking.pk]) in after
    client.post(
        reverse("meals:record_contribution", args=[meal.pk]),
        {"booking": booking.pk, "amount": "7", "method": PaymentMethod.CASH},
    )
    assert "a donné 7" in client.get(desk).content.decode()


def test_door_desk_rows_carry_each_response_s_own_csrf_token(coordinator, meal):
    bookings = [Booking.objects.create(meal=meal, name=f"Convive {n}", party_size=1) for n in range(2)]
    desk = reverse("meals:door", args=[meal.pk])
    clients, pages = [], []
    for _ in bookings:  # the second page comes from the cache, asked for by another client
        client = Client(enforce_csrf_checks=True)
        client.force_login(coordinator)
        clients.append(client)
        pages.append(client.get(desk).content.decode())
    for client, page, booking in zip(clients, pages, bookings, strict=True):
        action = reverse("meals:door_check_in", args=[booking.pk])
        form = page[page.index(f'action="{action}"') :]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        assert client.post(action, {"csrfmiddlewaretoken": token}).status_code == 302
        booking.refresh_from_db()
        assert booking.checked_in_at is not None
