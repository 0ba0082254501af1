"""Partner associations, referents, seat blocks and the referent's own bookings."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Meal, SeatBlock
from meals.services import planning
from meals.services.booking import booking_cancel, booking_create, partner_booking_create
from members.models import Partner


@pytest.mark.django_db
def test_coordinator_creates_and_edits_a_partner(client, coordinator):
    client.force_login(coordinator)
    response = client.post(
        reverse("members:partner_new"),
        {"name": "Petits Frères", "contact_name": "Anne", "contact_email": "anne@example.org", "notes": "Mardis"},
    )
    partner = Partner.objects.get(name="Petits Frères")
    assert response.status_code == 302
    client.post(reverse("members:partner_edit", args=[partner.pk]), {"name": "Petits Frères des Pauvres"})
    partner.refresh_from_db()
    assert partner.name == "Petits Frères des Pauvres"
    assert "Petits Frères des Pauvres" in client.get(reverse("members:partners")).content.decode()


@pytest.mark.django_db
def test_coordinator_creates_a_referent_account_for_a_partner(client, coordinator, partner):
    client.force_login(coordinator)
    response = client.post(
        reverse("members:partner_referent_new", args=[partner.pk]),
        {"name": "Lucie Blanc", "email": "Lucie@Example.org", "password": "un-mot-de-passe-solide-42"},
    )
    assert response.status_code == 302
    user = get_user_model().objects.get(email="lucie@example.org")
    assert user.has_perm("meals.book_for_partner")
    assert list(user.partners.all()) == [partner]
    assert user.member.name == "Lucie Blanc"
    again = client.post(
        reverse("members:partner_referent_new", args=[partner.pk]),
        {"name": "Lucie Blanc", "email": "lucie@example.org", "password": "un-mot-de-passe-solide-42"},
    )
    assert again.status_code == 200 and "existe déjà" in again.content.decode()


@pytest.mark.django_db
def test_seat_block_larger_than_capacity_is_refused_and_nothing_is_written(client, coordinator, meal, partner):
    client.force_login(coordinator)
    release = timezone.localtime(meal.starts_at - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("meals:planning_seat_block", args=[meal.pk]),
        {"partner": partner.pk, "seats": 11, "release_at": release},
    )
    assert response.status_code == 200
    assert "Trop de places" in response.content.decode()
    assert not SeatBlock.objects.exists()
    ok = client.post(
        reverse("meals:planning_seat_block", args=[meal.pk]), {"partner": partner.pk, "seats": 4, "release_at": release}
    )
    assert ok.status_code == 302
    assert SeatBlock.objects.get().seats == 4


@pytest.mark.django_db
def test_two_blocks_together_cannot_exceed_capacity(meal, partner, other_partner):
    release = meal.starts_at - timedelta(hours=5)
    planning.seat_block_set(meal=meal, partner=partner, seats=6, release_at=release)
    with pytest.raises(planning.SeatBlockError):
        planning.seat_block_set(meal=meal, partner=other_partner, seats=5, release_at=release)


@pytest.mark.django_db
def test_capacity_below_partner_blocks_is_refused(meal, partner):
    planning.seat_block_set(meal=meal, partner=partner, seats=8, release_at=meal.starts_at - timedelta(hours=5))
    with pytest.raises(planning.CapacityBelowBooked):
        planning.meal_update(meal=meal, values={"capacity": 6})


def block(meal, partner, seats: int, *, released: bool = False) -> SeatBlock:
    now = timezone.now()
    release_at = now - timedelta(minutes=1) if released else now + timedelta(hours=6)
    return SeatBlock.objects.create(meal=meal, partner=partner, seats=seats, release_at=release_at)


@pytest.mark.django_db
def test_public_cannot_take_blocked_seats_before_release_but_the_referent_can(meal, partner, partner_referent):
    block(meal, partner, 6)
    first = booking_create(meal=meal, name="Public Un", email="un@example.org", party_size=4)
    assert first.status == Booking.Status.CONFIRMED
    meal.refresh_from_db()
    assert meal.seats_left == 0
    late = booking_create(meal=meal, name="Public Deux", email="deux@example.org")
    assert late.status == Booking.Status.WAITLISTED
    for name in ["Odette", "Lucien", "Simone"]:
        booking = partner_booking_create(meal=meal, partner=partner, name=name, by=partner_referent)
        assert booking.status == Booking.Status.CONFIRMED and booking.partner == partner
    meal.refresh_from_db()
    assert meal.seats_taken == 7
    assert meal.seats_left == 0  # three seats still held for the partner


@pytest.mark.django_db
def test_released_block_seats_go_to_the_public(meal, partner):
    block(meal, partner, 6, released=True)
    booking = booking_create(meal=meal, name="Public", email="p@example.org", party_size=4)
    assert booking.status == Booking.Status.CONFIRMED
    assert booking_create(meal=meal, name="Public 2", email="p2@example.org", party_size=4).status == "confirmed"


@pytest.mark.django_db
def test_another_partner_cannot_use_a_block(meal, partner, other_partner, other_referent):
    block(meal, partner, 8)
    ok = partner_booking_create(meal=meal, partner=other_partner, name="Marc", party_size=2, by=other_referent)
    assert ok.status == Booking.Status.CONFIRMED
    refused = partner_booking_create(meal=meal, partner=other_partner, name="Léa", by=other_referent)
    assert refused.status == Booking.Status.WAITLISTED


@pytest.mark.django_db
def test_cancelled_public_seat_is_not_promoted_into_a_block(meal, partner):
    public = booking_create(meal=meal, name="Public", email="p@example.org", party_size=4)
    block(meal, partner, 6)
    waiting = booking_create(meal=meal, name="Attente", email="w@example.org")
    assert waiting.status == Booking.Status.WAITLISTED
    assert booking_cancel(booking=public) != []  # 4 public seats freed: the waiting guest goes in
    waiting.refresh_from_db()
    assert waiting.status == Booking.Status.CONFIRMED


@pytest.mark.django_db
def test_upcoming_shows_seats_left_without_blocked_ones(client, meal, partner):
    block(meal, partner, 7)
    assert Meal.objects.upcoming().get(pk=meal.pk).seats_left == 3
    assert "Il reste 3 places" in client.get(reverse("meals:upcoming")).content.decode()


@pytest.mark.django_db
def test_referent_books_with_a_first_name_only_and_sees_only_its_bookings(
    client, meal, partner, partner_referent, other_partner
):
    Booking.objects.create(meal=meal, partner=other_partner, name="Gaston de l'autre asso")
    block(meal, partner, 5)
    client.force_login(partner_referent)
    home = client.get(reverse("members:partner_home"))
    assert home.status_code == 302 and home.url == reverse("members:partner_bookings", args=[partner.pk])
    url = reverse("members:partner_bookings", args=[partner.pk])
    response = client.post(url, {"meal": meal.pk, "name": "Odette", "party_size": 2, "notes": ""})
    assert response.status_code == 302
    booking = Booking.objects.get(name="Odette")
    assert (booking.partner, booking.party_size, booking.email, booking.phone) == (partner, 2, "", "")
    page = client.get(url).content.decode()
    assert "Odette" in page and "Gaston" not in page


@pytest.mark.django_db
def test_referent_cannot_see_or_cancel_another_associations_bookings(client, meal, partner_referent, other_partner):
    theirs = Booking.objects.create(meal=meal, partner=other_partner, name="Gaston", status="confirmed")
    client.force_login(partner_referent)
    assert client.get(reverse("members:partner_bookings", args=[other_partner.pk])).status_code == 404
    cancel = reverse("members:partner_booking_cancel", args=[other_partner.pk, theirs.pk])
    assert client.post(cancel).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "confirmed"


@pytest.mark.django_db
def test_referent_cancels_its_own_booking(client, meal, partner, partner_referent):
    booking = partner_booking_create(meal=meal, partner=partner, name="Odette", by=partner_referent)
    client.force_login(partner_referent)
    url = reverse("members:partner_booking_cancel", args=[partner.pk, booking.pk])
    assert client.get(url).status_code == 405
    assert client.post(url).status_code == 302
    booking.refresh_from_db()
    meal.refresh_from_db()
    assert booking.status == "cancelled" and meal.seats_taken == 0


@pytest.mark.django_db
def test_seat_counter_is_the_total_of_the_partners_confirmed_seats(client, make_meal, partner, partner_referent):
    """One line per block, with the sum of every confirmed seat (not the last booking's party)."""
    meal = make_meal(capacity=40)
    block(meal, partner, 6)
    client.force_login(partner_referent)
    url = reverse("members:partner_bookings", args=[partner.pk])
    for name, size in [("Odette", 1), ("Lucien", 2), ("Simone", 1), ("Marcel", 1)]:
        client.post(url, {"meal": meal.pk, "name": name, "party_size": size, "notes": ""})
    gone = partner_booking_create(meal=meal, partner=partner, name="Annulé", party_size=3)
    booking_cancel(booking=gone)
    Booking.objects.create(meal=meal, partner=partner, name="En attente", party_size=2, status="waitlisted")
    page = client.get(url)
    assert page.context["blocks"][0][1] == 5
    html = page.content.decode()
    assert "5 sur 6 places utilisées" in html
    assert html.count("places utilisées") == 1

    client.post(url, {"meal": meal.pk, "name": "Famille Roux", "party_size": 9, "notes": ""})
    assert Booking.objects.get(name="Famille Roux").status == Booking.Status.CONFIRMED
    html = client.get(url).content.decode()
    # 5 + 9, and the waiting party of 2: a new booking first promotes who waits where seats are free.
    assert Booking.objects.get(name="En attente").status == Booking.Status.CONFIRMED
    assert "16 places utilisées" in html and "6 places gardées" in html
    assert "9 sur 6" not in html


@pytest.mark.django_db
def test_held_seats_subtract_every_partner_booking_not_only_one(meal, partner):
    block(meal, partner, 6)
    for name in ["Odette", "Lucien", "Simone"]:
        partner_booking_create(meal=meal, partner=partner, name=name, party_size=1)
    assert Meal.objects.with_held_seats().get(pk=meal.pk).held_seats == 3
    assert Meal.objects.upcoming().get(pk=meal.pk).seats_left == 10 - 3 - 3
