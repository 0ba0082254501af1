"""The logbook written from several phones at once, on PostgreSQL (row locks are real there)."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from hygiene import services
from hygiene.models import CleaningCheck, CleaningTask, TemperatureReading
from meals.idempotency import new_key
from tests.conftest import all_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _clients(user, count: int) -> list[Client]:
    clients = [Client() for _ in range(count)]
    for client in clients:
        client.force_login(user)
    return clients


def test_five_people_correcting_one_reading_at_once_make_one_correction(volunteer):
    fridge = services.cold_unit_create(name="Frigo", kind="fridge")
    wrong = services.reading_record(unit=fridge, temperature=Decimal("2"), taken_at=timezone.now(), by=volunteer)
    url = reverse("hygiene:correct", args=["releve", wrong.pk])
    clients = _clients(volunteer, 5)
    moment = timezone.localtime().strftime("%Y-%m-%dT%H:%M")

    def post(n):
        values = {
            "form_key": new_key(),
            "unit": fridge.pk,
            "temperature": f"3.{n}",
            "taken_at": moment,
            "correction_reason": f"Correction {n}",
        }
        return clients[n].post(url, values).status_code

    results = all_at_once(5, post)
    assert 302 in results and set(results) <= {302, 400}, results
    assert TemperatureReading.objects.filter(corrects=wrong).count() == 1
    assert TemperatureReading.objects.count() == 2


def test_two_phones_ticking_the_same_task_at_once_make_one_line(volunteer):
    task = CleaningTask.objects.create(area="Cuisine", name="Sols")
    clients = _clients(volunteer, 4)
    day = timezone.localdate().isoformat()

    def post(n):
        values = {"form_key": new_key(), "day": day, "tasks": [task.pk]}
        return clients[n].post(reverse("hygiene:record_cleaning"), values).status_code

    assert all_at_once(4, post) == [302] * 4
    assert CleaningCheck.objects.filter(task=task).count() == 1
