"""The board, my shifts and the week overview issue as many queries for 200 shifts as for 10."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.cache import bump
from meals.models import Shift, ShiftSignup
from members.models import Member
from tests.conftest import PARIS, create_meal

ROLES = [Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES, Shift.Role.WELCOME]


def make_shifts(count: int, *, days: int, helpers_for=None) -> list[Shift]:
    """``count`` shifts on meals spread over ``days`` days, two helpers each (``helpers_for`` also on all)."""
    shifts = []
    meal_index = 0
    while len(shifts) < count:
        day = timezone.localdate() + timedelta(days=1 + meal_index % days)
        at = datetime.combine(day, time(12, 0), tzinfo=PARIS) + timedelta(minutes=meal_index)
        meal = create_meal(day=day, starts_at=at, ends_at=at + timedelta(hours=2), shifts=False)
        for role in ROLES[: count - len(shifts)]:
            shifts.append(
                Shift.objects.create(
                    meal=meal, role=role, starts_at=at - timedelta(hours=1), ends_at=at, slots=5, taken=2
                )
            )
        meal_index += 1
    signups = []
    for shift in shifts:
        for n in range(2):
            member = helpers_for if (helpers_for and n == 0) else Member.objects.create(name=f"Aide{shift.pk}-{n} X")
            signups.append(ShiftSignup(shift=shift, member=member))
    ShiftSignup.objects.bulk_create(signups)
    return shifts


def count_queries(client, url: str) -> int:
    client.get(url)  # keeps the session and the cantine's settings
    bump("meals", "board")  # counted when the board is rebuilt, as the second count is
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url_name,days,mine,marker",
    [
        ("meals:shifts", 20, False, "2 / 5"),
        ("meals:my_shifts", 20, True, "my-shift"),
        ("meals:shift_overview", 6, False, "2 / 5"),
    ],
)
def test_shift_pages_issue_the_same_queries_for_10_and_200_shifts(
    client, coordinator, django_assert_num_queries, url_name, days, mine, marker
):
    client.force_login(coordinator)
    url = reverse(url_name)
    make_shifts(10, days=days, helpers_for=coordinator.member if mine else None)
    few = count_queries(client, url)
    make_shifts(190, days=days, helpers_for=coordinator.member if mine else None)
    assert Shift.objects.count() == 200
    with django_assert_num_queries(few):
        response = client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count(marker) == 200


def test_board_shows_all_200_shifts_with_their_helpers(client, volunteer):
    make_shifts(200, days=20)
    client.force_login(volunteer)
    html = client.get(reverse("meals:shifts")).content.decode()
    assert html.count('class="shift-role"') == 200
    assert html.count("Je viens") == 200
