"""50 guests book a 10-seat meal at the same instant: exactly 10 seats go."""

import threading

import pytest
from django.test import Client
from django.urls import reverse

from meals.models import Booking
from tests.conftest import all_at_once

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


# SQLite: the test database is in memory with a shared cache, where a second
# writer gets "database table is locked" at once (no busy timeout), so real
# threads cannot race there. The SQLite variant therefore runs the app as in
# production: a fresh SQLite file (WAL, IMMEDIATE transactions, busy
# timeout), gunicorn with several worker processes and threads, and 50 real
# HTTP clients (each fetching the form for its CSRF token first).

SETUP_MEAL = """
from datetime import timedelta
from django.utils import timezone
from meals.models import Meal
now = timezone.now()
meal = Meal.objects.create(
    cooking_starts_at=now + timedelta(days=1), starts_at=now + timedelta(days=1, hours=3),
    ends_at=now + timedelta(days=1, hours=5), capacity=10,
    booking_opens_at=now - timedelta(days=1), booking_closes_at=now + timedelta(days=1),
)
print(meal.pk)
"""

COUNT_SEATS = """
from meals.models import Booking, Meal
meal = Meal.objects.get()
confirmed = Booking.objects.filter(status="confirmed")
print(meal.seats_taken, sum(confirmed.values_list("party_size", flat=True)), confirmed.count(),
      Booking.objects.filter(status="waitlisted").count())
"""


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _http_guest(base: str, meal_pk: int, n: int, barrier) -> int | str:
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), _NoRedirect)
    try:
        page = opener.open(f"{base}/repas/{meal_pk}/", timeout=60).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "name": f"Invité {n}", "email": f"guest{n}@example.org", "party_size": "1"}
        ).encode()
        barrier.wait(timeout=60)
        request = urllib.request.Request(f"{base}/repas/{meal_pk}/reserver/", data=data, headers={"Referer": base})
        try:
            return opener.open(request, timeout=120).status
        except urllib.error.HTTPError as exc:
            return exc.code
    except Exception as exc:  # noqa: BLE001 - reported by the assertion
        return repr(exc)


class _NoRedirect(__import__("urllib.request").request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_fifty_simultaneous_bookings_confirm_exactly_ten_on_sqlite_with_gunicorn(tmp_path):
    import os
    import subprocess
    import sys
    import time
    import urllib.request
    from pathlib import Path

    # Its own SQLite file and gunicorn: runs the same whatever database the suite uses.
    root = Path(__file__).resolve().parents[2]
    env = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DEBUG": "1",
        "HTTPS": "off",
        "SQLITE_PATH": str(tmp_path / "race.sqlite3"),
        "BOOKING_RATE_LIMIT": "off",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    manage = [sys.executable, str(root / "manage.py")]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=root, env=env, check=True)
    meal_pk = int(
        subprocess.run(
            [*manage, "shell", "-c", SETUP_MEAL], cwd=root, env=env, check=True, capture_output=True, text=True
        ).stdout.split()[-1]
    )
    port = _free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    server = subprocess.Popen(
        [str(gunicorn), "cantine.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "3", "--threads", "8"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):  # the server is up when it answers; not a timing assertion
            try:
                urllib.request.urlopen(base + "/", timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        barrier = threading.Barrier(GUESTS)
        results: list = [None] * GUESTS

        def run(n: int) -> None:
            results[n] = _http_guest(base, meal_pk, n, barrier)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(GUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert results == [302] * GUESTS
    counts = (
        subprocess.run(
            [*manage, "shell", "-c", COUNT_SEATS], cwd=root, env=env, check=True, capture_output=True, text=True
        )
        .stdout.splitlines()[-1]
        .split()
    )
    assert counts == ["10", "10", "10", "40"]
