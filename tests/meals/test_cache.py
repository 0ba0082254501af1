"""meals/cache.py: every write path forgets the generations it changes; kept pages revalidate with a 304."""

from datetime import time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meals import cache
from meals.models import Booking, Meal, Shift, ShiftSignup
from meals.services import door, planning
from meals.services.booking import booking_cancel, booking_create
from meals.services.shifts import shift_claim, shift_release
from members.models import Member, Partner
from members.services import member_erase, member_merge

pytestmark = pytest.mark.django_db

UPCOMING = reverse("meals:upcoming")
LUNCH = planning.MealTimes(time(9, 30), time(12, 30), time(14, 30), 7, time(10, 0))


# Every write path -------------------------------------------------------------


def book(meal, name="Jeanne", email="jeanne@example.org", party_size=1):
    return booking_create(meal=meal, name=name, email=email, party_size=party_size)


def series(meal, coordinator, guest):
    today = timezone.localdate()
    planning.series_create(
        title="Midi", weekdays=[0, 2], starts_on=today, ends_on=today + timedelta(days=14), times=LUNCH, values={}
    )


def cancel_with_promotion(meal, coordinator, guest):
    Booking.objects.filter(meal=meal).delete()
    first = book(meal, party_size=meal.capacity)
    book(meal, name="Paul", email="paul@example.org")  # waits
    booking_cancel(booking=first)


def erase(meal, coordinator, guest):
    member_erase(member=guest)


def merge(meal, coordinator, guest):
    twin = Member.objects.create(name="Jeanne M.", phone="0612345678")
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=twin)
    member_merge(keep=guest, drop=twin)


WRITES = {
    "booking_create": lambda meal, coordinator, guest: book(meal),
    "booking_cancel": cancel_with_promotion,
    "walk_in_add": lambda meal, coordinator, guest: door.walk_in_add(meal=meal, party_size=2, by=coordinator),
    "booking_check_in": lambda meal, coordinator, guest: door.booking_check_in(booking=book(meal), by=coordinator),
    "shift_claim": lambda meal, coordinator, guest: shift_claim(
        shift=meal.shifts.get(role=Shift.Role.DISHES), member=guest
    ),
    "shift_release": lambda meal, coordinator, guest: shift_release(
        signup=shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=guest), force=True
    ),
    "meal_create": lambda meal, coordinator, guest: planning.meal_create(
        values={"title": "Soupe"}, times=LUNCH, day=timezone.localdate() + timedelta(days=2)
    ),
    "series_create": series,
    "meal_update": lambda meal, coordinator, guest: planning.meal_update(meal=meal, values={"main": "Gratin"}),
    "meal_cancel": lambda meal, coordinator, guest: planning.meal_cancel(meal=meal, by=coordinator, reason="Grève"),
    "seat_block_set": lambda meal, coordinator, guest: planning.seat_block_set(
        meal=meal, partner=Partner.objects.create(name="Voisins"), seats=2, release_at=meal.starts_at
    ),
    "member_erase": erase,
    "member_merge": merge,
}
# What each write changes: "meals" (/, meal pages, the door's list), "board" (the shift board).
CHANGES = {
    "booking_create": {"meals"},
    "booking_cancel": {"meals"},
    "walk_in_add": {"meals"},
    "booking_check_in": {"meals"},
    "shift_claim": {"meals", "board"},
    "shift_release": {"meals", "board"},
    "meal_create": {"meals", "board"},
    "series_create": {"meals", "board"},
    "meal_update": {"meals", "board"},
    "meal_cancel": {"meals", "board"},
    "seat_block_set": {"meals"},
    "member_erase": {"meals", "board"},
    "member_merge": {"meals", "board"},
}


def start_generations() -> dict:
    def build():
        return {"meal": Meal(title="Déjeuner", starts_at=timezone.now())}, None

    for kind in cache.KINDS:
        cache.kept({"title": "meals/includes/meal_title.html"}, kinds=(kind,), build=build, now=timezone.now())
    return {kind: cache.generation(kind) for kind in cache.KINDS}


@pytest.mark.parametrize("name", WRITES)
def test_every_write_path_forgets_the_generations_it_changes(name, meal, coordinator, guest):
    assert set(WRITES) == set(CHANGES)
    if name == "member_erase":  # something on the board for the erasure to blank
        shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=guest)
    before = start_generations()
    assert None not in before.values()
    WRITES[name](meal, coordinator, guest)
    for kind in CHANGES[name]:
        assert cache.generation(kind) is None, f"{name} left the {kind} generation unchanged"


def test_a_rolled_back_write_leaves_the_generations_alone(meal):
    from django.db import transaction

    before = start_generations()
    with pytest.raises(RuntimeError), transaction.atomic():
        book(meal)
        raise RuntimeError("changed my mind")
    assert {kind: cache.generation(kind) for kind in cache.KINDS} == before


def test_what_is_built_while_a_write_commits_is_not_used_after_it(meal):
    now = timezone.now()
    templates = {"title": "meals/includes/meal_title.html"}
    start_generations()

    def built_while_a_booking_commits():
        context = {"meal": type(meal)(title="Avant", starts_at=meal.starts_at)}
        book(meal)  # commits (and forgets the generation) after the rows were read
        return context, None

    first = cache.kept(templates, kinds=("meals",), build=built_while_a_booking_commits, now=now)
    assert "Avant" in first["title"]
    second = cache.kept(
        templates,
        kinds=("meals",),
        build=lambda: ({"meal": type(meal)(title="Après", starts_at=meal.starts_at)}, None),
        now=now,
    )
    assert "Après" in second["title"]


def test_a_new_release_does_not_use_what_the_previous_one_kept(meal, monkeypatch):
    now = timezone.now()
    templates = {"title": "meals/includes/meal_title.html"}

    def rows(title):
        return lambda: ({"meal": type(meal)(title=title, starts_at=meal.starts_at)}, None)

    cache.kept(templates, kinds=("meals",), build=rows("Ancienne"), now=now)
    assert "Ancienne" in cache.kept(templates, kinds=("meals",), build=rows("Nouvelle"), now=now)["title"]
    monkeypatch.setattr(cache, "release", lambda: "the-next-release")
    assert "Nouvelle" in cache.kept(templates, kinds=("meals",), build=rows("Nouvelle"), now=now)["title"]


# Conditional GET --------------------------------------------------------------


def revalidating_phone(url: str) -> tuple[Client, str]:
    """A phone that has the page with its ETag (its second visit: the first one set its CSRF cookie)."""
    phone = Client()
    phone.get(url)
    response = phone.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] in {"private, no-cache", "no-cache, private"}
    assert {"Cookie", "Accept-Language"} <= {part.strip() for part in response.headers["Vary"].split(",")}
    return phone, response.headers["ETag"]


@pytest.mark.parametrize("page", ["upcoming", "meal"])
def test_a_phone_revalidates_a_public_page_with_a_304_until_a_booking(page, meal):
    url = UPCOMING if page == "upcoming" else reverse("meals:meal", args=[meal.pk])
    phone, etag = revalidating_phone(url)
    not_modified = phone.get(url, HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.content == b""
    assert not_modified.headers["ETag"] == etag
    book(meal, party_size=3)
    after = phone.get(url, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert "Il reste 7 places" in after.content.decode()
    assert after.headers["ETag"] != etag


def test_a_304_stops_when_the_clock_changes_the_page(meal, clock):
    now, move = clock
    type(meal).objects.filter(pk=meal.pk).update(booking_closes_at=now + timedelta(hours=1))
    phone, etag = revalidating_phone(UPCOMING)
    assert phone.get(UPCOMING, HTTP_IF_NONE_MATCH=etag).status_code == 304
    move(timedelta(hours=1, seconds=1))
    after = phone.get(UPCOMING, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200
    assert "Je réserve" not in after.content.decode()


def test_the_etag_differs_by_language_and_by_path(meal):
    phone, etag = revalidating_phone(UPCOMING)
    english = phone.get(UPCOMING, HTTP_ACCEPT_LANGUAGE="en", HTTP_IF_NONE_MATCH=etag)
    assert english.status_code == 200
    assert english.headers["ETag"] != etag
    other_path = phone.get(UPCOMING + "?from=newsletter", HTTP_IF_NONE_MATCH=etag)
    assert other_path.status_code == 200


def test_a_logged_in_viewer_gets_no_etag(client, volunteer, meal):
    client.force_login(volunteer)
    client.get(UPCOMING)
    assert "ETag" not in client.get(UPCOMING).headers


def test_a_kept_page_is_one_query_and_a_304_too(meal, django_assert_num_queries):
    phone, etag = revalidating_phone(UPCOMING)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert phone.get(UPCOMING, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert len(queries) == 1
    assert ShiftSignup.objects.count() == 0


# The clock ---------------------------------------------------------------------


@pytest.mark.parametrize("page", ["upcoming", "meal"])
def test_a_kept_page_says_tomorrow_from_local_midnight(client, make_meal, clock, page):
    from datetime import datetime

    real_now, move = clock
    meal = make_meal(day=timezone.localdate() + timedelta(days=2))
    url = UPCOMING if page == "upcoming" else reverse("meals:meal", args=[meal.pk])
    assert "Demain" not in client.get(url).content.decode()
    midnight = timezone.make_aware(datetime.combine(timezone.localdate(real_now) + timedelta(days=1), time.min))
    move(midnight - real_now + timedelta(minutes=1))
    assert "Demain" in client.get(url).content.decode()
