"""Hostile input to every form: never a 5xx, and a refused form writes nothing.

The forms are found, not listed: every page each role may open (from the
permission matrix) is parsed, and each ``<form>`` on it (its action, method and
field names) is posted with random and hostile values — long strings, unicode,
markup, SQL fragments, NUL bytes, huge and negative numbers, NaN — by hypothesis.
A new form is fuzzed as soon as a page shows it.

"Refused" means a 4xx, a page showing form errors, or an error message;
then no row of any table may have been added or removed.

Every date, datetime, time and number field also gets values at and beyond
the app's bounds, and what a form accepts is then rendered by every page that
shows it; every page gets hostile query parameters (the names the views read).
All of it is a fuzzer: the module is marked ``slow``.
"""

from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import messages
from django.test import Client
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cantine import bounds
from tests.test_permission_matrix import MATRIX, build_world, client_for, project_url_names, url_for

pytestmark = pytest.mark.slow

# Forms that end the session or change the language: they would only stop the fuzzing.
SKIPPED_ACTIONS = {"logout", "set_language"}

# The first 14 go into every field of every form; hypothesis draws from all of them.
HOSTILE = [
    "",
    "-1",
    "NaN",
    "1e400",
    "99999999999999999999999",
    "１２",
    "<script>alert(1)</script>",
    "'; DROP TABLE meals_booking; --",
    "a\x00b",
    "x" * 5000,
    "𝕮𝖆𝖓𝖙𝖎𝖓𝖊 🍲" * 20,
    "2026-02-30",
    "25:61",
    "0",
    " ",
    "-0,01",
    "Infinity",
    "-99999999999999999999999",
    "5,555",
    "<b>5</b>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "Robert'); DELETE FROM members_member;--",
    "\x00",
    "é" * 300,
    "2026-13-01",
    "0000-00-00",
    "\u202egnp.exe",
    "../../etc/passwd",
    "%s%s%s%n",
    "True",
    "on",
]

hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=400),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


class FormFinder(HTMLParser):
    """The forms of a page: action, method, and each field's name and current value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = {
                "action": attributes.get("action", ""),
                "method": attributes.get("method", "get").lower(),
                "fields": {},
                # What each field takes: its input type ("date", "number", "select"…), min and max, options.
                "types": {},
                "limits": {},
                "options": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "textarea", "select", "button"}:
            name = attributes.get("name")
            if not name or name == "csrfmiddlewaretoken":
                return
            self._form["types"][name] = attributes.get("type", "text") if tag == "input" else tag
            if "min" in attributes or "max" in attributes:
                self._form["limits"][name] = (attributes.get("min"), attributes.get("max"))
            if tag == "input" and attributes.get("type") in {"checkbox", "radio"}:
                if "checked" in attributes:  # what a browser sends: "on" for a box without a value
                    self._form["fields"][name] = attributes.get("value", "on")
                else:
                    self._form["fields"].setdefault(name, "")
            else:
                self._form["fields"][name] = attributes.get("value", "")
            if tag == "select":
                self._select = name
                self._selected = False
                self._form["fields"][name] = None  # the first option, unless another is selected
        elif tag == "option" and self._form is not None and self._select:
            self._form["options"].setdefault(self._select, []).append(attributes.get("value", ""))
            if ("selected" in attributes and not self._selected) or self._form["fields"][self._select] is None:
                self._form["fields"][self._select] = attributes.get("value", "")
                self._selected = "selected" in attributes

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._form is not None and self._select and self._form["fields"][self._select] is None:
                self._form["fields"][self._select] = ""
            self._select = None


def forms_for(role: str, world) -> list[dict]:
    """Every distinct form (by URL name, method and fields) on the pages this role may open."""
    client = client_for(role, world)
    found: dict[tuple, dict] = {}
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200":
            continue
        page_url = url_for(name, role, world)
        response = client.get(page_url)
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        finder = FormFinder()
        finder.feed(response.content.decode())
        for form in finder.forms:
            action = urlsplit(form["action"]).path or page_url
            try:
                target = resolve(action)
            except Resolver404:
                continue
            if target.url_name in SKIPPED_ACTIONS:
                continue
            key = (target.view_name, form["method"], tuple(sorted(form["fields"])))
            found.setdefault(key, {**form, "action": action, "view": target.view_name})
    return sorted(found.values(), key=lambda form: (form["view"], form["method"]))


# Counts every attempt on purpose, refused or not: that is what a rate limit is.
NOT_DATA = {"meals.RateLimitCounter"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"meals", "members", "auth", "hygiene"} and model._meta.label not in NOT_DATA
    }


def post_and_check(client, form: dict, values: dict[str, str]) -> None:
    before = row_counts()
    send = client.post if form["method"] == "post" else client.get
    response = send(form["action"], values)
    assert response.status_code < 500, (form["view"], values, response.status_code)
    # Only the messages this request added (earlier ones wait in the session, unread).
    added = getattr(messages.get_messages(response.wsgi_request), "_queued_messages", [])
    refused = response.status_code >= 400 or any(message.level >= messages.WARNING for message in added)
    if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        refused = refused or any(marker in html for marker in ("is-invalid", "errorlist", "alert-danger"))
    if refused or form["method"] == "get":
        assert row_counts() == before, (form["view"], values, "wrote rows although the form was refused")


@pytest.fixture
def world(db, guest, volunteer, partner_referent, coordinator, partner):
    from members.models import Prerequisite

    # The coordinator has not signed the charter nor read the hygiene rules yet: « Avant de venir »
    # shows them its two forms (the volunteer, ready, keeps the board's claim buttons).
    Prerequisite.objects.filter(member=coordinator.member, kind__in=["charter", "hygiene"]).delete()
    return build_world(
        guest=guest, volunteer=volunteer, referent=partner_referent, coordinator=coordinator, partner=partner
    )


ROLES = ("anonymous", "guest", "volunteer", "referent", "coordinator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_each_hostile_value(role, world):
    """Each hostile value in every field of every form at once."""
    forms = forms_for(role, world)
    assert forms or role == "anonymous" or role == "guest"
    client = client_for(role, world)
    client.raise_request_exception = False
    for form in forms:
        for value in HOSTILE[:14]:
            post_and_check(client, form, dict.fromkeys(form["fields"], value))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_random_values(role, world):
    forms = forms_for(role, world)
    if not forms:
        pytest.skip(f"no form for {role}")
    client = client_for(role, world)
    client.raise_request_exception = False

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def fuzz(data):
        form = data.draw(st.sampled_from(forms), label="form")
        values = {
            name: data.draw(st.one_of(st.just(original), hostile_values), label=name)
            for name, original in form["fields"].items()
        }
        post_and_check(client, form, values)

    fuzz()


@pytest.mark.django_db
def test_the_fuzzer_finds_the_main_forms(world):
    anonymous = {form["view"] for form in forms_for("guest", world)}
    coordinator = {form["view"] for form in forms_for("coordinator", world)}
    assert {"meals:book", "meals:cancel_booking"} <= anonymous
    assert "meals:record_contribution" in coordinator or "meals:door" not in MATRIX
    # Volunteers who are ready, and who came (issue 18).
    assert {"members:volunteer_ready", "meals:mark_attendance", "meals:shift_follow_up"} <= coordinator
    assert {"members:prerequisite_record", "meals:shift_assign"} <= coordinator
    volunteer = {form["view"] for form in forms_for("volunteer", world)}
    hygiene = {"record_reading", "record_delivery", "record_cooling", "record_cleaning", "record_briefing", "correct"}
    assert {f"hygiene:{name}" for name in hygiene} <= volunteer
    assert {"hygiene:units", "hygiene:cleaning_plan", "hygiene:unit_toggle"} <= coordinator


def test_the_fuzzer_finds_the_allergy_and_diet_fields_of_every_booking_form(world):
    health = {"allergens", "diets", "health_consent"}
    by_view = {form["view"]: set(form["fields"]) for form in forms_for("guest", world)}
    assert health | {"remember_health", "notes"} <= by_view["meals:book"]
    by_view = {form["view"]: set(form["fields"]) for form in forms_for("coordinator", world)}
    assert health | {"remember_health"} <= by_view["meals:book_on_behalf"]
    by_view = {form["view"]: set(form["fields"]) for form in forms_for("referent", world)}
    assert health <= by_view["members:partner_bookings"]


# --- Dates, times and numbers, and what other pages make of them (issue 13) ------------
#
# Each date, datetime, time and number field of every form gets values around
# the bounds the app keeps (cantine/bounds.py) and far beyond them (year 1,
# year 9999, 2**63), the other fields keeping their valid values so that the
# form may well be accepted. What is accepted is stored, then every page that
# shows it is opened: a value a form lets through must not break another page.

TYPED = {"date", "datetime-local", "time", "number", "select"}
BOUNDARY_DAYS = [
    date(1, 1, 1),
    date(1999, 12, 31),
    bounds.FIRST_DAY,
    date(2028, 2, 29),
    bounds.LAST_DAY,
    date(2101, 1, 1),
    date(9999, 12, 31),
]
ODD_DIGITS = ["²⁰²⁶", "٢٠٢٦", "２０２６", "1e3", "1.5", " 7", "7 ", "+7", "0x1F", "1_000"]
BIG = [2**15 - 1, 2**15, 2**31 - 1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**30, 1_500_000_000]

days = st.one_of(
    st.sampled_from(BOUNDARY_DAYS),
    st.dates(min_value=bounds.FIRST_DAY, max_value=bounds.LAST_DAY),
    st.dates(),
).map(date.isoformat)
moments = st.one_of(
    st.builds(
        lambda day, hour: f"{day.isoformat()}T{hour}",
        st.sampled_from(BOUNDARY_DAYS),
        st.sampled_from(["00:00", "23:59"]),
    ),
    st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 12, 31, 23, 59)),
    st.datetimes(),
).map(lambda value: value if isinstance(value, str) else value.isoformat(timespec="minutes"))
times = st.one_of(st.times().map(lambda t: t.strftime("%H:%M")), st.sampled_from(["00:00", "23:59", "24:00", "12:60"]))


def _limit(text: str | None) -> int | None:
    try:
        return int(text) if text not in (None, "") else None
    except ValueError:
        return None


def numbers(limits: tuple[str | None, str | None] | None) -> st.SearchStrategy[str]:
    low, high = (_limit(value) for value in (limits or (None, None)))
    edges = [value for bound in (low, high) if bound is not None for value in (bound - 1, bound, bound + 1)]
    inside = st.integers(min_value=low, max_value=high) if low is not None and high is not None else st.nothing()
    return st.one_of(
        st.sampled_from(edges + BIG + [0, -1]).map(str),
        inside.map(str),
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(ODD_DIGITS),
    )


def typed_values(form: dict, name: str) -> st.SearchStrategy[str]:
    kind = form["types"].get(name)
    if kind == "date":
        return days
    if kind == "datetime-local":
        return moments
    if kind == "time":
        return times
    if kind == "select":
        options = [value for value in form["options"].get(name, []) if value]
        return st.one_of(st.sampled_from(options or [""]), numbers(None))
    return numbers(form["limits"].get(name))


def typed_fields(form: dict) -> list[str]:
    return [name for name in form["fields"] if form["types"].get(name) in TYPED]


def rendering_pages(world) -> list[tuple[Client, str]]:
    """The pages that show meals, shifts, seat blocks, bookings and memberships, newest rows first."""
    from django.urls import reverse

    from meals.models import Meal
    from members.models import Membership

    coordinator = client_for("coordinator", world)
    anonymous = client_for("anonymous", world)
    referent = client_for("referent", world)
    meals = list(Meal.objects.order_by("-pk")[:3])
    pages = [
        (coordinator, reverse("meals:planning")),
        (coordinator, reverse("meals:shift_overview")),
        (coordinator, reverse("meals:shifts")),
        (coordinator, reverse("meals:shift_template")),
        (coordinator, reverse("members:partner", args=[world.partner.pk])),
        (coordinator, reverse("members:member", args=[world.guest.pk])),
        (coordinator, reverse("hygiene:today")),
        (anonymous, reverse("meals:upcoming")),
        (referent, reverse("members:partner_bookings", args=[world.partner.pk])),
        (referent, reverse("members:partner_home")),
    ]
    for meal in meals:
        month = f"?month={meal.starts_at:%Y-%m}"
        pages += [
            (coordinator, reverse("meals:planning_edit", args=[meal.pk])),
            (coordinator, reverse("meals:door", args=[meal.pk])),
            (coordinator, reverse("meals:day_sheet", args=[meal.pk])),
            (coordinator, reverse("meals:reports") + month),
            (coordinator, reverse("hygiene:month", args=[meal.starts_at.year, meal.starts_at.month])),
            (coordinator, reverse("meals:report_attendance") + month),
            (coordinator, reverse("meals:report_csv", args=["attendance"]) + month),
            (anonymous, reverse("meals:meal", args=[meal.pk])),
        ]
    for year in Membership.objects.order_by("-pk").values_list("year", flat=True)[:2]:
        pages.append((coordinator, reverse("members:memberships") + f"?annee={year}"))
    return pages


def check_rendering_pages(world, stored: str) -> None:
    for client, url in rendering_pages(world):
        client.raise_request_exception = False
        status = client.get(url).status_code
        assert status < 500, (url, status, "after storing", stored)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_date_and_number_field_survives_values_at_and_beyond_its_bounds(role, world):
    forms = [form for form in forms_for(role, world) if typed_fields(form)]
    if not forms:
        pytest.skip(f"no date or number field for {role}")
    client = client_for(role, world)
    client.raise_request_exception = False

    def fuzzer(form: dict):
        @settings(
            max_examples=10,
            deadline=None,
            derandomize=True,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        )
        @given(data=st.data())
        def fuzz(data):
            values = {name: value for name, value in form["fields"].items() if value != ""}
            for name in typed_fields(form):
                values[name] = data.draw(st.one_of(st.just(form["fields"][name]), typed_values(form, name)), label=name)
            before = row_counts()
            post_and_check(client, form, values)
            if row_counts() != before:
                check_rendering_pages(world, f"{form['view']} {values}")

        return fuzz

    for form in forms:
        fuzzer(form)()


@pytest.mark.django_db
def test_the_fuzzer_finds_every_date_and_number_field(world):
    coordinator = {name for form in forms_for("coordinator", world) for name in typed_fields(form)}
    expected = {
        "day",
        "starts_on",
        "ends_on",
        "release_at",
        "joined_on",
        "seats",
        "capacity",
        "organic_share",
        "opens_days_before",
        "meal_time",
        "party_size",
        "form-0-minutes_before_meal",
        "form-0-duration_minutes",
        "form-0-slots",
    }
    assert expected <= coordinator, expected - coordinator
    # The hygiene logbook's (issue 18), which volunteers fill too.
    volunteer = {name for form in forms_for("volunteer", world) for name in typed_fields(form)}
    assert {"taken_at", "received_on", "use_by", "started_at", "ended_at", "day"} <= volunteer
    referent = {name for form in forms_for("referent", world) for name in typed_fields(form)}
    assert "party_size" in referent


def test_boundary_values_are_stored_then_rendered_by_every_page(world):
    """The first and last allowed days, through the forms, then every page that shows them (no hypothesis)."""
    from django.urls import reverse

    from meals.models import Meal

    coordinator = client_for("coordinator", world)
    for day in (bounds.FIRST_DAY, bounds.LAST_DAY):
        new = next(form for form in forms_for("coordinator", world) if form["view"] == "meals:planning_new")
        values = {name: value for name, value in new["fields"].items() if value != ""}
        response = coordinator.post(new["action"], {**values, "day": day.isoformat(), "capacity": "500"})
        assert response.status_code == 302, day
        meal = Meal.objects.latest("pk")
        block = reverse("meals:planning_seat_block", args=[meal.pk])
        response = coordinator.post(
            block, {"partner": world.partner.pk, "seats": "500", "release_at": f"{day.isoformat()}T00:00"}
        )
        assert response.status_code == 302, day
        check_rendering_pages(world, f"a meal and a seat block on {day}")


# --- Query parameters ---------------------------------------------------------------

# The names the views read, found in their source (a new one is fuzzed at once), and
# those of the GET forms (the reports' period, the directory's search).
_SOURCES = ("meals/views", "meals/reports.py", "members/views.py", "meals/selectors.py", "hygiene/views.py")


def query_parameter_names() -> set[str]:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    names = set()
    for source in _SOURCES:
        path = root / source
        for file in path.rglob("*.py") if path.is_dir() else [path]:
            text = file.read_text()
            names |= set(re.findall(r"""(?:GET|query)(?:\.get\(|\[)\s*["'](\w+)["']""", text))
    return names | {"next", "lang", "language"}


def test_the_query_fuzzer_knows_the_parameters_the_views_read():
    assert {"year", "month", "page", "partner", "method", "show", "booking", "annee", "q"} <= query_parameter_names()


query_values = st.one_of(
    st.sampled_from(ODD_DIGITS + ["2026-²", "²⁰²⁶-11", "\x00", "99999999999999999999"]),
    hostile_values,
    numbers((str(bounds.FIRST_YEAR), str(bounds.LAST_YEAR))),
    days,
    st.builds(lambda y, m: f"{y}-{m}", numbers(None), numbers(("1", "12"))),
)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_survives_hostile_query_parameters(role, world):
    client = client_for(role, world)
    client.raise_request_exception = False
    pages = []
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is not None and row.codes("get")[role] == "200" and name not in SKIPPED_ACTIONS:
            pages.append(url_for(name, role, world))
    names = sorted(query_parameter_names())

    @settings(
        max_examples=150,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def fuzz(data):
        url = data.draw(st.sampled_from(pages), label="page")
        query = data.draw(
            st.dictionaries(st.sampled_from(names) | st.text(max_size=20), query_values, min_size=1, max_size=3),
            label="query",
        )
        before = row_counts()
        response = client.get(url, query)
        assert response.status_code < 500, (url, query, response.status_code)
        assert row_counts() == before, (url, query, "a GET wrote rows")

    fuzz()


# A parameter that another one overrides (a month wins over a year): also sent without it.
OVERRIDING = {"month"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_page_survives_each_odd_number_in_every_query_parameter(role, world):
    """Deterministic: each odd number (« ²⁰²⁶ » passes str.isdigit(), not int()) in every parameter of each page.

    Every parameter at once (each view reads its own), then again without those
    that override others, so that none hides another.
    """
    client = client_for(role, world)
    client.raise_request_exception = False
    names = sorted(query_parameter_names())
    failures = []
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200" or name in SKIPPED_ACTIONS:
            continue
        url = url_for(name, role, world)
        for value in ODD_DIGITS[:2] + ["99999999999999999999", "-1", "2026-²", "²⁰²⁶-11", "\x00"]:
            for query in (dict.fromkeys(names, value), dict.fromkeys(set(names) - OVERRIDING, value)):
                status = client.get(url, query).status_code
                if status >= 500:
                    failures.append(f"{url}?…={value!r} ({len(query)} parameters): {status}")
    assert not failures, "\n".join(failures)
