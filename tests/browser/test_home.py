import pytest

from tests.browser.conftest import assert_no_axe_violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_has_no_axe_violations(page, make_meal):
    make_meal()
    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("heading", level=1).inner_text() == "Les prochains repas"
    assert_no_axe_violations(page)


def test_home_page_on_a_phone_has_no_axe_violations_and_no_sideways_scroll(phone_page, make_meal):
    make_meal()
    phone_page.goto("/")
    assert_no_axe_violations(phone_page)
    width = phone_page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390


def test_skip_link_is_the_first_thing_a_keyboard_reaches(page, db):
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused.strip() == "Aller au contenu"
