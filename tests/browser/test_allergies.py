"""Issue 18's browser test: a guest books with an allergy the menu holds, is warned on the confirmation,
and the coordinator sees it on the door desk (the kitchen view's axe test is in test_accessibility.py)."""

import pytest

from meals.models import Booking
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.conftest import create_meal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def test_guest_books_with_a_clashing_allergy_and_the_door_desk_shows_it(phone_page, page, coordinator):
    meal = create_meal(capacity=10, allergens=["sesame", "milk"], day=None)
    tab = phone_page
    tab.goto(f"/repas/{meal.pk}/")
    tab.locator("#id_name").fill("Odette Lambert")
    tab.locator("#id_email").fill("odette@example.org")
    tab.get_by_label("Sésame").check()
    tab.get_by_label("Végétarien").check()
    # Without the consent box: refused in the page, nothing written.
    tab.get_by_role("button", name="Je réserve").click()
    tab.get_by_text("cochez la case d'accord").first.wait_for()
    assert not Booking.objects.exists()
    tab.get_by_label("J'accepte que la cantine garde ces informations pour préparer le repas").check()
    tab.get_by_role("button", name="Je réserve").click()
    tab.get_by_text("C'est réservé").wait_for()
    warning = tab.get_by_role("region", name="Attention à vos allergies")
    assert warning.is_visible()
    assert "Ce repas contient\u202f: sésame." in warning.inner_text()
    assert "pas indiqué comme\u202f: végétarien" in warning.inner_text()
    assert_no_axe_violations(tab)

    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{meal.pk}/")
    row = page.locator(".door-guest", has_text="Odette Lambert")
    badge = row.locator(".clash-badge")
    assert badge.is_visible()
    assert "contient sésame" in badge.inner_text() and "pas végétarien" in badge.inner_text()
    assert_no_axe_violations(page)
