"""What the client controls, refused at the cause (issue 13, OWASP ASVS level 1).

- The booking rate limit keys on an address the client cannot choose
  (``NUM_PROXIES``), and counts only bookings that validate.
- Every CSV cell a spreadsheet would read as a formula is neutralised.
- Dates, numbers, query parameters and URL tokens out of range are refused
  with a message (or a 400/404), never a 500, and bounded in the database too.
- Pages with personal data or money tell browsers not to keep them.
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from meals.models import Booking
from meals.ratelimit import client_ip

GOOD_BOOKING = {"name": "Odette", "email": "odette@example.org", "party_size": "1"}


def book(client, meal, **changes):
    return client.post(reverse("meals:book", args=[meal.pk]), {**GOOD_BOOKING, **changes})


# --- Finding 3: the rate limit trusts only the configured proxies -----------------


def request_from(remote_addr: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote_addr}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/", **extra)


@pytest.mark.parametrize(
    ("num_proxies", "remote_addr", "forwarded", "expected"),
    [
        # No proxy trusted: whatever the header says, the peer is the client.
        (0, "198.51.100.7", "1.2.3.4", "198.51.100.7"),
        (0, "198.51.100.7", None, "198.51.100.7"),
        # One proxy: the address it appended, not what the client sent before it.
        (1, "127.0.0.1", "6.6.6.6, 203.0.113.5", "203.0.113.5"),
        (1, "127.0.0.1", "203.0.113.5", "203.0.113.5"),
        (1, "127.0.0.1", " 2001:db8::1 ", "2001:db8::1"),
        # Two proxies (a CDN, then nginx): the address the CDN saw.
        (2, "127.0.0.1", "6.6.6.6, 203.0.113.5, 192.0.2.10", "203.0.113.5"),
        # Fewer entries than proxies, or no header, or garbage: the peer.
        (2, "127.0.0.1", "203.0.113.5", "127.0.0.1"),
        (1, "127.0.0.1", None, "127.0.0.1"),
        (1, "127.0.0.1", "", "127.0.0.1"),
        (1, "127.0.0.1", "6.6.6.6, not-an-address", "127.0.0.1"),
        (1, "127.0.0.1", "6.6.6.6, " + "9" * 300, "127.0.0.1"),
    ],
)
def test_client_ip_trusts_only_the_configured_number_of_proxies(
    settings, num_proxies, remote_addr, forwarded, expected
):
    settings.NUM_PROXIES = num_proxies
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")  # as with HTTPS=on
    assert client_ip(request_from(remote_addr, forwarded)) == expected


@pytest.mark.django_db
def test_a_random_forwarded_for_does_not_escape_the_booking_limit(meal, settings):
    settings.NUM_PROXIES = 0
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    settings.BOOKING_RATE_LIMIT = "3/d"  # a day: no window boundary within the test
    statuses = [
        book(Client(HTTP_X_FORWARDED_FOR=f"10.1.{n}.{n}"), meal, email=f"g{n}@example.org").status_code
        for n in range(6)
    ]
    assert statuses == [302, 302, 302, 429, 429, 429]
    assert Booking.objects.count() == 3


@pytest.mark.django_db
def test_behind_one_proxy_the_left_part_the_client_forged_is_ignored(meal, settings):
    settings.NUM_PROXIES = 1
    settings.BOOKING_RATE_LIMIT = "2/d"
    # nginx with $proxy_add_x_forwarded_for appends the address it saw, 203.0.113.5.
    same_client = [
        book(Client(HTTP_X_FORWARDED_FOR=f"10.9.9.{n}, 203.0.113.5"), meal, email=f"g{n}@example.org").status_code
        for n in range(3)
    ]
    assert same_client == [302, 302, 429]
    # Another guest behind the same proxy (the same REMOTE_ADDR) is not limited with the first.
    other = Client(HTTP_X_FORWARDED_FOR="203.0.113.99")
    assert book(other, meal, email="other@example.org").status_code == 302


@pytest.mark.django_db
def test_invalid_booking_posts_do_not_count_against_the_limit(client, meal, settings):
    settings.BOOKING_RATE_LIMIT = "10/d"
    for _ in range(10):
        assert client.post(reverse("meals:book", args=[meal.pk]), {}).status_code == 400
    assert book(client, meal).status_code == 302
    assert Booking.objects.count() == 1


@pytest.mark.django_db
def test_valid_bookings_over_the_limit_still_get_429(client, meal, settings):
    settings.BOOKING_RATE_LIMIT = "2/d"
    statuses = [book(client, meal, email=f"g{n}@example.org").status_code for n in range(3)]
    assert statuses == [302, 302, 429]
