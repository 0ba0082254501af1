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
    assert page.evaluate("document.activeElement.name") != "amount", "a plain visit grabs no focus"
    page.get_by_role("button", name="Arrivé·e — Jeanne Martin").click()
    page.wait_for_url(f"**/accueil/repas/{desk_meal.pk}/?booking=*#participation")
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
    amount = page.get_by_label("Montant donné")
    amount.fill("5,555")
    with page.expect_navigation():
        amount.press("Enter")
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


def in_view(locator) -> bool:
    return locator.evaluate(
        "e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.bottom <= innerHeight; }"
    )


def test_on_a_phone_the_method_comes_first_then_one_tap_records_that_amount_with_it(phone_page, desk_meal, coordinator):
    log_in(phone_page, coordinator.email)
    phone_page.goto(f"/accueil/repas/{desk_meal.pk}/")
    card = phone_page.get_by_text("Carte bancaire", exact=True)
    eight = phone_page.get_by_role("button", name="8 €", exact=True)
    assert card.bounding_box()["y"] + card.bounding_box()["height"] <= eight.bounding_box()["y"]
    card.tap()
    eight.tap()
    phone_page.wait_for_selector("text=Participation enregistrée")
    contribution = Contribution.objects.get()
    assert (contribution.amount, contribution.method) == (Decimal("8.00"), "card")
    # The message is in view, at the top of the guest list: the next guest is next.
    assert phone_page.url.endswith("#guests")
    assert in_view(phone_page.locator(".messages"))
    # The next guest pays by card too: the desk offers the method used last.
    assert phone_page.locator("input[name=method][value=card]").is_checked()
    phone_page.get_by_role("button", name="5 €", exact=True).tap()
    phone_page.wait_for_selector("text=5,00 € (Carte bancaire)")
    assert [(c.amount, c.method) for c in Contribution.objects.order_by("pk")] == [
        (Decimal("8.00"), "card"),
        (Decimal("5.00"), "card"),
    ]


def test_on_a_phone_the_guest_list_comes_first_and_filter_keeps_it_in_view(phone_page, make_meal, coordinator):
    meal = make_meal(capacity=40)
    for n in range(30):
        seat(meal, f"Convive {n:02d}")
    seat(meal, "Marcel Dubois")
    log_in(phone_page, coordinator.email)
    phone_page.goto(f"/accueil/repas/{meal.pk}/")
    search = phone_page.get_by_label("Chercher un nom")
    assert in_view(search), "the search box is on the first screen"
    assert phone_page.evaluate("document.activeElement === document.body"), "no field grabs the focus"
    assert phone_page.locator("#guests").bounding_box()["y"] < phone_page.locator("#participation").bounding_box()["y"]
    search.fill("marcel")
    phone_page.get_by_role("button", name="Filtrer").tap()
    phone_page.wait_for_url("**?q=marcel#guests")
    assert in_view(phone_page.locator("#guests").get_by_text("Marcel Dubois", exact=True))
    assert phone_page.locator("[data-door-list] li").count() == 1
    assert phone_page.evaluate("document.activeElement === document.body")


def test_on_a_phone_check_in_lands_on_the_contribution_with_the_methods_in_view(phone_page, desk_meal, coordinator):
    log_in(phone_page, coordinator.email)
    phone_page.goto(f"/accueil/repas/{desk_meal.pk}/")
    phone_page.get_by_role("button", name="Arrivé·e — Jeanne Martin").tap()
    phone_page.wait_for_url("**#participation")
    assert in_view(phone_page.get_by_text("Jeanne Martin est arrivé·e."))
    assert in_view(phone_page.get_by_text("Carte bancaire", exact=True))
    assert phone_page.evaluate("document.activeElement.name") == "amount"
    assert_no_axe_violations(phone_page)
