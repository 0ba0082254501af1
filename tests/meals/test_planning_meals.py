"""Planning: one meal, a series across daylight-saving changes, edits, cancellation."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Meal, MealSeries, Shift, ShiftSignup
from meals.services import planning
from meals.services.shifts import shift_claim
from members.models import Member

PARIS = ZoneInfo("Europe/Paris")


def series_post(**overrides) -> dict:
    data = {
        "title": "Déjeuner partagé",
        "weekdays": ["1", "2", "3"],
        "starts_on": "2027-03-22",
        "ends_on": "2027-04-02",
        "starter": "Soupe",
        "main": "Gratin",
        "dessert": "Compote",
        "allergens": ["milk", "gluten"],
        "diet_labels": ["vegetarian"],
        "organic_share": "60",
        "local_share": "80",
        "capacity": "40",
        "cost_price": "9.50",
        "cooking_time": "09:30",
        "meal_time": "12:30",
        "end_time": "14:30",
        "opens_days_before": "14",
        "closes_time": "10:00",
        "closes_on": "day",
    }
    data.update(overrides)
    return data


def meal_post(day: date, **overrides) -> dict:
    data = series_post(day=day.isoformat())
    for key in ("weekdays", "starts_on", "ends_on"):
        data.pop(key)
    data.update(overrides)
    return data


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_on", "ends_on", "change_day"),
    [("2027-03-22", "2027-04-02", date(2027, 3, 28)), ("2027-10-25", "2027-11-05", date(2027, 10, 31))],
)
def test_series_keeps_half_past_twelve_paris_across_daylight_saving(
    client, coordinator, starts_on, ends_on, change_day
):
    client.force_login(coordinator)
    response = client.post(reverse("meals:planning_series"), series_post(starts_on=starts_on, ends_on=ends_on))
    assert response.status_code == 302
    meals = list(Meal.objects.order_by("starts_at"))
    assert len(meals) == 6  # Tue, Wed, Thu of two weeks
    assert any(m.starts_at.date() < change_day for m in meals)
    assert any(m.starts_at.date() > change_day for m in meals)
    offsets = set()
    for meal in meals:
        local = meal.starts_at.astimezone(PARIS)
        assert local.time() == time(12, 30)
        assert local.weekday() in {1, 2, 3}
        assert meal.booking_closes_at.astimezone(PARIS).time() == time(10, 0)
        assert meal.booking_closes_at.astimezone(PARIS).date() == local.date()
        assert meal.booking_opens_at.astimezone(PARIS).date() == local.date() - timedelta(days=14)
        assert meal.cooking_starts_at.astimezone(PARIS).time() == time(9, 30)
        assert meal.shifts.count() == 3
        assert meal.allergens == ["milk", "gluten"]
        offsets.add(local.utcoffset())
    # Both UTC offsets appear, yet the wall-clock time never moved.
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}
    assert MealSeries.objects.get().weekdays == [1, 2, 3]


@pytest.mark.django_db
def test_series_can_close_bookings_the_day_before(client, coordinator):
    client.force_login(coordinator)
    client.post(
        reverse("meals:planning_series"),
        series_post(weekdays=["4"], meal_time="19:30", end_time="21:30", closes_time="18:00", closes_on="day_before"),
    )
    assert Meal.objects.count() == 2  # Fridays 26 March and 2 April
    meal = Meal.objects.first()
    assert meal.starts_at.astimezone(PARIS).time() == time(19, 30)
    closes = meal.booking_closes_at.astimezone(PARIS)
    assert (closes.date(), closes.time()) == (meal.starts_at.astimezone(PARIS).date() - timedelta(days=1), time(18, 0))


@pytest.mark.django_db
def test_series_ending_before_it_starts_is_refused_and_writes_nothing(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("meals:planning_series"), series_post(starts_on="2027-04-02", ends_on="2027-03-22"))
    assert response.status_code == 200
    assert "La date de fin doit être après la date de début." in response.content.decode()
    assert not Meal.objects.exists() and not MealSeries.objects.exists()


@pytest.mark.django_db
def test_series_without_any_matching_day_is_refused(coordinator):
    with pytest.raises(planning.BadSeries):
        planning.series_days(starts_on=date(2027, 3, 22), ends_on=date(2027, 3, 22), weekdays=[4])


@pytest.mark.django_db
def test_coordinator_plans_one_meal_with_its_shifts(client, coordinator):
    client.force_login(coordinator)
    day = timezone.localdate() + timedelta(days=10)
    response = client.post(reverse("meals:planning_new"), meal_post(day))
    meal = Meal.objects.get()
    assert response.status_code == 302
    assert meal.starts_at == datetime.combine(day, time(12, 30), tzinfo=PARIS)
    assert meal.cost_price == 9.5 and meal.organic_share == 60 and meal.diet_labels == ["vegetarian"]
    assert sorted(meal.shifts.values_list("role", flat=True)) == ["cooking", "dishes", "table"]


@pytest.mark.django_db
def test_meal_ending_before_it_starts_is_refused(client, coordinator):
    client.force_login(coordinator)
    response = client.post(reverse("meals:planning_new"), meal_post(timezone.localdate(), end_time="11:00"))
    assert response.status_code == 200
    assert not Meal.objects.exists()


def book(meal, seats: int, **fields) -> Booking:
    booking = Booking.objects.create(meal=meal, party_size=seats, **fields)
    Meal.objects.filter(pk=meal.pk).update(seats_taken=meal.seats_taken + seats)
    meal.refresh_from_db()
    return booking


@pytest.mark.django_db
def test_capacity_below_seats_booked_is_refused_and_nothing_is_written(client, coordinator, meal):
    book(meal, 6, name="A", email="a@example.org")
    client.force_login(coordinator)
    post = meal_post(timezone.localtime(meal.starts_at).date(), capacity="5", main="Autre plat")
    response = client.post(reverse("meals:planning_edit", args=[meal.pk]), post)
    assert response.status_code == 200
    assert "déjà 6 places réservées" in response.content.decode()
    meal.refresh_from_db()
    assert meal.capacity == 10 and meal.main == "Hachis parmentier"


@pytest.mark.django_db
def test_editing_one_meal_moves_its_shifts_with_it(client, coordinator, meal):
    client.force_login(coordinator)
    day = timezone.localtime(meal.starts_at).date() + timedelta(days=1)
    response = client.post(reverse("meals:planning_edit", args=[meal.pk]), meal_post(day, meal_time="13:00"))
    assert response.status_code == 302
    meal.refresh_from_db()
    assert meal.starts_at == datetime.combine(day, time(13, 0), tzinfo=PARIS)
    cooking = meal.shifts.get(role=Shift.Role.COOKING)
    assert cooking.starts_at == meal.starts_at - timedelta(hours=3)


LUNCH = planning.MealTimes(time(9, 30), time(12, 30), time(14, 30), 7, time(10, 0))


def daily_lunches(first: int, last: int, **extra):
    """A series « Midi » every day from today + ``first`` to today + ``last`` days: 30 places, « Soupe »."""
    today = timezone.localdate()
    return planning.series_create(
        title="Midi",
        weekdays=list(range(7)),
        starts_on=today + timedelta(days=first),
        ends_on=today + timedelta(days=last),
        times=LUNCH,
        values={"capacity": 30, "main": "Soupe"},
        **extra,
    )


@pytest.mark.django_db
def test_editing_all_future_meals_of_a_series_leaves_past_ones(coordinator):
    series = daily_lunches(-3, 3)
    now = timezone.now()
    # Today's lunch is still to come before 12:30 and already past after it.
    future = series.meals.filter(starts_at__gte=now).count()
    assert future in (3, 4)
    count = planning.series_update_future(series=series, values={"main": "Couscous", "capacity": 35})
    assert count == future
    assert set(series.meals.filter(starts_at__gte=now).values_list("main", "capacity")) == {("Couscous", 35)}
    assert set(series.meals.filter(starts_at__lt=now).values_list("main", "capacity")) == {("Soupe", 30)}


@pytest.mark.django_db
def test_series_edit_refuses_when_one_future_meal_has_more_booked(coordinator):
    series = daily_lunches(1, 3)
    book(series.meals.order_by("starts_at").last(), 8, name="B", phone="0600000000")
    with pytest.raises(planning.CapacityBelowBooked):
        planning.series_update_future(series=series, values={"capacity": 5, "main": "Riz"})
    assert set(series.meals.values_list("main", "capacity")) == {("Soupe", 30)}


@pytest.mark.django_db(transaction=True)
def test_cancelling_a_meal_cancels_bookings_and_signups_and_sends_emails(client, coordinator, volunteer, make_meal):
    meal = make_meal()
    book(meal, 2, name="Jeanne Martin", email="jeanne@example.org")
    book(meal, 1, name="Marcel Petit", phone="06 11 22 33 44")
    cooking = meal.shifts.get(role=Shift.Role.COOKING)
    shift_claim(shift=cooking, member=volunteer.member)
    phone_only = Member.objects.create(name="Odette Roux", phone="06 99 88 77 66")
    shift_claim(shift=meal.shifts.get(role=Shift.Role.DISHES), member=phone_only)
    client.force_login(coordinator)
    response = client.post(reverse("meals:planning_cancel", args=[meal.pk]), {"reason": "Panne de four"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Marcel Petit" in page and "06 11 22 33 44" in page and "Odette Roux" in page
    meal.refresh_from_db()
    assert meal.is_cancelled and meal.seats_taken == 0 and meal.cancel_reason == "Panne de four"
    assert not meal.bookings.exclude(status=Booking.Status.CANCELLED).exists()
    assert not ShiftSignup.objects.filter(shift__meal=meal).exists()
    assert set(meal.shifts.values_list("taken", flat=True)) == {0}
    assert sorted(m.to[0] for m in mail.outbox) == ["jeanne@example.org", "karim@example.org"]
    assert "Panne de four" in mail.outbox[0].body


@pytest.mark.django_db
def test_cancelling_twice_says_so(client, coordinator, meal):
    planning.meal_cancel(meal=meal, by=coordinator, reason="x")
    with pytest.raises(planning.MealAlreadyCancelled):
        planning.meal_cancel(meal=meal, by=coordinator, reason="x")


@pytest.mark.django_db
def test_cancel_page_is_post_to_act_and_get_shows_the_form(client, coordinator, meal):
    client.force_login(coordinator)
    assert client.get(reverse("meals:planning_cancel", args=[meal.pk])).status_code == 200
    meal.refresh_from_db()
    assert not meal.is_cancelled


@pytest.mark.django_db
def test_planning_list_query_count_is_flat(client, coordinator, make_meal, django_assert_num_queries):
    client.force_login(coordinator)
    make_meal()
    client.get(reverse("meals:planning"))
    with django_assert_num_queries(7) as few:  # cold: the cantine's settings (footer) are read once
        client.get(reverse("meals:planning"))
    for offset in range(2, 30):
        make_meal(day=timezone.localdate() + timedelta(days=offset))
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("meals:planning"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_editing_all_future_meals_of_a_series_through_the_page(client, coordinator):
    series = daily_lunches(1, 4)
    first = series.meals.order_by("starts_at").first()
    client.force_login(coordinator)
    day = timezone.localtime(first.starts_at).date()
    post = meal_post(day, scope="future", meal_time="12:00", main="Lasagnes", capacity="32")
    response = client.post(reverse("meals:planning_edit", args=[first.pk]), post)
    assert response.status_code == 302
    for meal in series.meals.all():
        assert meal.starts_at.astimezone(PARIS).time() == time(12, 0)
        assert (meal.main, meal.capacity) == ("Lasagnes", 32)
        assert meal.shifts.get(role=Shift.Role.COOKING).starts_at == meal.starts_at - timedelta(hours=3)


@pytest.mark.django_db
def test_seat_block_released_after_the_meal_starts_is_refused(meal, partner):
    with pytest.raises(planning.SeatBlockError):
        planning.seat_block_set(meal=meal, partner=partner, seats=2, release_at=meal.starts_at + timedelta(hours=1))
    assert not meal.seat_blocks.exists()


@pytest.mark.django_db
def test_series_with_weekday_lunches_and_a_friday_dinner_across_the_october_change(client, coordinator):
    client.force_login(coordinator)
    post = series_post(
        starts_on="2027-10-25",
        ends_on="2027-11-05",
        dinner_weekdays=["4"],
        dinner_title="Dîner du vendredi",
        dinner_cooking_time="17:00",
        dinner_time="19:30",
        dinner_end_time="21:30",
    )
    response = client.post(reverse("meals:planning_series"), post)
    assert response.status_code == 302
    lunches = Meal.objects.filter(title="Déjeuner partagé")
    dinners = Meal.objects.filter(title="Dîner du vendredi")
    assert lunches.count() == 6 and dinners.count() == 2
    assert {m.starts_at.astimezone(PARIS).time() for m in lunches} == {time(12, 30)}
    assert {m.starts_at.astimezone(PARIS).time() for m in dinners} == {time(19, 30)}
    assert {m.starts_at.astimezone(PARIS).weekday() for m in dinners} == {4}
    assert {m.cooking_starts_at.astimezone(PARIS).time() for m in dinners} == {time(17, 0)}
    assert all(m.shifts.count() == 3 for m in dinners)


@pytest.mark.django_db
def test_editing_the_future_lunches_of_a_series_leaves_its_dinners_alone(client, coordinator):
    dinner_times = planning.MealTimes(time(17, 0), time(19, 30), time(21, 30), 7, time(10, 0))
    series = daily_lunches(
        1, 3, dinner=planning.SeriesDinner(weekdays=list(range(7)), times=dinner_times, title="Soir")
    )
    lunch = series.meals.filter(title="Midi").order_by("starts_at").first()
    client.force_login(coordinator)
    post = meal_post(timezone.localtime(lunch.starts_at).date(), scope="future", title="Midi", main="Lasagnes")
    assert client.post(reverse("meals:planning_edit", args=[lunch.pk]), post).status_code == 302
    assert set(series.meals.filter(title="Midi").values_list("main", flat=True)) == {"Lasagnes"}
    assert set(series.meals.filter(title="Soir").values_list("main", flat=True)) == {"Soupe"}


@pytest.mark.django_db
def test_the_cancellation_email_is_in_the_guests_language_with_the_reason_and_the_cantine(coordinator, meal):
    from members.models import cantine_settings

    book(meal, 1, name="Peter Smith", email="peter@example.org", language="en")
    book(meal, 1, name="Jeanne Martin", email="jeanne@example.org")
    mail.outbox.clear()
    planning.meal_cancel(meal=meal, by=coordinator, reason="Panne de four")
    english, french = sorted(mail.outbox, key=lambda m: m.to[0] != "peter@example.org")
    assert english.body.startswith("Hello Peter Smith,")
    assert "We are sorry: the meal of" in english.body and "is cancelled." in english.body
    assert french.body.startswith("Bonjour Jeanne Martin,")
    assert "Nous sommes désolés\u202f: le repas du" in french.body
    for message in (english, french):
        assert "Panne de four" in message.body and cantine_settings().name in message.body
