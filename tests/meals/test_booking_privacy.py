"""Booking again with someone's contact reveals nothing of her booking (issue 12, point 1).

Whoever knows a guest's phone or email must not reach her private page, her
name, her party size or a cancel button: the answer to a duplicate is a
neutral page, and the private link goes again to the contact stored on the
booking only.
"""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Shift, ShiftSignup
from meals.services.booking import booking_create

pytestmark = pytest.mark.django_db

HER = {"name": "Jeanne Martin", "phone": "06 18 47 50 51", "party_size": 3}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"
    settings.SITE_URL = "https://cantine.example.org"
    settings.COORDINATION_PHONE = "01 23 45 67 89"


def post_booking(client, meal, **data):
    values = {"name": "x", "email": "", "phone": "", "party_size": "1", "notes": ""}
    values.update(data)
    return client.post(reverse("meals:book", args=[meal.pk]), values)


def assert_reveals_nothing(client, response, booking: Booking) -> str:
    """The answer, followed to its end, holds nothing of ``booking``."""
    assert response.status_code == 302
    assert booking.token not in response["Location"]
    page = client.get(response["Location"]).content.decode()
    for secret in (booking.token, booking.name, "Jeanne", "J&#x27;annule", "J'annule", "liste d"):
        assert secret not in page
    assert "3 personnes" not in page
    return page


def without_csrf(page: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", page)


def test_booking_with_her_phone_in_another_spelling_does_not_open_her_page(client, meal):
    hers = booking_create(meal=meal, **HER)
    response = post_booking(client, meal, phone="+33618475051")
    page = assert_reveals_nothing(client, response, hers)
    assert "01 23 45 67 89" in page  # no email to send the link to: call the cantine
    assert Booking.objects.count() == 1
    hers.refresh_from_db()
    assert hers.status == Booking.Status.CONFIRMED


def test_booking_with_her_email_sends_her_link_to_her_stored_email_only(
    client, meal, django_capture_on_commit_callbacks
):
    hers = booking_create(meal=meal, name="Jeanne Martin", email="jeanne@example.org", party_size=3)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client, meal, email="JEANNE@example.org ")
    page = assert_reveals_nothing(client, response, hers)
    assert "renvoyer son lien" in page
    assert [message.to for message in mail.outbox] == [["jeanne@example.org"]]
    assert f"https://cantine.example.org/reservation/{hers.token}/" in mail.outbox[0].body
    assert Booking.objects.count() == 1


def test_a_match_by_phone_mails_the_stored_email_not_the_one_typed(client, meal, django_capture_on_commit_callbacks):
    hers = booking_create(meal=meal, name="Jeanne Martin", email="jeanne@example.org", phone=HER["phone"])
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client, meal, email="curieux@example.org", phone="0618475051")
    assert_reveals_nothing(client, response, hers)
    assert [message.to for message in mail.outbox] == [["jeanne@example.org"]]
    assert all("curieux" not in str(message.to) for message in mail.outbox)


def test_a_duplicate_answers_with_the_status_of_a_fresh_booking(client, make_meal):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, **{**HER, "party_size": 1})
    fresh = post_booking(client, meal, email="nouvelle@example.org")
    duplicate = post_booking(client, meal, phone=HER["phone"])
    assert fresh.status_code == duplicate.status_code == 302


def test_a_duplicate_of_a_waiting_booking_says_nothing_of_the_waiting_list(client, make_meal):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    hers = booking_create(meal=meal, **HER)
    assert hers.status == Booking.Status.WAITLISTED
    response = post_booking(client, meal, phone=HER["phone"])
    page = assert_reveals_nothing(client, response, hers)
    assert "attente" not in page and "complet" not in page.lower()


def test_a_duplicate_offering_help_takes_no_slot_and_says_nothing(client, meal):
    hers = booking_create(meal=meal, **HER)
    response = post_booking(client, meal, phone=HER["phone"], help_with=Shift.Role.COOKING)
    page = assert_reveals_nothing(client, response, hers)
    assert "Vous cuisinez" not in page and "coup de main" not in page
    assert not ShiftSignup.objects.exists()
    assert Shift.objects.get(meal=meal, role=Shift.Role.COOKING).taken == 0


def test_a_duplicate_on_a_past_meal_reveals_nothing(client, make_meal):
    day = timezone.localdate() - timedelta(days=3)
    meal = make_meal(day=day)
    hers = booking_create(meal=meal, **HER, by=None, now=meal.booking_opens_at + timedelta(days=1))
    duplicate = post_booking(client, meal, phone="+33618475051")
    fresh = post_booking(client, meal, phone="06 99 99 99 99")
    assert duplicate.status_code == fresh.status_code == 400
    body = duplicate.content.decode()
    assert hers.token not in body and "Jeanne" not in body
    assert without_csrf(body) == without_csrf(fresh.content.decode())


def test_a_duplicate_after_the_cut_off_reveals_nothing(client, make_meal):
    meal = make_meal()
    hers = booking_create(meal=meal, **HER)
    meal.booking_closes_at = timezone.now() - timedelta(minutes=1)
    meal.save(update_fields=["booking_closes_at"])
    response = post_booking(client, meal, phone=HER["phone"])
    fresh = post_booking(client, meal, phone="06 99 99 99 99")
    assert response.status_code == fresh.status_code == 400
    body = response.content.decode()
    assert hers.token not in body and "Jeanne" not in body
    assert without_csrf(body) == without_csrf(fresh.content.decode())


def test_the_coordinator_booking_on_behalf_still_sees_the_existing_booking(client, meal, coordinator):
    hers = booking_create(meal=meal, **HER)
    client.force_login(coordinator)
    response = client.post(
        reverse("meals:book_on_behalf", args=[meal.pk]), {"name": "Jeanne", "phone": "0618475051", "party_size": "1"}
    )
    assert response["Location"] == reverse("meals:book_on_behalf_done", args=[hers.token])
    assert Booking.objects.count() == 1


def test_the_neutral_page_answers_a_get_and_is_not_indexed(client, meal):
    response = client.get(reverse("meals:booking_sent", args=[meal.pk]))
    assert response.status_code == 200
    assert 'name="robots" content="noindex"' in response.content.decode()
