"""Pages read while writes commit, on PostgreSQL: right after each write, every page shows it.

Readers in other threads keep building and keeping the pages while the bookings
and claims commit, so some of what they keep was read before a commit: none of
it may be served after that commit (meals/cache.py reads the generation before
the rows, and a write forgets it only once committed).
"""

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from meals.models import Shift
from meals.services.booking import booking_create
from meals.services.shifts import shift_claim
from members.models import Member
from tests.conftest import make_user

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ROUNDS = 25
READERS = 3


def reading_meanwhile(urls_and_clients, errors: list, stop: threading.Event):
    def read() -> None:
        try:
            mine = urls_and_clients()
            while not stop.is_set():
                for url, client in mine:
                    status = client.get(url).status_code
                    if status != 200:
                        errors.append((url, status))
        finally:
            connection.close()

    threads = [threading.Thread(target=read) for _ in range(READERS)]
    for thread in threads:
        thread.start()
    return threads


def test_public_pages_read_while_bookings_commit_show_each_booking_right_after_it(make_meal):
    meal = make_meal(capacity=100)
    urls = [reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk])]
    errors, stop = [], threading.Event()
    threads = reading_meanwhile(lambda: [(url, Client()) for url in urls], errors, stop)
    try:
        for n in range(1, ROUNDS + 1):
            booking_create(meal=meal, name=f"Convive {n}", email=f"convive{n}@example.org", party_size=1)
            for url in urls:
                assert f"Il reste {100 - n} places" in Client().get(url).content.decode(), (n, url)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []


def test_the_board_read_while_claims_commit_shows_each_claim_right_after_it(make_meal):
    meal = make_meal(shifts=False)
    shift = Shift.objects.create(
        meal=meal, role=Shift.Role.DISHES, starts_at=meal.starts_at, ends_at=meal.ends_at, slots=ROUNDS
    )
    volunteer = make_user("karim@example.org", group="volunteer", name="Karim Benali")
    board = reverse("meals:shifts")

    def volunteer_clients():
        client = Client()
        client.force_login(volunteer)
        return [(board, client)]

    errors, stop = [], threading.Event()
    threads = reading_meanwhile(volunteer_clients, errors, stop)
    viewer = Client()
    viewer.force_login(volunteer)
    try:
        for n in range(1, ROUNDS + 1):
            shift_claim(shift=shift, member=Member.objects.create(name=f"Aide{n} Martin"))
            assert f"<strong>{n} / {ROUNDS}</strong>" in viewer.get(board).content.decode(), n
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
