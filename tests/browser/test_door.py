from decimal import Decimal

import pytest

from meals.models import Booking, Contribution
from tests.browser.conftest import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def seat(meal, name, party_size=1, notes=""):
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, notes=notes)
    meal.seats_taken += party_size
    meal.save(update_fields=["seats_taken"])
    return booking


@pytest.fixture
def desk_meal(meal):
    seat(meal, "Jeanne Martin")
    seat(meal, "Marcel Dubois", party_size=2, notes="sans porc")
    seat(meal, "Odette <b>Lambert</b>", notes="allergie aux noix")
    return meal


def test_coordinator_checks_a_guest_in_and_records_five_fifty_in_cash(page, desk_meal, coordinator):
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{desk_meal.pk}/")
    assert page.evaluate("document.activeElement.name") == "amount"
    page.get_by_role("button", name="Arrivé·e — Jeanne Martin").click()
    page.wait_for_url(f"**/accueil/repas/{desk_meal.pk}/?booking=*")
    assert "Jeanne Martin est arrivé·e." in page.locator(".messages").inner_text()
    # Back on the desk, the amount box has focus and the guest is preselected: type and press Enter.
    assert page.evaluate("document.activeElement.name") == "amount"
    page.keyboard.type("5,50")
    page.keyboard.press("Enter")
    page.wait_for_selector("text=Participation de Jeanne Martin enregistrée")
    assert page.locator("[data-total]").inner_text() == "5,50\u202f€"
    contribution = Contribution.objects.get()
    assert contribution.amount == Decimal("5.50")
    assert contribution.method == "cash"
    assert contribution.booking.name == "Jeanne Martin"
    assert page.evaluate("document.activeElement.name") == "amount"
    assert "Odette <b>Lambert</b>" in page.locator(".door-guests").inner_text()


def test_one_tap_amount_records_without_typing(page, desk_meal, coordinator):
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{desk_meal.pk}/")
    page.get_by_text("Carte bancaire", exact=True).click()
    page.get_by_role("button", name="8 €").click()
    page.wait_for_selector("text=Participation enregistrée")
    contribution = Contribution.objects.get()
    assert (contribution.amount, contribution.method) == (Decimal("8.00"), "card")


def test_a_bad_amount_is_explained_in_the_page(page, desk_meal, coordinator):
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{desk_meal.pk}/")
    page.keyboard.type("5,555")
    page.keyboard.press("Enter")
    assert "Deux chiffres après la virgule" in page.locator(".door-contribution").inner_text()
    assert not Contribution.objects.exists()


def test_door_desk_has_no_axe_violations(page, desk_meal, coordinator):
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{desk_meal.pk}/")
    assert_no_axe_violations(page)


def test_door_desk_on_a_tablet_has_no_axe_violations_and_no_sideways_scroll(
    chromium, live_server, desk_meal, coordinator
):
    context = chromium.new_context(
        locale="fr-FR", base_url=live_server.url, viewport={"width": 800, "height": 1280}, has_touch=True
    )
    tablet = context.new_page()
    try:
        log_in(tablet, coordinator.email)
        tablet.goto(f"/accueil/repas/{desk_meal.pk}/?booking={desk_meal.bookings.first().pk}")
        assert_no_axe_violations(tablet)
        assert tablet.evaluate("document.documentElement.scrollWidth") <= 800
    finally:
        context.close()


def test_door_desk_on_a_phone_has_no_axe_violations_and_no_sideways_scroll(phone_page, desk_meal, coordinator):
    log_in(phone_page, coordinator.email)
    phone_page.goto(f"/accueil/repas/{desk_meal.pk}/")
    assert_no_axe_violations(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390


def test_day_sheet_has_no_axe_violations_and_prints_fifty_guests_on_one_a4_page(page, make_meal, coordinator):
    meal = make_meal(capacity=60)
    for n in range(50):
        seat(meal, f"Convive numéro {n:02d}", notes="sans gluten" if n % 7 == 0 else "")
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{meal.pk}/feuille-du-jour/")
    assert_no_axe_violations(page)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False, prefer_css_page_size=True)
    pages = pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages")
    assert pages == 1


def test_filter_box_narrows_the_list_as_the_name_is_typed(page, desk_meal, coordinator):
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{desk_meal.pk}/")
    page.get_by_label("Chercher un nom").fill("marcel")
    rows = page.locator("[data-door-list] li:visible")
    assert rows.count() == 1
    assert "Marcel Dubois" in rows.first.inner_text()
