"""Who may open every planning, members and partners page.

Actors: an anonymous visitor, a guest who only has their booking's private
link, a volunteer, the referent of this partner, the referent of another
partner, a coordinator. Anonymous visitors are sent to the login page; a
logged-in person without the role gets 403; another association's page is 404.
"""

import pytest
from django.urls import reverse

from meals.models import Booking
from meals.services.booking import partner_booking_create

LOGIN = "login"
ACTORS = ["anonymous", "guest_link", "volunteer", "referent", "other_referent", "coordinator"]
COORDINATOR_ONLY = {
    "anonymous": LOGIN,
    "guest_link": LOGIN,
    "volunteer": 403,
    "referent": 403,
    "other_referent": 403,
    "coordinator": 200,
}
REFERENT_ONLY = {
    "anonymous": LOGIN,
    "guest_link": LOGIN,
    "volunteer": 403,
    "referent": 200,
    "other_referent": 404,
    "coordinator": 403,
}

# (url name, argument builder, expected status per actor)
PAGES = [
    ("meals:planning", lambda c: [], COORDINATOR_ONLY),
    ("meals:planning_new", lambda c: [], COORDINATOR_ONLY),
    ("meals:planning_series", lambda c: [], COORDINATOR_ONLY),
    ("meals:planning_edit", lambda c: [c["meal"].pk], COORDINATOR_ONLY),
    ("meals:planning_cancel", lambda c: [c["meal"].pk], COORDINATOR_ONLY),
    ("meals:planning_seat_block", lambda c: [c["meal"].pk], COORDINATOR_ONLY),
    ("members:directory", lambda c: [], COORDINATOR_ONLY),
    ("members:member", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:member_edit", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:member_merge", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:membership_new", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:member_export", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:member_erase", lambda c: [c["guest"].pk], COORDINATOR_ONLY),
    ("members:memberships", lambda c: [], COORDINATOR_ONLY),
    ("members:partners", lambda c: [], COORDINATOR_ONLY),
    ("members:partner_new", lambda c: [], COORDINATOR_ONLY),
    ("members:partner", lambda c: [c["partner"].pk], COORDINATOR_ONLY),
    ("members:partner_edit", lambda c: [c["partner"].pk], COORDINATOR_ONLY),
    ("members:partner_referent_new", lambda c: [c["partner"].pk], COORDINATOR_ONLY),
    ("members:partner_bookings", lambda c: [c["partner"].pk], REFERENT_ONLY),
    (
        "members:partner_home",
        lambda c: [],
        {**REFERENT_ONLY, "referent": 302, "other_referent": 302},
    ),
]


@pytest.fixture
def cast(guest, volunteer, partner_referent, other_referent, coordinator, partner, meal):
    booking = Booking.objects.create(meal=meal, member=guest, name=guest.name, email=guest.email)
    return {
        "guest": guest,
        "partner": partner,
        "meal": meal,
        "booking": booking,
        "volunteer": volunteer,
        "referent": partner_referent,
        "other_referent": other_referent,
        "coordinator": coordinator,
    }


def act_as(client, actor: str, cast) -> None:
    if actor == "guest_link":
        client.get(reverse("meals:booking", args=[cast["booking"].token]))
    elif actor != "anonymous":
        client.force_login(cast[actor])


def check(response, expected) -> None:
    if expected == LOGIN:
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize(("name", "args", "expected"), PAGES, ids=[page[0] for page in PAGES])
def test_page_permission_matrix(client, cast, actor, name, args, expected):
    act_as(client, actor, cast)
    check(client.get(reverse(name, args=args(cast))), expected[actor])


# POSTs that write: nobody but the right person writes anything.
WRITES = [
    ("meals:planning_cancel", lambda c: [c["meal"].pk], {"reason": "test"}),
    ("members:member_erase", lambda c: [c["guest"].pk], {}),
    ("members:member_edit", lambda c: [c["guest"].pk], {"name": "X", "language": "fr"}),
    ("members:partner_edit", lambda c: [c["partner"].pk], {"name": "X"}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["anonymous", "guest_link", "volunteer", "referent", "other_referent"])
@pytest.mark.parametrize(("name", "args", "data"), WRITES, ids=[w[0] for w in WRITES])
def test_nobody_else_writes(client, cast, actor, name, args, data):
    act_as(client, actor, cast)
    response = client.post(reverse(name, args=args(cast)), data)
    assert response.status_code in {302, 403}
    if response.status_code == 302:
        assert response.url.startswith(reverse("login"))
    cast["meal"].refresh_from_db()
    cast["guest"].refresh_from_db()
    cast["partner"].refresh_from_db()
    assert not cast["meal"].is_cancelled
    assert cast["guest"].name == "Jeanne Martin" and cast["guest"].erased_at is None
    assert cast["partner"].name == "Les Amis du Quartier"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("anonymous", LOGIN),
        ("guest_link", LOGIN),
        ("volunteer", 403),
        ("referent", 302),
        ("other_referent", 404),
        ("coordinator", 403),
    ],
)
def test_partner_booking_cancel_matrix(client, cast, actor, expected):
    booking = partner_booking_create(meal=cast["meal"], partner=cast["partner"], name="Odette")
    act_as(client, actor, cast)
    url = reverse("members:partner_booking_cancel", args=[cast["partner"].pk, booking.pk])
    check(client.post(url), expected)
    booking.refresh_from_db()
    assert (booking.status == "cancelled") == (actor == "referent")


@pytest.mark.django_db
def test_referent_cannot_reach_another_partners_booking_through_its_own_page(client, cast, other_partner):
    theirs = Booking.objects.create(meal=cast["meal"], partner=other_partner, name="Gaston")
    client.force_login(cast["referent"])
    url = reverse("members:partner_booking_cancel", args=[cast["partner"].pk, theirs.pk])
    assert client.post(url).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"
