"""The kept board: under the ``board`` generation, per viewer, until the first instant the clock changes it."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meals.cache import generation
from meals.models import Meal, Shift, ShiftSignup
from meals.services.booking import booking_create
from meals.services.planning import meal_update
from meals.services.shifts import shift_claim, shift_release
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


# The generation --------------------------------------------------------------


def started(client) -> str:
    """The board's generation, once the client's board has been kept under it."""
    assert client.get(BOARD).status_code == 200
    assert generation("board") is not None
    return generation("board")


@pytest.mark.django_db
def test_the_generation_changes_with_every_write_the_board_shows(client, meal, volunteer, guest):
    client.force_login(volunteer)
    shift = meal.shifts.get(role=Shift.Role.COOKING)

    def describe():
        shift.description = "Apporter un tablier"
        shift.save()

    def rename():
        guest.name = "Jeanne-Marie Dupont"
        guest.save()

    writes = [
        lambda: shift_claim(shift=shift, member=volunteer.member),
        lambda: shift_release(signup=ShiftSignup.objects.get(member=volunteer.member), force=True),
        describe,
        lambda: meal_update(meal=meal, values={"title": "Couscous du jeudi"}),
        lambda: shift_claim(shift=shift, member=guest),
        rename,
        lambda: ShiftSignup.objects.filter(member=guest).delete(),
    ]
    for number, write in enumerate(writes):
        started(client)
        write()
        assert generation("board") is None, f"write {number} left the board's generation unchanged"


@pytest.mark.django_db
def test_bookings_and_seat_blocks_leave_the_board_alone(client, meal, volunteer, guest):
    client.force_login(volunteer)
    before = started(client)
    booking_create(meal=meal, name=guest.name, email=guest.email, phone=guest.phone, party_size=2)
    assert generation("board") == before


@pytest.mark.django_db(transaction=True)
def test_the_generation_changes_when_the_write_commits_and_not_if_it_rolls_back(client, meal, volunteer):
    client.force_login(volunteer)
    shift = meal.shifts.get(role=Shift.Role.COOKING)
    before = started(client)
    with pytest.raises(RuntimeError), transaction.atomic():
        shift_claim(shift=shift, member=volunteer.member)
        raise RuntimeError("changed my mind")
    assert generation("board") == before
    assert not ShiftSignup.objects.exists()

    with transaction.atomic():
        shift_claim(shift=shift, member=volunteer.member)
        # Not before COMMIT: a reader meanwhile would keep the old rows under a new generation.
        assert generation("board") == before
    assert generation("board") is None
    assert "Vous êtes inscrit·e." in client.get(BOARD).content.decode()


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
@pytest.mark.parametrize("page", ["board", "meal"])
def test_a_kept_page_draws_each_viewer_s_menu_from_their_own_permissions(client, meal, volunteer, coordinator, page):
    url = BOARD if page == "board" else reverse("meals:meal", args=[meal.pk])
    door = reverse("meals:door_today")
    # Each viewer's page is kept apart: the coordinator's menu leads to the door desk, a volunteer's does not.
    for user, sees_door in ((volunteer, False), (coordinator, True), (volunteer, False)):
        client.force_login(user)
        assert (f'href="{door}"' in client.get(url).content.decode()) is sees_door


@pytest.mark.django_db
def test_the_kept_meal_page_draws_the_menu_of_a_viewer_without_any_role(client, meal, volunteer, outsider):
    url, board = reverse("meals:meal", args=[meal.pk]), f'href="{BOARD}"'
    client.force_login(volunteer)
    assert board in client.get(url).content.decode()
    client.force_login(outsider)
    assert board not in client.get(url).content.decode()


@pytest.mark.django_db
def test_a_message_waiting_is_shown_on_the_kept_board_once(client, meal, volunteer):
    shift = meal.shifts.get(role=Shift.Role.DISHES)
    client.force_login(volunteer)
    client.get(BOARD)
    client.get(BOARD + "?besoin=1")
    answer = client.post(reverse("meals:claim_shift", args=[shift.pk]), follow=True)
    assert "C&#x27;est noté" in answer.content.decode() or "C'est noté" in answer.content.decode()
    assert "Vous êtes inscrit·e." in answer.content.decode()
    again = client.get(BOARD).content.decode()
    assert "C'est noté" not in again and "C&#x27;est noté" not in again
    assert "Vous êtes inscrit·e." in again


@pytest.mark.django_db
def test_the_kept_board_page_holds_nothing_of_an_unknown_query_string(client, meal, volunteer):
    client.force_login(volunteer)
    client.get(BOARD + "?besoin=1&trace=secret-value")
    assert "secret-value" not in client.get(BOARD + "?besoin=1").content.decode()


@pytest.mark.django_db
def test_a_volunteer_who_loses_the_role_loses_the_cached_board(client, volunteer, meal):
    client.force_login(volunteer)
    assert client.get(BOARD).status_code == 200
    volunteer.groups.remove(Group.objects.get(name=VOLUNTEER))
    assert client.get(BOARD).status_code == 403


@pytest.mark.django_db
def test_a_kept_board_holds_no_csrf_token_and_each_browser_claims_with_its_own(volunteer, meal):
    from django.test import Client

    shifts = list(meal.shifts.order_by("pk"))[:2]
    browsers, pages = [], []
    for _ in shifts:  # the second board comes from the cache, for another browser of the same volunteer
        browser = Client(enforce_csrf_checks=True)
        browser.force_login(volunteer)
        browsers.append(browser)
        pages.append(browser.get(BOARD).content.decode())
    tokens = []
    for page in pages:
        form = page[page.index('<form id="shift-actions"') :]
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1))
        board = page[page.index("</form>", page.index('<form id="shift-actions"')) :]
        assert "csrfmiddlewaretoken" not in board
    assert tokens[0] != tokens[1]
    for browser, token, shift in zip(browsers, tokens, shifts, strict=True):
        claim = reverse("meals:claim_shift", args=[shift.pk])
        button = re.search(rf'form="shift-actions" name="form_key" value="([^"]+)" formaction="{claim}"', pages[1])
        # Each button of each response carries its own one-time key, never the kept placeholder.
        assert button is not None and "\x00" not in button.group(1)
        assert button.group(1) not in pages[0]
        assert browser.post(claim, {"csrfmiddlewaretoken": token, "form_key": button.group(1)}).status_code == 302
    assert ShiftSignup.objects.filter(member=volunteer.member).count() == 2


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
