"""The error pages in a browser: the 404 a guest meets with an old link, checked with axe-core."""

import pytest

from tests.browser.conftest import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_404_page_has_no_axe_violations(page):
    response = page.goto("/reservation/un-lien-qui-n-existe-plus/")
    assert response.status == 404
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Cette page n'existe pas"
    assert page.get_by_role("link", name="Voir les prochains repas").is_visible()
    assert_no_axe_violations(page)


def test_the_404_page_on_a_phone_has_no_axe_violations_and_no_sideways_scroll(phone_page):
    phone_page.goto("/nulle-part/")
    assert_no_axe_violations(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
