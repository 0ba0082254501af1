from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meals.models import Booking, Contribution, ShiftSignup, TillClosing
from meals.services import door
from members.models import Member, PaymentMethod


def book(meal, name="Jeanne Martin", party_size=1, notes="", **fields):
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, notes=notes, **fields)
    meal.seats_taken += party_size
    meal.save(update_fields=["seats_taken"])
    return booking


def desk(meal, **params):
    url = reverse("meals:door", args=[meal.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def record(client, meal, **data):
    return client.post(reverse("meals:record_contribution", args=[meal.pk]), data)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


# --- Permissions ---------------------------------------------------------------

GET_URLS = ["door", "day_sheet"]
POST_MEAL_URLS = ["record_contribution", "door_walk_in", "door_till_close", "door_till_reopen"]
POST_BOOKING_URLS = ["door_check_in", "door_undo_check_in"]


def door_urls(meal, booking, contribution):
    urls = [("GET", reverse("meals:door_today"))]
    urls += [("GET", reverse(f"meals:{name}", args=[meal.pk])) for name in GET_URLS]
    urls += [("POST", reverse(f"meals:{name}", args=[meal.pk])) for name in POST_MEAL_URLS]
    urls += [("POST", reverse(f"meals:{name}", args=[booking.pk])) for name in POST_BOOKING_URLS]
    urls += [("POST", reverse("meals:door_void_contribution", args=[contribution.pk]))]
    return urls


@pytest.fixture
def door_objects(meal, coordinator):
    booking = book(meal)
    contribution = door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", by=coordinator)
    return meal, booking, contribution


def test_anonymous_visitors_are_sent_to_login_on_every_door_url(client, door_objects):
    for method, url in door_urls(*door_objects):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("who", ["volunteer", "partner_referent", "outsider"])
def test_other_roles_get_403_on_every_door_url(client, door_objects, who, request):
    client.force_login(request.getfixturevalue(who))
    for method, url in door_urls(*door_objects):
        response = client.get(url) if method == "GET" else client.post(url)
        assert response.status_code == 403, url
    assert Contribution.objects.count() == 1
    assert Contribution.objects.get().voided_at is None


def test_coordinator_gets_the_door_pages(coordinator_client, door_objects):
    meal, booking, contribution = door_objects
    # No meal today: the choice of desks, with this meal's.
    today = coordinator_client.get(reverse("meals:door_today"))
    assert today.status_code == 200
    assert f'href="{desk(meal)}"' in today.content.decode()
    for name in GET_URLS:
        response = coordinator_client.get(reverse(f"meals:{name}", args=[meal.pk]))
        assert response.status_code == 200, name
        # The coordinator sees who is booked.
        assert booking.name in response.content.decode(), name
    # And, on the desk, what was given.
    assert "5,00\u202f€" in coordinator_client.get(desk(meal)).content.decode()
    # Today's only meal: straight to its desk.
    meal.__class__.objects.filter(pk=meal.pk).update(
        starts_at=timezone.now() + timedelta(minutes=5), ends_at=timezone.now() + timedelta(hours=2)
    )
    assert coordinator_client.get(reverse("meals:door_today")).headers["Location"] == desk(meal)


def test_get_on_post_only_door_urls_is_405(coordinator_client, door_objects):
    for method, url in door_urls(*door_objects):
        if method == "POST":
            assert coordinator_client.get(url).status_code == 405, url


def test_door_pages_of_a_missing_meal_are_404(coordinator_client):
    assert coordinator_client.get(reverse("meals:door", args=[999999])).status_code == 404
    assert coordinator_client.post(reverse("meals:record_contribution", args=[999999])).status_code == 404


# --- The desk ------------------------------------------------------------------


def test_desk_lists_confirmed_bookings_alphabetically_with_size_and_notes(coordinator_client, meal):
    book(meal, name="Zoé Petit")
    book(meal, name="Émile Durand", party_size=2, notes="sans gluten")
    book(meal, name="albert Roux")
    Booking.objects.create(meal=meal, name="Wendy Attente", status=Booking.Status.WAITLISTED)
    Booking.objects.create(meal=meal, name="Charles Annulé", status=Booking.Status.CANCELLED)
    response = coordinator_client.get(desk(meal))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("albert Roux") < html.index("Émile Durand") < html.index("Zoé Petit")
    assert "sans gluten" in html
    assert "2 personnes" in html
    assert "Wendy Attente" not in html
    assert "Charles Annulé" not in html
    assert response.context["counters"]["booked"] == 4


def test_desk_filter_works_without_javascript_and_ignores_accents(coordinator_client, meal):
    book(meal, name="Hélène Dupont")
    book(meal, name="Marcel Blanc")
    response = coordinator_client.get(desk(meal, q="helene"))
    names = [b.name for b in response.context["bookings"]]
    assert names == ["Hélène Dupont"]


def test_quick_amounts_are_plain_submit_buttons_after_the_method_and_the_save_button(coordinator_client, meal):
    html = coordinator_client.get(desk(meal)).content.decode()
    for value in (3, 5, 8, 10, 15):
        assert f'type="submit" name="amount" value="{value}"' in html
    # Method first: a one-tap amount records with the method chosen above it.
    assert html.index('name="method"') < html.index('name="amount"')
    # Enter submits the typed amount: the plain « Enregistrer » button comes before the quick ones.
    assert html.index("door-save") < html.index('name="amount" value="3"')


def test_quick_amounts_are_the_same_from_meal_to_meal(coordinator_client, make_meal, settings):
    cheap = make_meal(cost_price="4.00")
    dear = make_meal(cost_price="12.50", day=timezone.localdate() + timedelta(days=2))
    offered = [coordinator_client.get(desk(m)).context["quick_amounts"] for m in (cheap, dear)]
    assert offered[0] == offered[1] == list(settings.DOOR_QUICK_AMOUNTS)
    settings.DOOR_QUICK_AMOUNTS = (2, 4)
    assert coordinator_client.get(desk(cheap)).context["quick_amounts"] == [2, 4]


def test_the_desk_offers_the_last_method_used_first(coordinator_client, meal):
    assert coordinator_client.get(desk(meal)).context["contribution_form"]["method"].value() == PaymentMethod.CASH
    record(coordinator_client, meal, amount="8", method="card")
    page = coordinator_client.get(desk(meal))
    assert page.context["contribution_form"]["method"].value() == PaymentMethod.CARD
    html = page.content.decode()
    checked = html[html.rindex("<input", 0, html.index(" checked>")) :]
    assert 'value="card"' in checked.split(">")[0]
    # A one-tap amount now records by card: the method the radios show.
    record(coordinator_client, meal, amount="5", method=page.context["contribution_form"]["method"].value())
    assert [c.method for c in Contribution.objects.order_by("pk")] == ["card", "card"]


def test_a_plain_reload_of_the_desk_grabs_no_focus(coordinator_client, meal):
    booking = book(meal)
    assert "autofocus" not in coordinator_client.get(desk(meal)).content.decode()
    assert "autofocus" not in coordinator_client.get(desk(meal, q="jea")).content.decode()
    # Opened for one guest (right after their check-in), the amount box is where the hand goes next.
    assert "autofocus" in coordinator_client.get(desk(meal, booking=booking.pk)).content.decode()


def test_a_refused_amount_takes_the_focus_so_its_message_is_in_view(coordinator_client, meal):
    html = record(coordinator_client, meal, amount="abc", method="cash").content.decode()
    field = html[html.rindex("<input", 0, html.index('name="amount"')) :].split(">")[0]
    assert "autofocus" in field


def test_the_guest_list_and_its_search_come_first_and_the_filter_lands_on_them(coordinator_client, meal):
    book(meal)
    html = coordinator_client.get(desk(meal)).content.decode()
    assert 'id="guests"' in html
    assert html.index('id="guests"') < html.index('id="door-q"') < html.index('id="participation"')
    assert f'action="{desk(meal)}#guests"' in html


def test_names_with_markup_are_escaped_on_the_desk_and_day_sheet(coordinator_client, meal, coordinator):
    booking = book(meal, name="<script>alert(1)</script>", notes="<b>noix</b>")
    door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", booking=booking, by=coordinator)
    door.walk_in_add(meal=meal, name="<i>Bob</i>", party_size=1, by=coordinator)
    for url in (desk(meal), reverse("meals:day_sheet", args=[meal.pk]), desk(meal, booking=booking.pk)):
        html = coordinator_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<b>noix</b>" not in html
        assert "<i>Bob</i>" not in html


# --- Check-in and walk-ins --------------------------------------------------------


def test_check_in_then_desk_offers_the_contribution_for_that_guest(coordinator_client, meal, coordinator):
    booking = book(meal, name="Jeanne Martin")
    response = coordinator_client.post(reverse("meals:door_check_in", args=[booking.pk]))
    assert response.status_code == 302
    assert response["Location"] == desk(meal, booking=booking.pk) + "#participation"
    booking.refresh_from_db()
    assert booking.checked_in_by == coordinator
    page = coordinator_client.get(response["Location"])
    assert page.context["for_booking"].pk == booking.pk
    assert page.context["contribution_form"].initial["booking"] == booking.pk
    assert page.context["counters"]["arrived"] == 1
    assert "Jeanne Martin est arrivé·e." in page.content.decode()


def test_undo_check_in(coordinator_client, meal, coordinator):
    booking = book(meal)
    door.booking_check_in(booking=booking, by=coordinator)
    response = coordinator_client.post(reverse("meals:door_undo_check_in", args=[booking.pk]), {"q": "jea"})
    assert response["Location"] == desk(meal, q="jea") + "#guests"
    booking.refresh_from_db()
    assert booking.checked_in_at is None


def test_walk_in_counts_against_capacity(coordinator_client, make_meal):
    meal = make_meal(capacity=2)
    response = coordinator_client.post(reverse("meals:door_walk_in", args=[meal.pk]), {"name": "", "party_size": 2})
    assert response.status_code == 302
    meal.refresh_from_db()
    assert meal.seats_taken == 2
    response = coordinator_client.post(reverse("meals:door_walk_in", args=[meal.pk]), {"name": "Léon", "party_size": 1})
    assert response.status_code == 200
    assert "On se serre" in response.content.decode()
    meal.refresh_from_db()
    assert meal.seats_taken == 2
    assert Booking.objects.filter(meal=meal).count() == 1


def test_walk_in_with_squeeze_is_shown_over_capacity(coordinator_client, make_meal):
    meal = make_meal(capacity=1)
    book(meal)
    response = coordinator_client.post(
        reverse("meals:door_walk_in", args=[meal.pk]), {"name": "Léon", "party_size": 2, "squeeze": "on"}
    )
    assert response.status_code == 302
    page = coordinator_client.get(desk(meal))
    assert page.context["counters"]["over"] == 2
    assert "en surnombre" in page.content.decode()


@pytest.mark.parametrize("party_size", ["", "0", "-1", "abc", "21", "1e3"])
def test_bad_walk_in_writes_nothing(coordinator_client, meal, party_size):
    response = coordinator_client.post(reverse("meals:door_walk_in", args=[meal.pk]), {"party_size": party_size})
    assert response.status_code == 200
    assert not Booking.objects.exists()


# --- Contributions ------------------------------------------------------------------


def test_recording_redirects_to_the_guest_list_with_the_message_above_it(coordinator_client, meal):
    booking = book(meal)
    response = record(coordinator_client, meal, amount="5,50", method="cash", booking=booking.pk)
    assert response.status_code == 302
    # The next guest is next: back to the list (first on a phone), with the message at its top.
    assert response["Location"] == desk(meal) + "#guests"
    contribution = Contribution.objects.get()
    assert contribution.amount == Decimal("5.50")
    assert contribution.booking == booking
    page = coordinator_client.get(response["Location"])
    html = page.content.decode()
    assert "Participation de Jeanne Martin enregistrée" in html
    message = html.index("Participation de Jeanne Martin enregistrée")
    assert html.index('id="guests"') < message < html.index('id="door-q"')
    assert page.context["totals"].total == Decimal("5.50")
    assert "5,50\u202f€" in html


def test_quick_amount_button_wins_over_an_empty_amount_box(coordinator_client, meal):
    data = {"amount": ["", "8"], "method": "card"}
    response = coordinator_client.post(reverse("meals:record_contribution", args=[meal.pk]), data)
    assert response.status_code == 302
    assert Contribution.objects.get().amount == Decimal("8.00")


def test_zero_contribution_is_recorded(coordinator_client, meal):
    record(coordinator_client, meal, amount="0", method="cash")
    assert Contribution.objects.get().amount == Decimal("0.00")


BAD_AMOUNTS = [
    "-1",
    "abc",
    "",
    "1e400",
    "NaN",
    "Infinity",
    "-0,01",
    "99999999999999",
    "5,555",
    "<b>5</b>",
    "１２",
    "500,01",
]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_bad_amounts_show_a_message_and_write_nothing(coordinator_client, meal, amount):
    response = record(coordinator_client, meal, amount=amount, method="cash")
    assert response.status_code == 200
    assert response.context["contribution_form"].errors["amount"]
    assert "<b>5</b>" not in response.content.decode()
    assert not Contribution.objects.exists()


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.one_of(st.text(max_size=12), st.from_regex(r"\A[0-9]{1,4}([.,][0-9]{0,3})? ?€?\Z")))
def test_the_view_records_exactly_what_parse_amount_accepts_and_nothing_else(coordinator_client, meal, text):
    from meals.money import parse_amount

    before = Contribution.objects.count()
    response = record(coordinator_client, meal, amount=text, method="cash")
    try:
        expected = parse_amount(text.strip())
    except ValueError:
        assert response.status_code == 200
        assert Contribution.objects.count() == before
    else:
        assert response.status_code == 302
        assert Contribution.objects.count() == before + 1
        assert Contribution.objects.latest("pk").amount == expected


def test_unknown_method_writes_nothing(coordinator_client, meal):
    response = record(coordinator_client, meal, amount="5", method="bitcoin")
    assert response.status_code == 200
    assert "moyen de paiement" in response.content.decode()
    assert not Contribution.objects.exists()


@pytest.mark.parametrize("value", ["abc", "999999", "-1"])
def test_booking_of_another_meal_or_nonsense_is_refused(coordinator_client, meal, make_meal, value):
    other = make_meal(day=meal.starts_at.date() + timedelta(days=7))
    stranger = book(other)
    for booking in (stranger.pk, value):
        response = record(coordinator_client, meal, amount="5", method="cash", booking=booking)
        assert response.status_code == 200
        assert "pas pour ce repas" in response.content.decode()
    assert not Contribution.objects.exists()


def test_cancelled_meal_takes_no_contribution(coordinator_client, make_meal):
    meal = make_meal(status="cancelled")
    response = record(coordinator_client, meal, amount="5", method="cash")
    assert response.status_code == 200
    assert "annulé" in response.content.decode()
    assert not Contribution.objects.exists()


def test_void_strikes_through_and_leaves_totals(coordinator_client, meal, coordinator):
    kept = door.contribution_record(meal=meal, amount=Decimal("5.50"), method="cash", by=coordinator)
    wrong = door.contribution_record(meal=meal, amount=Decimal("55"), method="cash", by=coordinator)
    response = coordinator_client.post(
        reverse("meals:door_void_contribution", args=[wrong.pk]), {"reason": "55 au lieu de 5,50"}
    )
    assert response.status_code == 302
    wrong.refresh_from_db()
    assert wrong.voided_by == coordinator
    page = coordinator_client.get(desk(meal))
    html = page.content.decode()
    assert "<del>55,00\u202f€</del>" in html
    assert "55 au lieu de 5,50" in html
    assert page.context["totals"].total == kept.amount
    assert page.context["totals"].contributors == 1
    assert Contribution.objects.count() == 2


def test_void_without_reason_writes_nothing(coordinator_client, meal, coordinator):
    contribution = door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", by=coordinator)
    response = coordinator_client.post(
        reverse("meals:door_void_contribution", args=[contribution.pk]), {"reason": "  "}, follow=True
    )
    assert response.status_code == 200
    assert "Dites pourquoi" in response.content.decode()
    contribution.refresh_from_db()
    assert contribution.voided_at is None


def test_totals_per_method_contributors_and_average_against_cost_price(coordinator_client, meal, coordinator):
    guests = [book(meal, name=f"Convive {i}") for i in range(4)]
    for guest in guests:
        door.booking_check_in(booking=guest, by=coordinator)
    for amount, method in [("5", "cash"), ("10", "card"), ("3.50", "cash"), ("12", "cheque")]:
        door.contribution_record(meal=meal, amount=Decimal(amount), method=method, by=coordinator)
    response = coordinator_client.get(desk(meal))
    totals = response.context["totals"]
    assert "Il manque 1,37\u202f€ par couvert" in response.content.decode()
    assert totals.total == Decimal("30.50")
    assert totals.contributors == 4
    assert totals.covers == 4
    assert totals.average_per_cover == Decimal("7.63")
    assert {t.method: t.amount for t in totals.by_method} == {
        "cash": Decimal("8.50"),
        "card": Decimal("10"),
        "cheque": Decimal("12"),
    }


# --- Till ------------------------------------------------------------------------------


def test_till_closing_shows_expected_and_difference_then_refuses_contributions(coordinator_client, meal, coordinator):
    door.contribution_record(meal=meal, amount=Decimal("5.50"), method="cash", by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("10"), method="card", by=coordinator)
    response = coordinator_client.post(
        reverse("meals:door_till_close", args=[meal.pk]), {"counted_cash": "5 €", "note": "il manque 50 centimes"}
    )
    assert response.status_code == 302
    closing = TillClosing.objects.get()
    assert closing.expected_cash == Decimal("5.50")
    assert closing.counted_cash == Decimal("5.00")
    assert closing.closed_by == coordinator
    html = coordinator_client.get(desk(meal)).content.decode()
    assert "-0,50\u202f€" in html
    response = record(coordinator_client, meal, amount="5", method="cash")
    assert response.status_code == 200
    assert Contribution.objects.count() == 2


def test_till_accepts_more_cash_than_one_contribution_ceiling(coordinator_client, meal):
    coordinator_client.post(reverse("meals:door_till_close", args=[meal.pk]), {"counted_cash": "1234,50"})
    assert TillClosing.objects.get().counted_cash == Decimal("1234.50")


@pytest.mark.parametrize("counted", ["", "-5", "abc", "1e9"])
def test_bad_till_count_writes_nothing(coordinator_client, meal, counted):
    response = coordinator_client.post(reverse("meals:door_till_close", args=[meal.pk]), {"counted_cash": counted})
    assert response.status_code == 200
    assert not TillClosing.objects.exists()


def test_reopen_needs_a_reason_then_takes_contributions_again(coordinator_client, meal, coordinator):
    door.till_close(meal=meal, counted_cash=Decimal("0"), by=coordinator)
    url = reverse("meals:door_till_reopen", args=[meal.pk])
    coordinator_client.post(url, {"reason": ""})
    assert TillClosing.objects.get().reopened_at is None
    coordinator_client.post(url, {"reason": "Chèque oublié"})
    closing = TillClosing.objects.get()
    assert closing.reopened_by == coordinator
    assert closing.reopen_reason == "Chèque oublié"
    assert record(coordinator_client, meal, amount="8", method="cheque").status_code == 302
    assert "Chèque oublié" in coordinator_client.get(desk(meal)).content.decode()


# --- Today and the day sheet -------------------------------------------------------------------


def test_door_today_redirects_to_the_only_meal_of_the_day(coordinator_client, make_meal):
    today = make_meal(day=timezone.localdate())
    response = coordinator_client.get(reverse("meals:door_today"))
    assert response.status_code == 302
    assert response["Location"] == desk(today)


def test_door_today_lists_the_next_meals_when_none_today(coordinator_client, meal):
    response = coordinator_client.get(reverse("meals:door_today"))
    assert response.status_code == 200
    assert desk(meal) in response.content.decode()


def test_door_choice_query_count_is_the_same_with_2_and_20_meals(coordinator_client, make_meal):
    def choice():
        response = coordinator_client.get(reverse("meals:door_today"))
        assert response.status_code == 200
        return response.content.decode()

    today = timezone.localdate()
    for day in (today, today, today - timedelta(days=1)):
        make_meal(day=day)
    choice()
    with CaptureQueriesContext(connection) as few:
        choice()
    meals = [make_meal(day=today + timedelta(days=d % 10 - 3)) for d in range(20)]
    with CaptureQueriesContext(connection) as many:
        page = choice()
    assert len(many) == len(few)
    # Today's two, then five coming and three recent ones: each a link to its desk.
    assert page.count('href="/accueil/repas/') >= 10
    assert all(desk(m) in page for m in meals if m.starts_at.date() == today)


def test_day_sheet_lists_bookings_helpers_and_allergies(coordinator_client, meal, volunteer):
    book(meal, name="Odette Lambert", notes="allergie aux noix", phone="06 11 22 33 44")
    shift = meal.shifts.get(role="cooking")
    ShiftSignup.objects.create(shift=shift, member=Member.objects.get(user=volunteer))
    response = coordinator_client.get(reverse("meals:day_sheet", args=[meal.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Odette Lambert" in html
    assert "allergie aux noix" in html
    assert "Karim Benali" in html
    assert "06 11 22 33 44" in html
    assert "Le menu contient : lait, céleri." in html


# --- Queries ---------------------------------------------------------------------------------


def fill(meal, coordinator, count):
    for i in range(count):
        booking = Booking.objects.create(meal=meal, name=f"Convive {i:03d}", notes="végétarien" if i % 3 else "")
        if i % 2:
            booking.checked_in_at = timezone.now()
            booking.save(update_fields=["checked_in_at"])
        Contribution.objects.create(meal=meal, booking=booking, amount=Decimal("5"), method=PaymentMethod.CASH)
    if count:
        Booking.objects.create(meal=meal, name="Sans résa", is_walk_in=True, checked_in_at=timezone.now())
        closing = TillClosing.objects.create(meal=meal, counted_cash=0, expected_cash=0, closed_by=coordinator)
        closing.reopened_at = timezone.now()
        closing.reopen_reason = "test"
        closing.save()


def test_desk_query_count_is_the_same_with_5_and_200_bookings(
    coordinator_client, make_meal, coordinator, django_assert_num_queries
):
    small = make_meal(capacity=300)
    big = make_meal(capacity=300, day=timezone.localdate() + timedelta(days=2))
    fill(small, coordinator, 5)
    fill(big, coordinator, 200)
    # Each desk once: the session, the cantine's settings and the kept fragments (the guest rows, the
    # "for whom" list) are in the cache, as on a warm worker; then the counts must not depend on the rows.
    for meal in (small, big):
        assert coordinator_client.get(desk(meal)).status_code == 200
    with CaptureQueriesContext(connection) as baseline:
        assert coordinator_client.get(desk(small)).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = coordinator_client.get(desk(big))
    assert len(many) == len(baseline), [query["sql"][:120] for query in many.captured_queries]
    assert len(response.context["bookings"]) == 200
    assert response.content.decode().count('formaction="/accueil/reservation/') == 200, "every guest has a button"
    # The desk's own reads (with the list of known donors, issue 16);
    # the session, the user, their permissions (2) and the cantine's settings; and
    # up to 12 on the database cache: the first request after a write starts the "meals" generation and
    # keeps the "for whom" list (meals/cache.py); later ones read it in one.
    assert len(baseline) <= 10 + 5 + 12


def test_day_sheet_query_count_is_the_same_with_5_and_200_bookings(coordinator_client, make_meal, coordinator):
    small = make_meal(capacity=300)
    big = make_meal(capacity=300, day=timezone.localdate() + timedelta(days=2))
    fill(small, coordinator, 5)
    fill(big, coordinator, 200)
    coordinator_client.get(reverse("meals:day_sheet", args=[small.pk]))
    with CaptureQueriesContext(connection) as few:
        small_sheet = coordinator_client.get(reverse("meals:day_sheet", args=[small.pk]))
    with CaptureQueriesContext(connection) as many:
        big_sheet = coordinator_client.get(reverse("meals:day_sheet", args=[big.pk]))
    assert small_sheet.status_code == big_sheet.status_code == 200
    assert len(few) == len(many)
    # Every guest is on the paper, with their notes: the 200 rows were read, not skipped.
    page = big_sheet.content.decode()
    assert all(f"Convive {i:03d}" in page for i in range(200))
    assert page.count("végétarien") >= 133 and "Convive 005" not in small_sheet.content.decode()
