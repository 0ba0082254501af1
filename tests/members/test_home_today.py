"""The coordinator's home: today's meal at a glance (booked, arrived, hands missing, till)."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Shift
from meals.services import door

HOME = reverse("members:home")


def book(meal, name, party_size=1, **fields):
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, **fields)
    meal.seats_taken += party_size
    meal.save(update_fields=["seats_taken"])
    return booking


def test_the_coordinator_s_home_shows_today_s_meal_at_a_glance(client, coordinator, make_meal):
    meal = make_meal(day=timezone.localdate(), capacity=30)
    tomorrow = make_meal(capacity=30)
    book(tomorrow, "Demain", party_size=4)
    book(meal, "Jeanne Martin")
    marcel = book(meal, "Marcel Dubois", party_size=3)
    Booking.objects.create(meal=meal, name="Attente", party_size=2, status=Booking.Status.WAITLISTED)
    door.booking_check_in(booking=marcel, by=coordinator)
    door.walk_in_add(meal=meal, name="Léon", party_size=2, by=coordinator)
    cooking = meal.shifts.get(role=Shift.Role.COOKING)
    Shift.objects.filter(pk=cooking.pk).update(taken=1)  # claimed earlier (the shift has started since)
    door.contribution_record(meal=meal, amount=Decimal("5.50"), method="cash", by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("10"), method="card", by=coordinator)
    wrong = door.contribution_record(meal=meal, amount=Decimal("55"), method="cash", by=coordinator)
    door.contribution_void(contribution=wrong, by=coordinator, reason="55 au lieu de 5")

    client.force_login(coordinator)
    response = client.get(HOME)
    [glance] = response.context["today"]
    assert glance.meal == meal
    assert (glance.booked, glance.arrived, glance.walk_ins) == (4, 3, 2)
    assert glance.total == Decimal("15.50")
    assert glance.contributions == 2
    assert glance.closing is None
    by_role = {shift.role: shift for shift in glance.shifts}
    assert by_role[Shift.Role.COOKING].hands_needed == cooking.slots - 1
    assert glance.hands_needed == sum(s.slots for s in meal.shifts.all()) - 1
    html = response.content.decode()
    assert reverse("meals:door", args=[meal.pk]) in html
    assert "personnes réservées, sur 30 places" in html
    assert "Caisse ouverte" in html
    assert "15,50\u202f€" in html
    assert f"il manque {cooking.slots - 1} personnes" in html


def test_a_closed_till_shows_as_closed_with_its_count(client, coordinator, make_meal):
    meal = make_meal(day=timezone.localdate())
    door.contribution_record(meal=meal, amount=Decimal("8"), method="cash", by=coordinator)
    door.till_close(meal=meal, counted_cash=Decimal("8"), by=coordinator)
    client.force_login(coordinator)
    response = client.get(HOME)
    assert response.context["today"][0].closing is not None
    assert "Caisse close" in response.content.decode()


def test_no_meal_today_says_so_and_points_to_the_next_ones(client, coordinator, make_meal):
    make_meal(day=timezone.localdate() + timedelta(days=2))
    make_meal(day=timezone.localdate(), status="cancelled")
    client.force_login(coordinator)
    response = client.get(HOME)
    assert response.context["today"] == []
    html = response.content.decode()
    assert "Pas de repas aujourd" in html
    assert reverse("meals:door_today") in html


def test_the_glance_costs_the_same_queries_for_one_small_meal_or_two_full_ones(
    client, coordinator, make_meal, django_assert_num_queries
):
    client.force_login(coordinator)
    small = make_meal(day=timezone.localdate(), capacity=80)
    book(small, "Seule")
    client.get(HOME)  # keeps the session and the cantine's settings, as the counts below
    with CaptureQueriesContext(connection) as baseline:
        assert client.get(HOME).status_code == 200
    with django_assert_num_queries(len(baseline)):
        client.get(HOME)
    evening = make_meal(day=timezone.localdate(), capacity=80, title="Dîner")
    for meal in (small, evening):
        for n in range(60):
            booking = book(meal, f"Convive {n}")
            if n % 2:
                door.booking_check_in(booking=booking, by=coordinator)
            door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", booking=booking, by=coordinator)
    with django_assert_num_queries(len(baseline)):
        response = client.get(HOME)
    assert [g.booked for g in response.context["today"]] == [61, 60]


def test_a_volunteer_s_home_has_no_glance_and_no_query_for_it(client, volunteer, make_meal):
    make_meal(day=timezone.localdate())
    client.force_login(volunteer)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(HOME)
    assert "today" not in response.context
    assert not [q for q in queries.captured_queries if "meals_booking" in q["sql"]]
