"""The app as in production, for the races that need real processes: a SQLite file, gunicorn, HTTP clients.

The suite's SQLite test database is in memory with a shared cache, where a
second writer gets "database table is locked" at once (no busy timeout), so
real threads cannot race there. These tests run the app instead as it is
deployed on its embedded default: a fresh SQLite file (WAL, IMMEDIATE
transactions, busy timeout) behind gunicorn with several workers, and real
HTTP clients that each fetch their form first (CSRF cookie and token) and
then all post at the same instant. They run the same whatever database the
rest of the suite uses.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import all_at_once

ROOT = Path(__file__).resolve().parents[1]
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


_SETUP_MEAL = """
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

_COUNT_SEATS = """
from meals.models import Booking, Meal
meal = Meal.objects.get(pk={meal})
confirmed = Booking.objects.filter(meal=meal, status="confirmed")
print(meal.seats_taken, sum(confirmed.values_list("party_size", flat=True)), confirmed.count(),
      Booking.objects.filter(meal=meal, status="waitlisted").count())
"""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """A 302 is the answer the tests count, not a page to follow."""

    def redirect_request(self, *args, **kwargs):
        return None


def opener() -> urllib.request.OpenerDirector:
    """A client of its own: its cookies (session, CSRF), no redirects followed."""
    return urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class App:
    """One deployment: its environment (database file, settings) and ``manage.py``."""

    env: dict

    def manage(self, *args: str) -> str:
        """Run ``manage.py args``; the last line it printed."""
        done = subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args], cwd=ROOT, env=self.env, check=True, capture_output=True
        )
        lines = done.stdout.decode().splitlines()
        return lines[-1] if lines else ""

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def create_meal(self, *, capacity: int) -> int:
        """A meal tomorrow, open for booking; its pk."""
        return int(self.shell(_SETUP_MEAL.replace("{capacity}", str(capacity))))

    def seat_counts(self, meal_pk: int) -> list[int]:
        """[seats_taken, seats of the confirmed bookings, confirmed bookings, waitlisted bookings]."""
        return [int(figure) for figure in self.shell(_COUNT_SEATS.replace("{meal}", str(meal_pk))).split()]

    @contextmanager
    def served(self, *gunicorn_args: str, log: Path | None = None) -> Iterator[str]:
        """gunicorn serving the app on a free port, up when it answers; yields its base URL."""
        port = free_port()
        output = log.open("wb") if log else subprocess.DEVNULL
        server = subprocess.Popen(
            [str(Path(sys.executable).with_name("gunicorn")), "cantine.wsgi", "--bind", f"127.0.0.1:{port}"]
            + ["--timeout", "300", *gunicorn_args],
            cwd=ROOT,
            env=self.env,
            stdout=output,
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
            yield base
        finally:
            server.terminate()
            server.wait(timeout=60)
            if log:
                output.close()


def sqlite_app(path: Path, *, database_url: bool = False, rate_limit: str = "off") -> App:
    """A migrated app on its own SQLite file ``path`` (named by ``DATABASE_URL`` or by ``SQLITE_PATH``)."""
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {
        "DEBUG": "1",
        "HTTPS": "off",
        "BOOKING_RATE_LIMIT": rate_limit,
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        "LOG_LEVEL": "WARNING",
    }
    if database_url:
        env["DATABASE_URL"] = f"sqlite:///{path}"
    else:
        env["SQLITE_PATH"] = str(path)
    app = App(env=env)
    app.manage("migrate", "-v", "0")
    return app


def posted_together(
    count: int, prepare: Callable[[int], tuple[urllib.request.OpenerDirector, urllib.request.Request]]
) -> list[int | str]:
    """Each of ``count`` threads runs ``prepare(n)`` (fetch its form, build its POST), then all send together.

    Returns each HTTP status, or the repr of what went wrong (for the assertions to show).
    """

    def send(prepared) -> int:
        client, request = prepared
        try:
            return client.open(request, timeout=300).status
        except urllib.error.HTTPError as exc:
            return exc.code

    return all_at_once(count, send, prepare=prepare, timeout=300)


def booking_post(base: str, meal_pk: int, *, name: str, email: str, party_size: int = 1):
    """A guest's booking: the meal page first (its CSRF token), then the POST, ready to send."""
    client = opener()
    page = client.open(f"{base}/repas/{meal_pk}/", timeout=120).read().decode()
    data = {"csrfmiddlewaretoken": CSRF.search(page).group(1), "name": name, "email": email}
    data["party_size"] = str(party_size)
    body = urllib.parse.urlencode(data).encode()
    return client, urllib.request.Request(f"{base}/repas/{meal_pk}/reserver/", data=body, headers={"Referer": base})
