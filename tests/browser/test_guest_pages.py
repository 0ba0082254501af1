"""A guest's refused booking, confirmation, printout and cancellation, on a phone (issue 15)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from meals.models import Booking
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.browser.test_booking import fill_booking_form
from tests.conftest import create_meal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE_HEIGHT = 844


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def in_view(page, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + min(box["height"], 200) <= PHONE_HEIGHT


def test_a_refused_booking_on_a_phone_focuses_the_error_summary_at_the_top(phone_page):
    page = phone_page
    meal = create_meal()
    page.goto(f"/repas/{meal.pk}/")
    fill_booking_form(page, name="Odette", phone="06 AB")
    page.get_by_role("button", name="Je réserve").click()
    page.locator("[data-error-summary]").wait_for()
    assert page.title().startswith("Erreur\u202f: ")
    assert page.evaluate("document.activeElement.hasAttribute('data-error-summary')")
    assert page.evaluate("window.scrollY") < 200
    assert in_view(page, "[data-error-summary]")
    assert page.get_by_role("heading", name="Il y a un problème").is_visible()
    assert_no_axe_violations(page)

    page.get_by_role("link", name=re.compile("Ce numéro de téléphone n'est pas valable")).click()
    assert page.evaluate("document.activeElement.id") == "id_phone"
    # Bootstrap scrolls smoothly: wait for the field (and its label above it) to arrive.
    page.wait_for_function(
        "() => { const box = document.getElementById('id_phone').getBoundingClientRect();"
        " return box.top >= 0 && box.bottom <= window.innerHeight; }"
    )
    assert page.locator("label[for=id_phone]").bounding_box()["y"] >= 0
    assert not Booking.objects.exists()


def test_the_confirmation_shows_the_link_and_prints_it_with_its_qr_code(phone_page, live_server, settings):
    settings.SITE_URL = live_server.url
    page = phone_page
    meal = create_meal()
    page.goto(f"/repas/{meal.pk}/")
    fill_booking_form(page, name="Odette Lambert", email="odette@example.org")
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_role("heading", name="Gardez bien ce lien").wait_for()
    booking = Booking.objects.get()
    assert page.url.endswith(f"/reservation/{booking.token}/")

    link = page.locator(".private-url a")
    assert link.inner_text() == page.url
    qr = page.get_by_role("img", name=re.compile("code QR"))
    assert qr.is_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0
    assert page.get_by_text("Un e-mail avec ce lien vous a été envoyé.").is_visible()
    assert page.get_by_text("Au nom d'Odette Lambert").is_visible()
    assert_no_axe_violations(page)

    # « Imprimer cette page » opens the browser's print dialog (caught here).
    page.evaluate("window.print = () => { window.printed = true; }")
    page.get_by_role("button", name="Imprimer cette page").click()
    assert page.evaluate("window.printed") is True

    page.emulate_media(media="print")
    assert link.is_visible() and link.inner_text() == page.url
    assert qr.is_visible()
    assert qr.bounding_box()["width"] > 100
    assert not page.locator(".site-header").is_visible()
    assert not page.get_by_role("button", name="Imprimer cette page").is_visible()
    assert not page.get_by_role("link", name="J'annule ma réservation").is_visible()
    assert page.get_by_role("heading", name="Votre place est réservée").is_visible()
    page.emulate_media(media="screen")
    assert page.locator(".site-header").is_visible()


def test_without_javascript_the_summary_is_still_first_and_the_print_button_is_hidden(chromium, live_server):
    context = chromium.new_context(
        locale="fr-FR",
        base_url=live_server.url,
        viewport={"width": 390, "height": PHONE_HEIGHT},
        java_script_enabled=False,
    )
    page = context.new_page()
    try:
        meal = create_meal()
        page.goto(f"/repas/{meal.pk}/")
        fill_booking_form(page, name="Odette", phone="06 AB")
        page.get_by_role("button", name="Je réserve").click()
        page.locator("[data-error-summary]").wait_for()
        first = page.locator("main > *").first
        assert first.get_attribute("data-error-summary") is not None
        fill_booking_form(page, name="Odette", phone="06 12 34 56 78")
        page.get_by_role("button", name="Je réserve").click()
        page.get_by_role("heading", name="Gardez bien ce lien").wait_for()
        assert not page.get_by_role("button", name="Imprimer cette page").is_visible()
    finally:
        context.close()


def test_cancelling_asks_once_then_offers_to_book_again(phone_page):
    page = phone_page
    meal = create_meal(capacity=10)
    page.goto(f"/repas/{meal.pk}/")
    fill_booking_form(page, name="Odette", phone="06 12 34 56 78")
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_role("link", name="J'annule ma réservation").click()
    page.get_by_role("heading", name="Annuler ma réservation\u202f?").wait_for()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Non, je garde ma place").click()
    page.get_by_role("heading", name="Votre place est réservée").wait_for()
    assert Booking.objects.get().status == "confirmed"

    page.get_by_role("link", name="J'annule ma réservation").click()
    page.get_by_role("button", name="Oui, j'annule").click()
    page.get_by_role("heading", name="Réservation annulée").wait_for()
    assert Booking.objects.get().status == "cancelled"
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Réserver à nouveau pour ce repas").click()
    page.get_by_role("button", name="Je réserve").wait_for()
    assert page.url.endswith(f"/repas/{meal.pk}/")


def test_a_call_ends_on_the_coordinators_page_with_the_link_to_read_out(page, coordinator, live_server, settings):
    settings.SITE_URL = live_server.url
    meal = create_meal()
    log_in(page, coordinator.email)
    page.goto(f"/repas/{meal.pk}/reserver-pour/")
    page.locator("#id_name").fill("Hélène Roux")
    page.get_by_role("button", name="Enregistrer la réservation").click()
    page.get_by_role("heading", name="La réservation d'Hélène Roux").wait_for()
    booking = Booking.objects.get()
    assert page.locator(".private-url a").inner_text() == f"{live_server.url}/reservation/{booking.token}/"
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Réserver pour un autre appel").click()
    page.get_by_role("heading", name="Réserver pour quelqu'un qui a appelé").wait_for()


def test_two_weeks_of_meals_fit_in_a_short_page_on_a_phone(phone_page):
    for n in range(1, 15):
        create_meal(day=timezone.localdate() + timedelta(days=n))
    phone_page.goto("/")
    assert phone_page.locator("article.meal-row").count() == 14
    height = phone_page.evaluate("document.documentElement.scrollHeight")
    assert height < 14 * 400, height
    assert phone_page.get_by_role("link", name=re.compile("Je réserve")).count() == 14
    assert_no_axe_violations(phone_page)
