from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import ProtectedError

from meals.models import Booking, Contribution, TillClosing
from meals.services import door
from members.models import PaymentMethod

CASH = PaymentMethod.CASH
CARD = PaymentMethod.CARD


def book(meal, name="Jeanne Martin", party_size=1, status=Booking.Status.CONFIRMED):
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, status=status)
    if status == Booking.Status.CONFIRMED:
        meal.seats_taken += party_size
        meal.save(update_fields=["seats_taken"])
    return booking


def test_check_in_records_who_and_when_and_a_second_tap_keeps_the_first_time(meal, coordinator, volunteer):
    booking = book(meal)
    door.booking_check_in(booking=booking, by=coordinator)
    booking.refresh_from_db()
    first = booking.checked_in_at
    assert first is not None
    assert booking.checked_in_by == coordinator
    door.booking_check_in(booking=booking, by=volunteer)
    booking.refresh_from_db()
    assert booking.checked_in_at == first
    assert booking.checked_in_by == coordinator


def test_undo_check_in_clears_the_arrival(meal, coordinator):
    booking = book(meal)
    door.booking_check_in(booking=booking, by=coordinator)
    door.booking_undo_check_in(booking=booking, by=coordinator)
    booking.refresh_from_db()
    assert booking.checked_in_at is None
    assert booking.checked_in_by is None


def test_undoing_a_walk_in_removes_it_and_frees_its_seats(make_meal, coordinator):
    meal = make_meal(capacity=2)
    walk_in = door.walk_in_add(meal=meal, party_size=2, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("4"), method=CASH, booking=walk_in, by=coordinator)
    door.booking_undo_check_in(booking=walk_in, by=coordinator)
    door.booking_undo_check_in(booking=walk_in, by=coordinator)
    walk_in.refresh_from_db()
    meal.refresh_from_db()
    assert walk_in.status == Booking.Status.CANCELLED
    assert meal.seats_taken == 0
    assert Contribution.objects.filter(booking=walk_in).count() == 1


def test_waitlisted_booking_cannot_be_checked_in(meal, coordinator):
    booking = book(meal, status=Booking.Status.WAITLISTED)
    with pytest.raises(door.NotAGuest):
        door.booking_check_in(booking=booking, by=coordinator)
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_walk_in_takes_seats_and_is_arrived(meal, coordinator):
    walk_in = door.walk_in_add(meal=meal, name="Lucien", party_size=2, by=coordinator)
    meal.refresh_from_db()
    assert meal.seats_taken == 2
    assert walk_in.is_walk_in and walk_in.checked_in_at is not None
    assert walk_in.checked_in_by == coordinator
    assert walk_in.over_capacity is False


def test_walk_in_beyond_capacity_is_refused_without_squeezing(make_meal, coordinator):
    meal = make_meal(capacity=3)
    book(meal, party_size=2)
    with pytest.raises(door.MealFull, match="une place"):
        door.walk_in_add(meal=meal, party_size=2, by=coordinator)
    meal.refresh_from_db()
    assert meal.seats_taken == 2
    assert meal.bookings.filter(is_walk_in=True).count() == 0


def test_walk_in_with_squeeze_goes_over_capacity_and_raises_extra_seats(make_meal, coordinator):
    meal = make_meal(capacity=3)
    book(meal, party_size=2)
    walk_in = door.walk_in_add(meal=meal, party_size=3, by=coordinator, squeeze=True)
    meal.refresh_from_db()
    assert meal.seats_taken == 5
    assert meal.extra_seats == 2
    assert walk_in.over_capacity is True


def test_walk_in_on_a_cancelled_meal_is_refused(make_meal, coordinator):
    meal = make_meal(status="cancelled")
    with pytest.raises(door.MealCancelled):
        door.walk_in_add(meal=meal, party_size=1, by=coordinator, squeeze=True)


def test_contribution_is_recorded_with_who_and_when(meal, coordinator):
    booking = book(meal)
    contribution = door.contribution_record(
        meal=meal, amount=Decimal("5.50"), method=CASH, booking=booking, by=coordinator
    )
    contribution.refresh_from_db()
    assert contribution.amount == Decimal("5.50")
    assert contribution.recorded_by == coordinator
    assert contribution.booking == booking


def test_zero_is_a_valid_contribution(meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("0.00"), method=CASH, by=coordinator)
    assert Contribution.objects.filter(meal=meal).count() == 1


@pytest.mark.parametrize(
    "amount", [Decimal("-1"), Decimal("500.01"), Decimal("5.555"), Decimal("NaN"), Decimal("Infinity"), 5.5]
)
def test_contribution_out_of_bounds_writes_nothing(meal, coordinator, amount):
    with pytest.raises(door.InvalidContribution):
        door.contribution_record(meal=meal, amount=amount, method=CASH, by=coordinator)
    assert not Contribution.objects.exists()


def test_contribution_with_unknown_method_writes_nothing(meal, coordinator):
    with pytest.raises(door.InvalidContribution):
        door.contribution_record(meal=meal, amount=Decimal("5"), method="bitcoin", by=coordinator)
    assert not Contribution.objects.exists()


def test_contribution_for_a_booking_of_another_meal_is_refused(meal, make_meal, coordinator):
    other = make_meal(day=meal.starts_at.date() + timedelta(days=7))
    stranger = book(other)
    with pytest.raises(door.NotAGuest):
        door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, booking=stranger, by=coordinator)
    assert not Contribution.objects.exists()


def test_contribution_on_a_cancelled_meal_is_refused(make_meal, coordinator):
    meal = make_meal(status="cancelled")
    with pytest.raises(door.MealCancelled):
        door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, by=coordinator)
    assert not Contribution.objects.exists()


def test_void_keeps_the_row_with_who_when_why(meal, coordinator):
    contribution = door.contribution_record(meal=meal, amount=Decimal("50"), method=CASH, by=coordinator)
    door.contribution_void(contribution=contribution, by=coordinator, reason="  50 au lieu de 5  ")
    contribution.refresh_from_db()
    assert contribution.voided_at is not None
    assert contribution.voided_by == coordinator
    assert contribution.void_reason == "50 au lieu de 5"
    assert Contribution.objects.count() == 1


def test_void_needs_a_reason_and_cannot_happen_twice(meal, coordinator):
    contribution = door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, by=coordinator)
    with pytest.raises(door.ReasonRequired):
        door.contribution_void(contribution=contribution, by=coordinator, reason="   ")
    contribution.refresh_from_db()
    assert contribution.voided_at is None
    door.contribution_void(contribution=contribution, by=coordinator, reason="erreur")
    with pytest.raises(door.AlreadyVoided):
        door.contribution_void(contribution=contribution, by=coordinator, reason="encore")
    contribution.refresh_from_db()
    assert contribution.void_reason == "erreur"


def test_a_contribution_row_cannot_be_deleted_while_its_meal_exists(meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, by=coordinator)
    with pytest.raises(ProtectedError):
        meal.delete()


def test_totals_leave_voided_contributions_out(meal, coordinator):
    a = door.contribution_record(meal=meal, amount=Decimal("5.50"), method=CASH, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("10"), method=CARD, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("3"), method=CASH, by=coordinator)
    wrong = door.contribution_record(meal=meal, amount=Decimal("100"), method=CASH, by=coordinator)
    door.contribution_void(contribution=wrong, by=coordinator, reason="faute de frappe")
    totals = door.door_totals(meal=meal, contributions=Contribution.objects.filter(meal=meal), covers=3)
    assert totals.total == Decimal("18.50")
    assert totals.contributors == 3
    assert totals.cash == Decimal("8.50")
    assert [(t.method, t.amount, t.count) for t in totals.by_method] == [
        (CASH, Decimal("8.50"), 2),
        (CARD, Decimal("10"), 1),
    ]
    assert totals.average_per_cover == Decimal("6.17")
    assert totals.gap_per_cover == Decimal("6.17") - meal.cost_price
    assert not totals.covers_cost
    assert a.amount == Decimal("5.50")


def test_till_closing_counts_only_live_cash(meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("5.50"), method=CASH, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("12"), method=CARD, by=coordinator)
    wrong = door.contribution_record(meal=meal, amount=Decimal("40"), method=CASH, by=coordinator)
    door.contribution_void(contribution=wrong, by=coordinator, reason="erreur")
    closing = door.till_close(meal=meal, counted_cash=Decimal("5.00"), by=coordinator, note="pièce perdue")
    assert closing.expected_cash == Decimal("5.50")
    assert closing.difference == Decimal("-0.50")
    assert closing.closed_by == coordinator
    assert closing.note == "pièce perdue"


def test_closed_till_refuses_contributions_voids_and_a_second_closing(meal, coordinator):
    kept = door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, by=coordinator)
    door.till_close(meal=meal, counted_cash=Decimal("5"), by=coordinator)
    with pytest.raises(door.TillClosed):
        door.contribution_record(meal=meal, amount=Decimal("5"), method=CASH, by=coordinator)
    with pytest.raises(door.TillClosed):
        door.contribution_void(contribution=kept, by=coordinator, reason="erreur")
    with pytest.raises(door.TillClosed):
        door.till_close(meal=meal, counted_cash=Decimal("5"), by=coordinator)
    assert Contribution.objects.count() == 1
    assert TillClosing.objects.count() == 1


def test_reopening_needs_a_reason_then_takes_contributions_again(meal, coordinator):
    door.till_close(meal=meal, counted_cash=Decimal("0"), by=coordinator)
    with pytest.raises(door.ReasonRequired):
        door.till_reopen(meal=meal, by=coordinator, reason="")
    closing = door.till_reopen(meal=meal, by=coordinator, reason="Un chèque oublié")
    assert closing.reopened_by == coordinator and closing.reopened_at is not None
    door.contribution_record(meal=meal, amount=Decimal("8"), method=PaymentMethod.CHEQUE, by=coordinator)
    second = door.till_close(meal=meal, counted_cash=Decimal("0"), by=coordinator)
    assert second.expected_cash == Decimal("0.00")
    assert TillClosing.objects.filter(meal=meal).count() == 2


def test_reopening_an_open_till_is_refused(meal, coordinator):
    with pytest.raises(door.TillNotClosed):
        door.till_reopen(meal=meal, by=coordinator, reason="pour voir")


def test_the_admin_can_neither_change_nor_delete_money(rf, coordinator):
    from django.contrib.admin.sites import site

    request = rf.get("/")
    request.user = coordinator
    for model in (Contribution, TillClosing):
        admin = site._registry[model]
        assert not admin.has_change_permission(request)
        assert not admin.has_delete_permission(request)
        assert not admin.has_add_permission(request)
