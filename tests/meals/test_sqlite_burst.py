"""A burst of guests booking one meal at once on the embedded default: no 5xx, seats exact.

The app runs as in production on its default database: a fresh SQLite file
(WAL, IMMEDIATE transactions, busy timeout), gunicorn with three worker
processes, and real HTTP clients that each fetch the meal page (CSRF cookie
and token) and then all post at the same instant, each with its own email.
It runs the same whatever database the rest of the suite uses.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

SETUP_MEAL = """
from datetime import timedelta
from django.utils import timezone
from meals.models import Meal
now = timezone.now()
meal = Meal.objects.create(
    cooking_starts_at=now + timedelta(days=1), starts_at=now + timedelta(days=1, hours=3),
    ends_at=now + timedelta(days=1, hours=5), capacity={capacity},
    booking_opens_at=now - timedelta(days=1), booking_closes_at=now + timedelta(days=1),
)
print(meal.pk)
"""

COUNT_SEATS = """
from meals.models import Booking, Meal
meal = Meal.objects.get(pk={meal})
confirmed = Booking.objects.filter(meal=meal, status="confirmed")
print(meal.seats_taken, sum(confirmed.values_list("party_size", flat=True)), confirmed.count(),
      Booking.objects.filter(meal=meal, status="waitlisted").count())
"""


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def party_size(n: int) -> int:
    return 1 + n % 3


def _guest(base: str, meal_pk: int, n: int, barrier: threading.Barrier) -> int | str:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect)
    try:
        page = opener.open(f"{base}/repas/{meal_pk}/", timeout=120).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode(
            {
                "csrfmiddlewaretoken": token,
                "name": f"Invité {n}",
                "email": f"burst{n}@example.org",
                "party_size": str(party_size(n)),
            }
        ).encode()
        barrier.wait(timeout=300)
        request = urllib.request.Request(f"{base}/repas/{meal_pk}/reserver/", data=data, headers={"Referer": base})
        try:
            return opener.open(request, timeout=300).status
        except urllib.error.HTTPError as exc:
            return exc.code
    except Exception as exc:  # noqa: BLE001 - reported by the assertion
        return repr(exc)


def burst(tmp_path: Path, *, guests: int, capacity: int, gunicorn_args: list[str], rate_limit: str, database_url: bool):
    """(status of each booking, [seats_taken, confirmed seats, confirmed, waitlisted], server log)."""
    env = {
        **{key: value for key, value in os.environ.items() if key != "DATABASE_URL"},
        "DEBUG": "1",
        "HTTPS": "off",
        "SQLITE_PATH": str(tmp_path / "burst.sqlite3"),
        "BOOKING_RATE_LIMIT": rate_limit,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        # The same file, named the way a deployment names any database.
        env["DATABASE_URL"] = "sqlite:///" + env.pop("SQLITE_PATH")
    manage = [sys.executable, str(ROOT / "manage.py")]

    def shell(code: str) -> str:
        done = subprocess.run([*manage, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
        return done.stdout.decode().splitlines()[-1]

    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    meal_pk = int(shell(SETUP_MEAL.replace("{capacity}", str(capacity))))
    port = _free_port()
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "cantine.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--timeout", "300", *gunicorn_args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):  # the server is up when it answers; not a timing assertion
                try:
                    urllib.request.urlopen(base + "/", timeout=5)
                    break
                except OSError:
                    time.sleep(0.1)
            barrier = threading.Barrier(guests)
            results: list = [None] * guests

            def run(n: int) -> None:
                results[n] = _guest(base, meal_pk, n, barrier)

            threads = [threading.Thread(target=run, args=(n,)) for n in range(guests)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            server.terminate()
            server.wait(timeout=60)
    counts = [int(figure) for figure in shell(COUNT_SEATS.replace("{meal}", str(meal_pk))).split()]
    return results, counts, log_path.read_text(errors="replace")


def assert_seats_exact(results: list, counts: list[int], *, capacity: int) -> None:
    seats_taken, confirmed_seats, confirmed, waitlisted = counts
    assert seats_taken == confirmed_seats <= capacity
    # Every guest who got through has a booking, confirmed or waiting.
    assert confirmed + waitlisted == results.count(302)
    # Capacity is used up: the waiting list only starts when the next party no longer fits.
    assert waitlisted == 0 or seats_taken > capacity - 3


@pytest.mark.parametrize(
    ("database_url", "gunicorn_args"),
    [
        (False, ["--workers", "3"]),
        (False, ["--workers", "3", "--threads", "8"]),
        (True, ["--workers", "3"]),
        (True, ["--workers", "3", "--threads", "8"]),
    ],
    ids=[
        "sqlite-path-3-sync-workers",
        "sqlite-path-3x8-threads",
        "database-url-3-sync-workers",
        "database-url-3x8-threads",
    ],
)
def test_sixty_simultaneous_bookings_on_sqlite_give_no_server_error(tmp_path, database_url, gunicorn_args):
    guests, capacity = 60, 50
    results, counts, log = burst(
        tmp_path,
        guests=guests,
        capacity=capacity,
        gunicorn_args=gunicorn_args,
        rate_limit="off",
        database_url=database_url,
    )
    assert results == [302] * guests, log[-5000:]
    assert_seats_exact(results, counts, capacity=capacity)


def test_sixty_simultaneous_bookings_under_the_rate_limit_get_302_or_429_never_5xx(tmp_path):
    # Every client is 127.0.0.1 here: ten bookings go through, the others are told to wait.
    guests, capacity = 60, 50
    results, counts, log = burst(
        tmp_path,
        guests=guests,
        capacity=capacity,
        gunicorn_args=["--workers", "3"],
        rate_limit="10/m",
        database_url=True,
    )
    assert set(results) <= {302, 429}, log[-5000:]
    assert results.count(302) == 10
    assert_seats_exact(results, counts, capacity=capacity)
