"""A burst of guests booking one meal at once on the embedded default: no 5xx, seats exact.

The app runs as in production on its default database: a fresh SQLite file
(WAL, IMMEDIATE transactions, busy timeout), gunicorn with three worker
processes, and real HTTP clients that each fetch the meal page (CSRF cookie
and token) and then all post at the same instant, each with its own email.
It runs the same whatever database the rest of the suite uses.
"""

import time
from pathlib import Path

import pytest

from tests.gunicorn import booking_post, posted_together, sqlite_app

pytestmark = pytest.mark.slow


def party_size(n: int) -> int:
    return 1 + n % 3


def burst(tmp_path: Path, *, guests: int, capacity: int, gunicorn_args: list[str], rate_limit: str, database_url: bool):
    """(status of each booking, [seats_taken, confirmed seats, confirmed, waitlisted], server log)."""
    # database_url: the same file, named the way a deployment names any database.
    app = sqlite_app(tmp_path / "burst.sqlite3", database_url=database_url, rate_limit=rate_limit)
    meal_pk = app.create_meal(capacity=capacity)
    log = tmp_path / "gunicorn.log"
    with app.served(*gunicorn_args, log=log) as base:
        results = posted_together(
            guests,
            lambda n: booking_post(
                base, meal_pk, name=f"Invité {n}", email=f"burst{n}@example.org", party_size=party_size(n)
            ),
        )
    return results, app.seat_counts(meal_pk), log.read_text(errors="replace")


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


def wait_until_the_window_has(seconds: int, *, period: int) -> None:
    """Sleep into the next window if this one ends within ``seconds``.

    The limit counts per fixed window (``int(time // period)``): a burst that
    straddles the boundary is counted in two windows, and rightly lets up to
    twice the limit through. A CI run once saw 13 out of 60 pass under "10/m".
    """
    left = period - time.time() % period
    if left < seconds:
        time.sleep(left + 0.5)


def test_sixty_simultaneous_bookings_under_the_rate_limit_get_302_or_429_never_5xx(tmp_path):
    # Every client is 127.0.0.1 here: ten bookings go through, the others are told to wait.
    guests, capacity = 60, 50
    # An hour's window, and at least two minutes of it left for the whole burst.
    wait_until_the_window_has(120, period=3600)
    results, counts, log = burst(
        tmp_path,
        guests=guests,
        capacity=capacity,
        gunicorn_args=["--workers", "3"],
        rate_limit="10/h",
        database_url=True,
    )
    assert set(results) <= {302, 429}, log[-5000:]
    assert results.count(302) == 10
    assert_seats_exact(results, counts, capacity=capacity)
