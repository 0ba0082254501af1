import io
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from meals.cache import bump
from meals.models import Booking, Meal, SeatBlock
from meals.services.booking import booking_create
from meals.services.shifts import shift_claim
from members.models import Member, Partner

pytestmark = pytest.mark.django_db

GOOD = {"name": "Jeanne Martin", "email": "jeanne@example.org", "phone": "", "party_size": "2", "notes": ""}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def post_booking(client, meal, **changes):
    data = {**GOOD, **changes}
    return client.post(reverse("meals:book", args=[meal.pk]), data)


def test_upcoming_page_shows_meals_in_french(client, make_meal):
    meal = make_meal(capacity=10, organic_share=80, local_share=60, diet_labels=["vegetarian"])
    response = client.get(reverse("meals:upcoming"))
    body = response.content.decode()
    assert response.status_code == 200
    assert meal.main in body
    assert "Il reste 10 places" in body
    assert "10 en cuisine" in body
    # The rest is on the meal's page (issue 15: the week in short).
    body = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert "Ce repas coûte 9\u202f€ à la cantine\u202f: chacun donne ce qu'il peut" in body
    assert "Lait" in body and "Céleri" in body
    assert "Végétarien" in body and "80 % bio" in body
    assert "en cuisine\u202f: 10 personnes" in body


def test_upcoming_page_says_few_seats_and_full(client, make_meal):
    few = make_meal(capacity=2)
    full = make_meal(day=few.starts_at.date() + timedelta(days=1), capacity=1)
    booking_create(meal=full, name="A", email="a@example.org", party_size=1)
    body = client.get(reverse("meals:upcoming")).content.decode()
    assert "Plus que 2 places" in body
    assert "Complet — liste d&#x27;attente" in body or "Complet — liste d'attente" in body


def test_upcoming_page_leaves_out_meals_beyond_two_weeks(client, make_meal):
    from django.utils import timezone

    far = make_meal(day=timezone.localdate() + timedelta(days=20), main="Plat lointain")
    assert far.main not in client.get(reverse("meals:upcoming")).content.decode()


def test_meal_page_has_the_booking_form_fields(client, meal):
    response = client.get(reverse("meals:meal", args=[meal.pk]))
    body = response.content.decode()
    for field in ("name", "email", "phone", "party_size", "notes", "help_with"):
        assert f'name="{field}"' in body
    assert "Je réserve" in body


def test_booking_redirects_to_private_page(client, meal):
    response = post_booking(client, meal)
    booking = Booking.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("meals:booking", args=[booking.token])
    page = client.get(response["Location"]).content.decode()
    assert "Votre place est réservée" in page
    assert booking.party_size == 2 and booking.status == "confirmed"
    meal.refresh_from_db()
    assert meal.seats_taken == 2


def test_booking_in_english_records_the_language(client, meal):
    client.cookies["django_language"] = "en"
    post_booking(client, meal)
    assert Booking.objects.get().language == "en"


def test_booking_twice_shows_a_neutral_page_not_the_existing_booking(client, meal):
    post_booking(client, meal)
    response = post_booking(client, meal, name="Jeanne", phone="06 00 00 00 00")
    assert Booking.objects.count() == 1
    assert response["Location"].startswith(reverse("meals:booking_sent", args=[meal.pk]))
    page = client.get(response["Location"]).content.decode()
    assert "renvoyer son lien privé" in page
    assert Booking.objects.get().token not in page


def test_full_meal_puts_booking_on_waiting_list(client, make_meal):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    response = post_booking(client, meal, party_size="1")
    page = client.get(response["Location"]).content.decode()
    assert "liste d&#x27;attente" in page or "liste d'attente" in page
    assert "1ʳᵉ sur la liste" in page


def test_help_with_full_kitchen_keeps_booking_and_tells_the_guest(client, meal):
    meal.shifts.filter(role="cooking").update(slots=0)
    response = post_booking(client, meal, help_with="cooking")
    page = client.get(response["Location"]).content.decode()
    assert "La cuisine est complète, merci quand même" in page
    assert Booking.objects.get().status == "confirmed"


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 500},
        {"email": "pas-un-email"},
        {"email": "", "phone": "06 12 AB 56 78"},
        {"email": "", "phone": ""},
        {"party_size": "0"},
        {"party_size": "-1"},
        {"party_size": "99"},
        {"party_size": "abc"},
        {"party_size": ""},
        {"help_with": "juggling"},
    ],
)
def test_bad_input_rerenders_the_form_and_writes_nothing(client, meal, changes):
    response = post_booking(client, meal, **changes)
    assert response.status_code == 400
    body = response.content.decode()
    assert "invalid-feedback" in body or "alert" in body
    assert 'name="name"' in body
    assert not Booking.objects.exists()
    assert not Member.objects.exists()
    meal.refresh_from_db()
    assert meal.seats_taken == 0


def test_bad_input_message_is_in_english_for_english_visitors(client, meal):
    client.cookies["django_language"] = "en"
    response = post_booking(client, meal, email="nope")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_booking_after_cut_off_shows_a_message(client, make_meal):
    from django.utils import timezone

    meal = make_meal(booking_closes_at=timezone.now() - timedelta(minutes=1))
    response = post_booking(client, meal)
    assert response.status_code == 400
    assert "closes" in response.content.decode()
    assert not Booking.objects.exists()


def test_booking_cancelled_meal_shows_a_message(client, make_meal):
    meal = make_meal(status=Meal.Status.CANCELLED)
    response = post_booking(client, meal)
    assert response.status_code == 400
    assert "annulé" in response.content.decode()
    assert not Booking.objects.exists()


def test_unknown_meal_is_404(client):
    assert client.get(reverse("meals:meal", args=[999999])).status_code == 404
    assert client.post(reverse("meals:book", args=[999999]), GOOD).status_code == 404


def test_forged_token_is_404(client, meal):
    forged = "forged-token-0000000000000000000"  # the shape of a real token, not one
    assert client.get(reverse("meals:booking", args=[forged])).status_code == 404
    assert client.post(reverse("meals:cancel_booking", args=[forged])).status_code == 404


def test_book_is_post_only(client, meal):
    assert client.get(reverse("meals:book", args=[meal.pk])).status_code == 405


def test_cancel_asks_on_get_and_cancels_on_post_only(client, meal):
    booking = booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    assert client.get(reverse("meals:cancel_booking", args=[booking.token])).status_code == 200
    assert client.put(reverse("meals:cancel_booking", args=[booking.token])).status_code == 405
    booking.refresh_from_db()
    assert booking.status == "confirmed"


def test_missing_csrf_token_is_refused(meal):
    client = Client(enforce_csrf_checks=True)
    response = post_booking(client, meal)
    assert response.status_code == 403
    assert not Booking.objects.exists()


def test_csrf_token_from_the_form_is_accepted(meal):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("meals:meal", args=[meal.pk]))
    response = post_booking(client, meal, csrfmiddlewaretoken=client.cookies["csrftoken"].value)
    assert response.status_code == 302


def test_cancel_by_private_link_promotes_the_waiting_list(client, make_meal, django_capture_on_commit_callbacks):
    meal = make_meal(capacity=2)
    first = booking_create(meal=meal, name="A", email="a@example.org", party_size=2)
    waiting = booking_create(meal=meal, name="B", email="b@example.org", party_size=1)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("meals:cancel_booking", args=[first.token]))
    assert response.status_code == 302
    first.refresh_from_db()
    waiting.refresh_from_db()
    assert first.status == "cancelled" and waiting.status == "confirmed"
    assert [m.to for m in mail.outbox] == [["b@example.org"]]
    assert "Réservation annulée" in client.get(response["Location"]).content.decode()


def test_public_pages_never_show_guests_names_or_contacts(client, meal):
    booking_create(
        meal=meal, name="Gertrude Secret", email="gertrude@example.org", phone="0699887766", party_size=3,
        notes="Allergique aux noix",
    )  # fmt: skip
    for url in (reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk])):
        response = client.get(url)
        # The page itself, with the meal and its booking counted: not a redirect or an error page.
        assert response.status_code == 200, url
        body = response.content.decode()
        assert meal.main in body and "Il reste 7 places" in body, url
        assert "Gertrude" not in body and "gertrude@" not in body and "99 88 77 66" not in body, url
        assert "0699887766" not in body and "noix" not in body, url


def test_rate_limit_answers_a_friendly_429(client, meal, settings):
    settings.BOOKING_RATE_LIMIT = "3/d"  # a day: no window boundary within the test
    statuses = [post_booking(client, meal, email=f"g{n}@example.org").status_code for n in range(5)]
    assert statuses[:3] == [302, 302, 302]
    assert statuses[3:] == [429, 429]
    assert Booking.objects.count() == 3
    response = post_booking(client, meal, email="late@example.org")
    assert "Un petit instant" in response.content.decode()


def test_rate_limit_is_per_client_ip(client, meal, settings):
    settings.BOOKING_RATE_LIMIT = "1/d"
    assert post_booking(client, meal, email="a@example.org").status_code == 302
    assert post_booking(client, meal, email="b@example.org").status_code == 429
    other = Client(REMOTE_ADDR="10.0.0.2")
    assert post_booking(other, meal, email="c@example.org").status_code == 302


def test_rate_limit_off_disables_it(client, meal, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    statuses = {post_booking(client, meal, email=f"g{n}@example.org", party_size="1").status_code for n in range(12)}
    assert statuses == {302}


# Booking on behalf -------------------------------------------------------


def test_book_on_behalf_needs_login(client, meal):
    response = client.get(reverse("meals:book_on_behalf", args=[meal.pk]))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize("who", ["outsider", "volunteer", "partner_referent"])
def test_book_on_behalf_is_forbidden_to_other_roles(client, meal, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(reverse("meals:book_on_behalf", args=[meal.pk])).status_code == 403
    assert (
        client.post(reverse("meals:book_on_behalf", args=[meal.pk]), {"name": "X", "party_size": "1"}).status_code
        == 403
    )
    assert not Booking.objects.exists()


def test_coordinator_books_with_just_a_name_after_cut_off(client, make_meal, coordinator):
    from django.utils import timezone

    meal = make_meal(booking_closes_at=timezone.now() - timedelta(hours=1))
    client.force_login(coordinator)
    assert client.get(reverse("meals:meal", args=[meal.pk])).content.decode().count("reserver-pour") == 1
    response = client.post(reverse("meals:book_on_behalf", args=[meal.pk]), {"name": "Mme Roux", "party_size": "1"})
    assert response.status_code == 302
    booking = Booking.objects.get()
    assert booking.created_by == coordinator and booking.status == "confirmed"


def test_coordinator_is_told_in_their_own_words_who_is_booked_or_waiting(client, make_meal, coordinator):
    meal = make_meal(capacity=1)
    client.force_login(coordinator)
    url = reverse("meals:book_on_behalf", args=[meal.pk])

    page = client.post(url, {"name": "Mme Roux", "party_size": "1"}, follow=True).content.decode()
    assert "Mme Roux est inscrit·e pour ce repas" in page
    assert "Nous vous attendons" not in page

    page = client.post(url, {"name": "M. Blanc", "phone": "0611111111", "party_size": "1"}, follow=True)
    assert "M. Blanc est sur la liste d&#x27;attente" in page.content.decode()


def test_coordinator_overrides_capacity_with_the_checkbox(client, make_meal, coordinator):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    client.force_login(coordinator)
    url = reverse("meals:book_on_behalf", args=[meal.pk])
    client.post(url, {"name": "B", "phone": "0611111111", "party_size": "1"})
    client.post(url, {"name": "C", "phone": "0622222222", "party_size": "2", "override_capacity": "on"})
    assert Booking.objects.get(name="B").status == "waitlisted"
    squeezed = Booking.objects.get(name="C")
    assert squeezed.status == "confirmed" and squeezed.over_capacity
    meal.refresh_from_db()
    assert meal.seats_taken == 3 and meal.extra_seats == 2


# Query counts --------------------------------------------------------------


def _many_meals(make_meal, count, bookings_per_meal):
    from django.utils import timezone

    start = timezone.localdate() + timedelta(days=1)
    meals = []
    for n in range(count):
        meal = make_meal(day=start + timedelta(days=n % 13), capacity=50, title=f"Repas {n}")
        Booking.objects.bulk_create(
            Booking(meal=meal, name=f"G{n}-{b}", email=f"g{n}-{b}@example.org") for b in range(bookings_per_meal)
        )
        meals.append(meal)
    return meals


def test_upcoming_page_query_count_does_not_grow(client, make_meal, django_assert_num_queries):
    _many_meals(make_meal, 2, 0)
    url = reverse("meals:upcoming")
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bump("meals", "board")  # counted when the page is rebuilt, as the second count is
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _many_meals(make_meal, 38, 5)
    assert Meal.objects.count() == 40 and Booking.objects.count() == 190
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert response.content.decode().count('class="card meal-row') >= 40


def test_meal_page_query_count_does_not_grow(client, make_meal, django_assert_num_queries):
    first = _many_meals(make_meal, 2, 0)[0]
    url = reverse("meals:meal", args=[first.pk])
    client.get(url)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    bump("meals", "board")  # counted when the page is rebuilt, as the second count is
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    _many_meals(make_meal, 38, 5)
    # What the page counts grows: 10 people booked, 4 partners holding seats, helpers on every shift.
    for b in range(10):
        booking_create(meal=first, name=f"X{b}", email=f"x{b}@example.org")
    release = first.starts_at - timedelta(hours=1)
    for p in range(4):
        partner = Partner.objects.create(name=f"Partenaire {p}")
        SeatBlock.objects.create(meal=first, partner=partner, seats=2, release_at=release)
    for shift in first.shifts.all():
        shift_claim(shift=shift, member=Member.objects.create(name=f"Aide {shift.role}"))
    with django_assert_num_queries(len(few)):
        response = client.get(url)
    assert response.status_code == 200
    # 50 seats - 10 booked - 8 held for partners, computed from the rows the page read.
    assert "Il reste 32 places" in response.content.decode()


# Reminders -------------------------------------------------------------------


def test_send_reminders_mails_tomorrows_guests_once(meal, make_meal):
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    booking_create(meal=meal, name="B", phone="0611111111", party_size=1)  # no email: nothing to send
    later = make_meal(day=meal.starts_at.date() + timedelta(days=3))
    booking_create(meal=later, name="C", email="c@example.org", party_size=1)
    mail.outbox.clear()
    call_command("send_reminders", stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert Booking.objects.get(name="A").reminder_sent_at is not None
    call_command("send_reminders", stdout=io.StringIO())
    assert len(mail.outbox) == 1


def test_send_reminders_skips_waiting_and_cancelled_bookings(make_meal):
    from meals.services.booking import booking_cancel

    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    booking_create(meal=meal, name="B", email="b@example.org", party_size=1)
    booking_cancel(booking=Booking.objects.get(name="A"))  # B promoted
    booking_create(meal=meal, name="C", email="c@example.org", party_size=1)  # waiting
    mail.outbox.clear()
    call_command("send_reminders", stdout=io.StringIO())
    assert [m.to for m in mail.outbox] == [["b@example.org"]]


def test_reminder_is_in_the_guests_language(meal):
    from django.utils import timezone

    booking_create(meal=meal, name="A", email="a@example.org", party_size=1, language="en")
    mail.outbox.clear()
    call_command("send_reminders", stdout=io.StringIO())
    assert "12:30" in mail.outbox[0].subject
    assert timezone.localtime(meal.starts_at).strftime("%A") in mail.outbox[0].body


def test_private_page_offers_the_meal_as_a_calendar_file(client, meal):
    booking = booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    response = client.get(reverse("meals:booking_ics", args=[booking.token]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    assert b"BEGIN:VEVENT" in response.content
    assert client.get(reverse("meals:booking_ics", args=["forged-token-0000000000000000000"])).status_code == 404


def test_reminder_tells_a_helping_guest_about_the_shift(meal):
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1, help_with="cooking")
    mail.outbox.clear()
    call_command("send_reminders", stdout=io.StringIO())
    assert "Vous nous aidez aussi : Cuisine, à 9\u00a0h\u00a030" in mail.outbox[0].body


def test_private_link_expires_a_month_after_the_meal(client, make_meal):
    from django.utils import timezone

    meal = make_meal()
    booking = booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    Meal.objects.filter(pk=meal.pk).update(
        starts_at=timezone.now() - timedelta(days=31, hours=2), ends_at=timezone.now() - timedelta(days=31)
    )
    assert client.get(reverse("meals:booking", args=[booking.token])).status_code == 404
    assert client.post(reverse("meals:cancel_booking", args=[booking.token])).status_code == 404


def test_a_past_meal_cannot_be_cancelled(client, make_meal):
    from django.utils import timezone

    meal = make_meal()
    booking = booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    Meal.objects.filter(pk=meal.pk).update(
        starts_at=timezone.now() - timedelta(hours=3), ends_at=timezone.now() - timedelta(hours=1)
    )
    page = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert "J&#x27;annule" not in page and "J'annule" not in page
    client.post(reverse("meals:cancel_booking", args=[booking.token]))
    booking.refresh_from_db()
    assert booking.status == "confirmed"
