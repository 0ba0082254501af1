"""Migrations meals 0016 and members 0010: today's volunteers are not locked out, yesterday's figures do not change."""

from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from meals.models import ShiftSignup, ShiftTemplate
from members.models import Member, Prerequisite

BEFORE = [("meals", "0015_booking_health"), ("members", "0009_health_profile")]


@pytest.mark.django_db(transaction=True)
def test_existing_volunteers_meet_the_prerequisites_and_past_signups_count_as_worked():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    User, Member_, Meal, Shift, Signup, Template, Booking = (
        old.get_model(*label.split("."))
        for label in (
            "auth.User",
            "members.Member",
            "meals.Meal",
            "meals.Shift",
            "meals.ShiftSignup",
            "meals.ShiftTemplate",
            "meals.Booking",
        )
    )

    def meal_on(start):
        meal = Meal.objects.create(
            title="Déjeuner",
            cooking_starts_at=start - timedelta(hours=3),
            starts_at=start,
            ends_at=start + timedelta(hours=2),
            booking_opens_at=start - timedelta(days=20),
            booking_closes_at=start - timedelta(hours=2),
            cost_price="9.00",
        )
        return Shift.objects.create(
            meal=meal, role="cooking", starts_at=start - timedelta(hours=3), ends_at=start, slots=5, taken=1
        )

    past = meal_on(timezone.make_aware(datetime(2025, 10, 7, 12, 30)))
    coming = meal_on(timezone.now() + timedelta(days=3))
    regular = Member_.objects.create(name="Karim", user=User.objects.create(username="karim"))
    signed_up_only = Member_.objects.create(name="Léa", user=User.objects.create(username="lea"))
    guest = Member_.objects.create(name="Jeanne")  # helped with her booking, no account
    Signup.objects.create(shift=past, member=regular)
    Signup.objects.create(shift=coming, member=signed_up_only)
    booking = Booking.objects.create(meal=past.meal, member=guest, name="Jeanne")
    Signup.objects.create(shift=past, member=guest, booking=booking)
    Template.objects.create(role="table", minutes_before_meal=30, duration_minutes=30, slots=3)

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    assert set(Prerequisite.objects.filter(member_id=regular.pk).values_list("kind", flat=True)) == {
        "hygiene",
        "charter",
        "trial",
    }
    # Never came yet, or helped only with a booking: a newcomer like any other.
    assert not Prerequisite.objects.filter(member_id__in=[signed_up_only.pk, guest.pk]).exists()
    assert Member.objects.get(pk=regular.pk).prerequisites.get(kind="hygiene").recorded_by is None
    # Before attendance existed a sign-up counted as worked: the shifts over keep counting.
    assert set(ShiftSignup.objects.filter(shift_id=past.pk).values_list("attended", flat=True)) == {"came"}
    assert ShiftSignup.objects.get(shift_id=coming.pk).attended == "unknown"
    assert ShiftTemplate.objects.get(role="table").requires == ["charter", "trial"]
