"""GDPR: export one member's data, erase a member, purge inactive guests."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import models
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Contribution, ShiftSignup
from meals.services.shifts import shift_claim
from members.models import Member, Membership
from members.services import member_erase


def text_columns():
    for model in apps.get_models():
        for field in model._meta.get_fields():
            if isinstance(field, (models.CharField, models.TextField)) and field.concrete:
                yield model, field.name


def rows_holding(value: str) -> list[str]:
    found = []
    for model, name in text_columns():
        if model._base_manager.filter(**{f"{name}__icontains": value}).exists():
            found.append(f"{model._meta.label}.{name}")
    return found


def figures() -> dict:
    from meals.reports import Period, compute

    months = {
        (row["month"].year, row["month"].month)
        for row in Booking.objects.annotate(month=TruncMonth("meal__starts_at")).values("month")
    }
    result = {
        "bookings": list(
            Booking.objects.annotate(month=TruncMonth("meal__starts_at"))
            .values("month", "status")
            .annotate(n=Count("pk"), seats=Sum("party_size"))
            .order_by("month", "status")
        ),
        "contributions": list(
            Contribution.objects.annotate(month=TruncMonth("recorded_at"))
            .values("month")
            .annotate(n=Count("pk"), total=Sum("amount"))
            .order_by("month")
        ),
        "signups": ShiftSignup.objects.count(),
        "memberships": Membership.objects.aggregate(n=Count("pk"), total=Sum("amount")),
    }
    for year, month in sorted(months):
        report = compute(Period(year, month))
        result[f"report {year}-{month}"] = {
            key: value for key, value in report.items() if isinstance(value, (int, Decimal, str, type(None)))
        }
    return result


@pytest.fixture
def jeanne_history(guest, volunteer, make_meal):
    past = make_meal(day=timezone.localdate() - timedelta(days=10))
    future = make_meal(day=timezone.localdate() + timedelta(days=3))
    booking = Booking.objects.create(
        meal=past,
        member=guest,
        name="Jeanne Martin",
        email="jeanne@example.org",
        phone="06 12 34 56 78",
        notes="Sans gluten, voisine de Jeanne Martin",
        checked_in_at=past.starts_at,
    )
    Contribution.objects.create(meal=past, booking=booking, amount=Decimal("6.50"), method="cash")
    Booking.objects.create(meal=future, member=guest, name="Jeanne Martin", email="jeanne@example.org", party_size=2)
    shift_claim(shift=future.shifts.get(role="dishes"), member=guest)
    Membership.objects.create(member=guest, year=timezone.localdate().year, amount=Decimal("10"), method="cash")
    guest.notes = "Appeler Jeanne Martin le lundi"
    guest.save()
    # Someone else's data stays.
    Booking.objects.create(meal=future, name="Marcel Petit", phone="07 00 00 00 01")
    return guest


@pytest.mark.django_db
def test_erasing_a_guest_leaves_no_trace_of_them_and_keeps_the_figures(client, coordinator, jeanne_history):
    guest = jeanne_history
    assert rows_holding("Jeanne Martin")  # the scan does find them before
    before = figures()
    client.force_login(coordinator)
    response = client.post(reverse("members:member_erase", args=[guest.pk]))
    assert response.status_code == 302
    for value in ["Jeanne Martin", "jeanne@example.org", "06 12 34 56 78"]:
        assert rows_holding(value) == [], value
    assert figures() == before
    guest.refresh_from_db()
    assert guest.erased_at is not None
    assert guest.bookings.count() == 2 and guest.signups.count() == 1 and guest.memberships.count() == 1
    assert Booking.objects.filter(name="Marcel Petit").exists()


@pytest.mark.django_db
def test_erasing_a_volunteer_with_an_account_blanks_the_account_too(volunteer, meal):
    shift_claim(shift=meal.shifts.get(role="cooking"), member=volunteer.member)
    member_erase(member=volunteer.member)
    for value in ["Karim Benali", "Karim", "Benali", "karim@example.org"]:
        assert rows_holding(value) == [], value
    volunteer.refresh_from_db()
    assert not volunteer.is_active and not volunteer.has_usable_password()
    assert ShiftSignup.objects.filter(member=volunteer.member).count() == 1


@pytest.mark.django_db
def test_coordinator_downloads_a_members_data_as_json(client, coordinator, jeanne_history):
    client.force_login(coordinator)
    response = client.get(reverse("members:member_export", args=[jeanne_history.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["member"]["email"] == "jeanne@example.org"
    assert len(data["bookings"]) == 2 and len(data["shifts"]) == 1 and len(data["memberships"]) == 1
    assert data["contributions"][0]["amount"] == "6.50"
    assert "Marcel" not in response.content.decode()


@pytest.mark.django_db
def test_nobody_but_a_coordinator_exports_or_erases(client, guest, volunteer, partner_referent, outsider):
    export = reverse("members:member_export", args=[guest.pk])
    erase = reverse("members:member_erase", args=[guest.pk])
    assert client.get(export).status_code == 302  # anonymous: to the login page
    for user in (volunteer, partner_referent, outsider):
        client.force_login(user)
        # Even a person's own record: exports go through the coordination.
        assert client.get(reverse("members:member_export", args=[user.member.pk])).status_code == 403
        assert client.get(export).status_code == 403
        assert client.post(erase).status_code == 403
    guest.refresh_from_db()
    assert guest.erased_at is None and guest.name == "Jeanne Martin"


@pytest.mark.django_db
def test_export_of_an_unknown_member_is_404(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("members:member_export", args=[999999])).status_code == 404


def old_guest(name: str, *, months_ago: int, make_meal) -> Member:
    then = timezone.now() - timedelta(days=months_ago * 31)
    member = Member.objects.create(name=name, email=f"{name.lower()}@example.org", created_at=then)
    meal = make_meal(day=timezone.localdate(then))
    Booking.objects.create(meal=meal, member=member, name=name, email=member.email, created_at=then)
    return member


@pytest.mark.django_db
def test_purge_inactive_is_a_dry_run_unless_applied(make_meal, volunteer, capsys):
    gone = old_guest("Ancien", months_ago=40, make_meal=make_meal)
    recent = old_guest("Recent", months_ago=10, make_meal=make_meal)
    back = old_guest("Revenu", months_ago=40, make_meal=make_meal)
    Booking.objects.create(meal=make_meal(), member=back, name="Revenu", email="revenu@example.org")
    Member.objects.filter(pk=volunteer.member.pk).update(created_at=timezone.now() - timedelta(days=2000))

    call_command("purge_inactive", "--months", "36")
    assert "1 guest(s)" in capsys.readouterr().out
    assert not Member.objects.filter(erased_at__isnull=False).exists()

    call_command("purge_inactive", "--months", "36", "--apply")
    assert "1 guest(s)" in capsys.readouterr().out
    gone.refresh_from_db()
    assert gone.erased_at is not None and gone.name == "" and gone.bookings.get().name == ""
    assert Member.objects.filter(erased_at__isnull=True, pk__in=[recent.pk, back.pk, volunteer.member.pk]).count() == 3
    assert rows_holding("ancien@example.org") == []


@pytest.mark.django_db
def test_erase_page_asks_before_erasing(client, coordinator, guest):
    client.force_login(coordinator)
    response = client.get(reverse("members:member_erase", args=[guest.pk]))
    assert response.status_code == 200 and "définitif" in response.content.decode()
    guest.refresh_from_db()
    assert guest.erased_at is None
    assert Member.objects.filter(Q(name="Jeanne Martin")).exists()
