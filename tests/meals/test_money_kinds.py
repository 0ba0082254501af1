"""Kinds of money at the door (issue 16): a meal's payment, a gift on top, membership fees, partners' payments."""

from decimal import Decimal

import pytest
from django.urls import reverse

from meals.idempotency import new_key
from meals.models import Booking, Contribution
from meals.services import door
from members.models import Member


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def donor(db) -> Member:
    return Member.objects.create(
        name="Odile Durand", email="odile@example.org", street="3 rue des Lilas", postcode="75019", city="Paris"
    )


def test_a_contribution_is_a_meal_contribution_unless_said_otherwise(meal, coordinator):
    row = door.contribution_record(meal=meal, amount=Decimal("5.50"), method="cash", by=coordinator)
    assert row.kind == Contribution.Kind.MEAL
    assert row.giver is None
    assert row.donation_row is None


def test_meal_amount_plus_gift_makes_two_rows_in_one_tap(coordinator_client, meal, donor):
    booking = Booking.objects.create(meal=meal, name="Odile", member=donor, party_size=1)
    key = new_key()
    data = {"amount": "5,50", "method": "cheque", "donation": "20", "booking": booking.pk, "form_key": key}
    url = reverse("meals:record_contribution", args=[meal.pk])
    response = coordinator_client.post(url, data, follow=True)
    assert response.status_code == 200
    rows = list(Contribution.objects.filter(meal=meal).order_by("pk"))
    assert [(r.kind, r.amount, r.method, r.giver_id) for r in rows] == [
        ("meal", Decimal("5.50"), "cheque", donor.pk),
        ("donation", Decimal("20.00"), "cheque", donor.pk),
    ]
    assert "Don en plus" in response.content.decode()
    # The same form again (a double tap): nothing more.
    coordinator_client.post(url, data)
    assert Contribution.objects.filter(meal=meal).count() == 2


def test_quick_amount_tap_keeps_working_without_a_gift(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    assert coordinator_client.post(url, {"amount": "5", "method": "cash"}).status_code == 302
    assert list(Contribution.objects.values_list("kind", "amount")) == [("meal", Decimal("5.00"))]


def test_a_named_giver_wins_over_the_bookings_member(meal, coordinator, donor, guest):
    booking = Booking.objects.create(meal=meal, name="Jeanne", member=guest, party_size=1)
    row = door.contribution_record(
        meal=meal,
        amount=Decimal("0"),
        method="cash",
        booking=booking,
        giver=donor,
        donation=Decimal("10"),
        by=coordinator,
    )
    assert row.giver == donor and row.donation_row.giver == donor


def test_a_meal_voucher_is_never_a_gift(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    response = coordinator_client.post(url, {"amount": "9", "method": "voucher", "donation": "5"})
    assert response.status_code == 200
    assert "titre-restaurant" in response.content.decode()
    assert not Contribution.objects.exists()


def test_a_bad_gift_amount_is_refused_in_the_page_and_nothing_is_written(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    response = coordinator_client.post(url, {"amount": "5", "method": "cash", "donation": "-3"})
    assert response.status_code == 200
    assert "négatif" in response.content.decode()
    assert not Contribution.objects.exists()


def test_an_unknown_kind_is_refused(coordinator_client, meal):
    url = reverse("meals:record_contribution", args=[meal.pk])
    response = coordinator_client.post(url, {"amount": "5", "method": "cash", "kind": "loan"})
    assert response.status_code == 200
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("kind", [k for k, _label in Contribution.Kind.choices])
def test_every_kind_can_be_recorded_and_voided(meal, coordinator, kind):
    row = door.contribution_record(meal=meal, amount=Decimal("12"), method="card", kind=kind, by=coordinator)
    door.contribution_void(contribution=row, by=coordinator, reason="erreur de saisie")
    row.refresh_from_db()
    assert row.kind == kind and row.voided_at is not None


def test_desk_totals_hold_only_meal_money_against_the_cost_price(meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("9"), method="cash", by=coordinator, donation=Decimal("30"))
    door.contribution_record(meal=meal, amount=Decimal("7"), method="cash", by=coordinator, kind="membership")
    totals = door.door_totals(meal=meal, contributions=Contribution.objects.filter(meal=meal), covers=1)
    assert totals.total == Decimal("46.00")
    assert totals.cash == Decimal("46.00")  # all of it is in the cash box
    assert totals.meal_total == Decimal("9.00")
    assert totals.donations == Decimal("30.00")
    assert totals.memberships == Decimal("7.00")
    assert totals.average_per_cover == Decimal("9.00")
    assert totals.contributors == 2  # the gift came with the meal's payment


def test_the_desk_shows_the_gift_box_and_the_split(coordinator_client, meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("9"), method="cash", by=coordinator, donation=Decimal("30"))
    page = coordinator_client.get(reverse("meals:door", args=[meal.pk])).content.decode()
    assert 'name="donation"' in page
    assert "dont dons" in page
