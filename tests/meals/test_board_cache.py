"""The board's cache: keyed on a counter the database changes, and on the instants the clock changes the board."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from meals.board import board_version
from meals.models import Meal, Shift, ShiftSignup
from meals.services.booking import booking_create
from meals.services.shifts import shift_claim, shift_release
from members.models import Member
from members.roles import VOLUNTEER
from tests.conftest import create_meal, make_user

BOARD = reverse("meals:shifts")


def meal_at(starts_at, **fields) -> Meal:
    return create_meal(
        day=timezone.localdate(starts_at),
        starts_at=starts_at,
        cooking_starts_at=starts_at - timedelta(hours=3),
        ends_at=starts_at + timedelta(hours=2),
        booking_closes_at=starts_at - timedelta(hours=2),
        shifts=False,
        **fields,
    )


def shift_at(starts_at, *, role=Shift.Role.DISHES, slots=3) -> Shift:
    meal = meal_at(starts_at)
    return Shift.objects.create(
        meal=meal, role=role, starts_at=starts_at, ends_at=starts_at + timedelta(hours=1), slots=slots
    )


# The counter ----------------------------------------------------------------


@pytest.mark.django_db
def test_the_counter_changes_with_every_write_the_board_shows(meal, volunteer, guest):
    shift = meal.shifts.get(role=Shift.Role.COOKING)
    writes = [
        lambda: shift_claim(shift=shift, member=volunteer.member),
        lambda: shift_release(signup=ShiftSignup.objects.get(member=volunteer.member), force=True),
        lambda: Shift.objects.filter(pk=shift.pk).update(description="Apporter un tablier"),
        lambda: Meal.objects.filter(pk=meal.pk).update(title="Couscous du jeudi"),
        lambda: Meal.objects.filter(pk=meal.pk).update(starts_at=meal.starts_at + timedelta(minutes=30)),
        lambda: shift_claim(shift=shift, member=guest),
        lambda: Member.objects.filter(pk=guest.pk).update(name="Jeanne-Marie Dupont"),
        lambda: ShiftSignup.objects.filter(member=guest).delete(),
        lambda: Meal.objects.filter(pk=meal.pk).update(status=Meal.Status.CANCELLED),
    ]
    seen = [board_version()]
    for write in writes:
        write()
        seen.append(board_version())
    assert None not in seen
    assert len(set(seen)) == len(seen), "a write the board shows left its counter unchanged"


@pytest.mark.django_db
def test_bookings_and_other_member_edits_leave_the_board_alone(meal, guest):
    before = board_version()
    booking_create(meal=meal, name="Jeanne Martin", email="jeanne@example.org", party_size=2)
    Member.objects.filter(pk=guest.pk).update(phone="0611223344")
    Meal.objects.filter(pk=meal.pk).update(main="Gratin de courge")
    assert board_version() == before


@pytest.mark.django_db(transaction=True)
def test_the_counter_changes_when_the_write_commits_and_not_if_it_rolls_back(meal, volunteer):
    shift = meal.shifts.get(role=Shift.Role.COOKING)
    before = board_version()
    with pytest.raises(RuntimeError), transaction.atomic():
        shift_claim(shift=shift, member=volunteer.member)
        raise RuntimeError("changed my mind")
    assert board_version() == before
    assert not ShiftSignup.objects.exists()

    with transaction.atomic():
        shift_claim(shift=shift, member=volunteer.member)
        if connection.vendor == "postgresql":
            # Deferred to COMMIT: taken after every other lock, so writers never deadlock on it.
            assert board_version() == before
    assert board_version() != before


@pytest.mark.django_db(transaction=True)
def test_a_committed_claim_is_on_the_board_cached_before_it(client, meal, volunteer):
    client.force_login(volunteer)
    shift = meal.shifts.get(role=Shift.Role.DISHES)
    before = client.get(BOARD).content.decode()
    assert f"<strong>0 / {shift.slots}</strong>" in before
    shift_claim(shift=shift, member=volunteer.member)
    after = client.get(BOARD).content.decode()
    assert f"<strong>1 / {shift.slots}</strong>" in after
    assert "Vous êtes inscrit·e." in after


# Whose board -----------------------------------------------------------------


@pytest.mark.django_db
def test_each_volunteer_sees_their_own_shifts_on_a_cached_board(client, meal, volunteer):
    paul = make_user("paul@example.org", group=VOLUNTEER, name="Paul Durand")
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=paul.member)
    client.force_login(volunteer)
    assert "Vous êtes inscrit·e." not in client.get(BOARD).content.decode()
    client.force_login(paul)
    assert "Vous êtes inscrit·e." in client.get(BOARD).content.decode()


@pytest.mark.django_db
def test_a_volunteer_who_loses_the_role_loses_the_cached_board(client, volunteer, meal):
    client.force_login(volunteer)
    assert client.get(BOARD).status_code == 200
    volunteer.groups.remove(Group.objects.get(name=VOLUNTEER))
    assert client.get(BOARD).status_code == 403


@pytest.mark.django_db
def test_each_response_carries_its_own_csrf_token(volunteer, meal):
    from django.test import Client

    pages = []
    for _ in range(2):
        browser = Client()
        browser.force_login(volunteer)
        pages.append(browser.get(BOARD))
    tokens = [page.content.decode().split('name="csrfmiddlewaretoken" value="')[1][:64] for page in pages]
    assert tokens[0] != tokens[1]
    assert "\x00" not in pages[1].content.decode()


# The clock -------------------------------------------------------------------


@pytest.mark.django_db
def test_a_cached_board_stops_offering_release_24_hours_before_the_shift(client, volunteer, clock):
    now, move = clock
    shift = shift_at(now + timedelta(hours=30))
    shift_claim(shift=shift, member=volunteer.member)
    client.force_login(volunteer)
    release = reverse("meals:release_shift", args=[shift.pk])
    assert release in client.get(BOARD).content.decode()
    move(timedelta(hours=7))
    later = client.get(BOARD).content.decode()
    assert release not in later
    assert "moins de 24\u202fheures" in later or "moins de 24 heures" in later


@pytest.mark.django_db
def test_a_shift_leaves_the_cached_board_when_it_starts(client, volunteer, clock):
    now, move = clock
    shift = shift_at(now + timedelta(hours=5))
    client.force_login(volunteer)
    claim = reverse("meals:claim_shift", args=[shift.pk])
    assert claim in client.get(BOARD).content.decode()
    move(timedelta(hours=5, seconds=1))
    assert claim not in client.get(BOARD).content.decode()


@pytest.mark.django_db
def test_a_shift_enters_the_cached_board_three_weeks_ahead(client, volunteer, clock):
    now, move = clock
    shift_at(now + timedelta(days=3))
    far = shift_at(now + timedelta(days=22))
    client.force_login(volunteer)
    claim = reverse("meals:claim_shift", args=[far.pk])
    assert claim not in client.get(BOARD).content.decode()
    move(timedelta(days=1, hours=1))
    assert claim in client.get(BOARD).content.decode()
