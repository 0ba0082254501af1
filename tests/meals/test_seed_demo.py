import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from meals.models import Booking, Contribution, Meal, Shift, ShiftSignup
from members.models import Member, Partner


@pytest.mark.django_db
def test_seed_demo_fills_an_empty_database_and_prints_logins(capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out

    assert "coordination@cantine.test" in out and "benevole@cantine.test" in out
    assert Meal.objects.count() >= 20
    assert Shift.objects.count() == 3 * Meal.objects.count()
    assert Booking.objects.filter(status=Booking.Status.CONFIRMED).exists()
    assert Contribution.objects.exists() and ShiftSignup.objects.exists()
    assert Partner.objects.exists() and Member.objects.count() > 60
    # django-axes (first backend) counts logins per request: authenticate needs one.
    request = RequestFactory().post("/comptes/login/")
    coordinator = authenticate(request, username="coordination@cantine.test", password="cantine-demo-2026")
    assert coordinator.has_perm("meals.run_door")
    # Every meal's seat counter matches its confirmed bookings.
    for meal in Meal.objects.all():
        confirmed = sum(b.party_size for b in meal.bookings.filter(status=Booking.Status.CONFIRMED))
        assert meal.seats_taken == confirmed <= meal.capacity
    for shift in Shift.objects.all():
        assert shift.taken == shift.signups.count() <= shift.slots


@pytest.mark.django_db
def test_seed_demo_volunteers_are_ready_a_newcomer_is_not_and_past_attendance_is_marked(capsys):
    from django.utils import timezone

    from meals.readiness import met_by

    call_command("seed_demo")
    assert met_by(Member.objects.get(email="benevole@cantine.test")) == {"hygiene", "charter", "trial"}
    assert met_by(Member.objects.get(email="nouvelle@cantine.test")) == set()
    past = ShiftSignup.objects.filter(shift__ends_at__lt=timezone.now())
    assert past.filter(attended="came").exists()
    # The last meal's helpers are still to mark (« à pointer »); nobody marks a shift to come.
    assert past.filter(attended="unknown").exists()
    assert not ShiftSignup.objects.filter(shift__starts_at__gt=timezone.now()).exclude(attended="unknown").exists()
    assert Shift.objects.filter(accompanied=True, starts_at__gt=timezone.now()).exists()


@pytest.mark.django_db
def test_seed_demo_refuses_a_database_that_has_meals(make_meal):
    make_meal()
    with pytest.raises(CommandError, match="déjà des repas"):
        call_command("seed_demo")
    assert Meal.objects.count() == 1


@pytest.mark.django_db
def test_seed_demo_year_scale_keeps_counters_consistent_with_rows(capsys):
    # A small "year" (12 meals): the same generator as the benchmark's 250.
    call_command("seed_demo", "--scale", "year", "--meals", "12")

    assert "12 repas" in capsys.readouterr().out
    assert Meal.objects.count() == 12
    assert Booking.objects.filter(status=Booking.Status.WAITLISTED).exists()
    assert Contribution.objects.filter(voided_at__isnull=False).exists()
    for meal in Meal.objects.all():
        confirmed = sum(b.party_size for b in meal.bookings.filter(status=Booking.Status.CONFIRMED))
        assert meal.seats_taken == confirmed <= meal.capacity
        assert meal.starts_at.isoweekday() in (2, 3, 4, 5, 6)
    for shift in Shift.objects.all():
        assert shift.taken == shift.signups.count() <= shift.slots
    # Contributions only for people who came.
    for contribution in Contribution.objects.filter(booking__isnull=False).select_related("booking"):
        assert contribution.booking.checked_in_at is not None


@pytest.mark.django_db
def test_seed_demo_year_has_purchases_for_the_meals_already_bought_for(capsys):
    """Issue 17: the benchmark's year has purchases (two per meal, three lines or a gift), linked to its meals."""
    from meals import sourcing
    from meals.models import MealSupply, Purchase

    call_command("seed_demo", "--scale", "year", "--meals", "12")
    assert "achats" in capsys.readouterr().out
    from datetime import timedelta

    # Bought the day before the meal: up to tomorrow's meal.
    tomorrow = sourcing.timezone.localdate() + timedelta(days=1)
    past = [meal for meal in Meal.objects.all() if sourcing.timezone.localtime(meal.starts_at).date() <= tomorrow]
    assert Purchase.objects.count() == 2 * len(past) > 0
    assert MealSupply.objects.filter(meal__in=past).count() == MealSupply.objects.count() == 2 * len(past)
    served = Meal.objects.filter(ends_at__lt=sourcing.timezone.now()).first()
    cost = sourcing.meal_cost(served)
    assert cost.computed and cost.shares.by_value["local"] > 0
