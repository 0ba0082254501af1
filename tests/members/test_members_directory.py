"""The members directory, a member's page, edits, merges and memberships."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Contribution, Shift, ShiftSignup
from members.models import Member, Membership
from members.services import MergeConflict, member_merge


def add_members(count: int) -> None:
    Member.objects.bulk_create(
        [
            Member(name=f"Convive {i:04d}", email=f"c{i}@example.org", phone=f"06 00 00 {i // 100:02d} {i % 100:02d}")
            for i in range(count)
        ]
    )


@pytest.mark.django_db
def test_directory_finds_by_name_email_or_phone(client, coordinator, guest):
    Member.objects.create(name="Marcel Petit", phone="07 11 22 33 44")
    client.force_login(coordinator)
    url = reverse("members:directory")
    assert "Jeanne Martin" in client.get(url, {"q": "jeanne"}).content.decode()
    assert "Jeanne Martin" in client.get(url, {"q": "JEANNE@example"}).content.decode()
    by_phone = client.get(url, {"q": "0612345678"}).content.decode()
    assert "Jeanne Martin" in by_phone and "Marcel Petit" not in by_phone
    assert "Marcel Petit" not in client.get(url, {"q": "jeanne"}).content.decode()


@pytest.mark.django_db
def test_directory_is_paginated(client, coordinator):
    add_members(120)
    client.force_login(coordinator)
    page1 = client.get(reverse("members:directory"), {"q": "convive"}).content.decode()
    page3 = client.get(reverse("members:directory"), {"q": "convive", "page": 3}).content.decode()
    assert "Convive 0000" in page1 and "Convive 0049" in page1 and "Convive 0050" not in page1
    assert "Convive 0119" in page3


def directory_queries(client, django_assert_max_num_queries) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(reverse("members:directory"))  # keeps the session and the cantine's settings
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("members:directory"), {"q": "convive"})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
def test_directory_query_count_is_flat_with_10_and_500_members(client, coordinator, django_assert_max_num_queries):
    client.force_login(coordinator)
    add_members(10)
    few = directory_queries(client, django_assert_max_num_queries)
    add_members(490)
    assert directory_queries(client, django_assert_max_num_queries) == few


def give_history(member: Member, meal, *, amount: str = "5.00") -> Booking:
    booking = Booking.objects.create(
        meal=meal,
        member=member,
        name=member.name,
        email=member.email,
        phone=member.phone,
        checked_in_at=timezone.now(),
    )
    Contribution.objects.create(meal=meal, booking=booking, amount=Decimal(amount), method="cash")
    return booking


@pytest.mark.django_db
def test_member_page_shows_history_and_its_query_count_is_flat(client, coordinator, guest, make_meal):
    client.force_login(coordinator)
    url = reverse("members:member", args=[guest.pk])
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    give_history(guest, make_meal(day=timezone.localdate() - timedelta(days=20)), amount="4.00")
    add_members(10)
    client.get(url)  # keeps the session and the cantine's settings
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    add_members(490)
    for offset in range(2, 8):
        give_history(guest, make_meal(day=timezone.localdate() - timedelta(days=20 + offset)), amount="1.50")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(many) == len(few)
    page = response.content.decode()
    assert "7\xa0repas partagés" in page or "7 repas partagés" in page
    assert "13" in page  # 4 + 6 × 1.50 = 13 €


@pytest.mark.django_db
def test_member_history_figures(guest, make_meal, volunteer):
    from members.services import member_history

    past = make_meal(day=timezone.localdate() - timedelta(days=3))
    give_history(guest, past, amount="7.50")
    Booking.objects.create(meal=make_meal(day=timezone.localdate() + timedelta(days=3)), member=guest, name="J")
    Shift.objects.filter(meal=past, role="dishes").update(taken=1)
    ShiftSignup.objects.create(shift=past.shifts.get(role="dishes"), member=guest)
    history = member_history(member=guest)
    assert history["booked"] == 2 and history["attended"] == 1 and history["shifts_done"] == 1
    assert history["contributions_total"] == Decimal("7.50")
    assert history["first_visit"] == past.starts_at


@pytest.mark.django_db
def test_coordinator_edits_a_member(client, coordinator, guest):
    client.force_login(coordinator)
    response = client.post(
        reverse("members:member_edit", args=[guest.pk]),
        {"name": "Jeanne Martin-Roux", "email": "", "phone": "0612345678", "language": "fr", "notes": "Sans sel"},
    )
    assert response.status_code == 302
    guest.refresh_from_db()
    assert (guest.name, guest.email, guest.notes) == ("Jeanne Martin-Roux", "", "Sans sel")
    assert guest.phone == "06 12 34 56 78"


@pytest.mark.django_db
def test_member_edit_refuses_a_phone_number_that_is_not_one(client, coordinator, guest):
    client.force_login(coordinator)
    url = reverse("members:member_edit", args=[guest.pk])
    response = client.post(url, {"name": "Jeanne", "phone": "appelez-moi", "language": "fr"})
    assert response.status_code == 200 and "pas valable" in response.content.decode()
    guest.refresh_from_db()
    assert guest.name == "Jeanne Martin"


@pytest.mark.django_db
def test_merge_moves_bookings_signups_and_memberships(client, coordinator, guest, make_meal):
    by_phone = Member.objects.create(name="J. Martin", phone="06 12 34 56 78", notes="Vient avec sa voisine")
    by_email = Member.objects.create(name="Jeanne", email="jm@example.org")
    meal1, meal2 = make_meal(), make_meal(day=timezone.localdate() + timedelta(days=2))
    Booking.objects.create(meal=meal1, member=by_phone, name="J. Martin", phone="06 12 34 56 78")
    Booking.objects.create(meal=meal2, member=by_email, name="Jeanne", email="jm@example.org")
    Shift.objects.filter(pk=meal1.shifts.get(role="dishes").pk).update(taken=1)
    ShiftSignup.objects.create(shift=meal1.shifts.get(role="dishes"), member=by_phone)
    Membership.objects.create(member=by_phone, year=2026, amount=0, method="cash")
    client.force_login(coordinator)
    response = client.post(reverse("members:member_merge", args=[by_email.pk]), {"other": by_phone.pk})
    assert response.status_code == 302
    assert not Member.objects.filter(pk=by_phone.pk).exists()
    assert by_email.bookings.count() == 2 and by_email.signups.count() == 1 and by_email.memberships.count() == 1
    by_email.refresh_from_db()
    assert by_email.phone == "06 12 34 56 78" and "voisine" in by_email.notes


@pytest.mark.django_db
def test_merge_refuses_two_records_on_the_same_shift(guest, meal):
    twin = Member.objects.create(name="Jeanne M.", phone="0700000000")
    shift = meal.shifts.get(role="cooking")
    ShiftSignup.objects.create(shift=shift, member=guest)
    ShiftSignup.objects.create(shift=shift, member=twin)
    with pytest.raises(MergeConflict):
        member_merge(keep=guest, drop=twin)
    assert Member.objects.filter(pk=twin.pk).exists()
    assert ShiftSignup.objects.filter(member=twin).count() == 1


@pytest.mark.django_db
def test_merge_refuses_two_live_bookings_for_the_same_meal_but_not_a_cancelled_one(client, coordinator, guest, meal):
    twin = Member.objects.create(name="Jeanne M.", phone="0700000000")
    Booking.objects.create(meal=meal, member=guest, name="Jeanne", email="jeanne@example.org")
    other = Booking.objects.create(meal=meal, member=twin, name="Jeanne M.", phone="0700000000")
    client.force_login(coordinator)
    response = client.post(reverse("members:member_merge", args=[guest.pk]), {"other": twin.pk})
    assert response.status_code == 200
    assert "même repas" in response.content.decode()
    assert Member.objects.filter(pk=twin.pk).exists()
    Booking.objects.filter(pk=other.pk).update(status="cancelled")
    member_merge(keep=guest, drop=twin)
    assert guest.bookings.count() == 2


@pytest.mark.django_db
def test_membership_of_zero_euros_is_recorded_and_listed(client, coordinator, guest):
    client.force_login(coordinator)
    today = timezone.localdate()
    response = client.post(
        reverse("members:membership_new", args=[guest.pk]),
        {"joined_on": today.isoformat(), "amount": "0", "method": "cash"},
    )
    assert response.status_code == 302
    assert Membership.objects.get(member=guest).amount == 0
    listing = client.get(reverse("members:memberships")).content.decode()
    assert "Jeanne Martin" in listing


@pytest.mark.django_db
def test_membership_negative_or_twice_the_same_year_is_refused(client, coordinator, guest):
    client.force_login(coordinator)
    url = reverse("members:membership_new", args=[guest.pk])
    today = timezone.localdate().isoformat()
    assert client.post(url, {"joined_on": today, "amount": "-5", "method": "cash"}).status_code == 200
    assert not Membership.objects.exists()
    client.post(url, {"joined_on": today, "amount": "10", "method": "cash"})
    again = client.post(url, {"joined_on": today, "amount": "10", "method": "cash"})
    assert again.status_code == 200 and "déjà adhérent" in again.content.decode()
    assert Membership.objects.count() == 1
