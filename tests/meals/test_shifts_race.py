"""Twenty volunteers claim the same 3-slot shift at the same instant, on PostgreSQL."""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from meals.models import Shift, ShiftSignup
from tests.conftest import create_meal, make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_twenty_volunteers_racing_for_three_slots_get_exactly_three():
    meal = create_meal()
    shift = meal.shifts.get(role=Shift.Role.TABLE)
    assert shift.slots == 3
    users = [make_user(f"racer{i}@example.org", group="volunteer", name=f"Coureur {i}") for i in range(20)]
    clients = []
    for user in users:
        client = Client()
        client.force_login(user)
        clients.append(client)
    barrier = threading.Barrier(len(clients))
    statuses = []
    errors = []

    def claim(client):
        try:
            barrier.wait()
            response = client.post(reverse("meals:claim_shift", args=[shift.pk]))
            statuses.append(response.status_code)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert statuses == [302] * 20
    shift.refresh_from_db()
    assert shift.taken == 3
    assert ShiftSignup.objects.filter(shift=shift).count() == 3
    assert ShiftSignup.objects.filter(shift=shift).values("member").distinct().count() == 3


def test_one_volunteer_double_clicking_gets_one_slot():
    meal = create_meal()
    shift = meal.shifts.get(role=Shift.Role.COOKING)
    user = make_user("hasty@example.org", group="volunteer", name="Pressé Vite")
    barrier = threading.Barrier(5)
    errors = []

    def claim():
        try:
            client = Client()
            client.force_login(user)
            barrier.wait()
            client.post(reverse("meals:claim_shift", args=[shift.pk]))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    shift.refresh_from_db()
    assert shift.taken == 1
    assert ShiftSignup.objects.filter(shift=shift).count() == 1
