import re

import pytest
from django.utils import timezone

from meals.models import Booking
from meals.services.booking import booking_cancel, booking_create
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.conftest import create_meal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def fill_booking_form(page, *, name: str, email: str = "", phone: str = "", people: str = "1") -> None:
    page.locator("#id_name").fill(name)
    if email:
        page.locator("#id_email").fill(email)
    if phone:
        page.locator("#id_phone").fill(phone)
    page.locator("#id_party_size").select_option(people)


def test_guest_books_sees_confirmation_opens_private_link_and_cancels(phone_page):
    page = phone_page
    meal = create_meal(capacity=10)
    page.goto("/")
    assert page.get_by_text("Il reste 10 places").first.is_visible()
    assert_no_axe_violations(page)
    page.get_by_role("link", name=re.compile("Je réserve")).first.click()
    assert_no_axe_violations(page)
    fill_booking_form(page, name="Odette Lambert", email="odette@example.org", people="2")
    page.get_by_label("Je viens mettre la table").check()
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_text("C'est réservé").wait_for()
    assert page.get_by_role("heading", name="Votre place est réservée").is_visible()
    assert_no_axe_violations(page)

    booking = Booking.objects.get()
    assert booking.party_size == 2 and booking.status == "confirmed"
    assert booking.signups.get().shift.role == "table"
    private = page.url
    assert private.endswith(f"/reservation/{booking.token}/")

    page.goto("/")
    page.goto(private)
    assert page.get_by_text("Au nom d'Odette Lambert").is_visible()
    page.get_by_role("link", name="J'annule ma réservation").click()
    page.get_by_role("button", name="Oui, j'annule").click()
    page.get_by_role("heading", name="Réservation annulée").wait_for()
    assert_no_axe_violations(page)
    booking.refresh_from_db()
    meal.refresh_from_db()
    assert booking.status == "cancelled" and meal.seats_taken == 0


def test_guest_on_waiting_list_is_promoted_when_someone_cancels(page):
    meal = create_meal(capacity=1)
    first = booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    page.goto(f"/repas/{meal.pk}/")
    assert page.get_by_text("Complet — liste d'attente").first.is_visible()
    fill_booking_form(page, name="Marcel", phone="06 11 22 33 44")
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_role("heading", name="Vous êtes sur la liste d'attente").wait_for()
    assert page.get_by_text("1ʳᵉ sur la liste").is_visible()
    assert_no_axe_violations(page)
    booking_cancel(booking=first)
    page.reload()
    page.get_by_role("heading", name="Votre place est réservée").wait_for()
    assert Booking.objects.get(name="Marcel").phone == "06 11 22 33 44"


def test_bad_input_shows_a_message_in_the_page(page):
    meal = create_meal()
    page.goto(f"/repas/{meal.pk}/")
    fill_booking_form(page, name="Odette", phone="06 AB")
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_text("Ce numéro de téléphone n'est pas valable").last.wait_for()  # the field; the summary has it too
    assert_no_axe_violations(page)
    assert not Booking.objects.exists()


def test_guest_switches_to_english_and_books(page):
    meal = create_meal()
    page.goto(f"/repas/{meal.pk}/")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang=en]")
    english_day = timezone.localtime(meal.starts_at).strftime("%A")
    assert english_day in page.get_by_role("heading", level=1).inner_text()
    fill_booking_form(page, name="Olive", email="olive@example.org")
    page.locator("#submit-id-submit").click()
    page.wait_for_url(re.compile(r"/reservation/"))
    assert page.locator("html").get_attribute("lang") == "en"
    assert_no_axe_violations(page)
    assert Booking.objects.get().language == "en"


def test_coordinator_books_for_someone_who_phoned(page, coordinator):
    meal = create_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    log_in(page, coordinator.email)
    page.goto(f"/repas/{meal.pk}/")
    page.get_by_role("link", name="Réserver pour quelqu'un qui a appelé").click()
    assert_no_axe_violations(page)
    page.locator("#id_name").fill("Madame Roux")
    page.get_by_label("Ajouter même si le repas est complet").check()
    page.get_by_role("button", name="Enregistrer la réservation").click()
    page.get_by_role("heading", name="Sa place est réservée").wait_for()
    booking = Booking.objects.get(name="Madame Roux")
    assert booking.created_by == coordinator and booking.over_capacity
