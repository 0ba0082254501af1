"""On a phone, a coordinator's nine links fold under « Menu », so the page starts on the first screen."""

import pytest

from tests.browser.conftest import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_on_a_phone_the_menu_is_folded_and_opens_with_a_tap(phone_page, coordinator):
    log_in(phone_page, coordinator.email)
    phone_page.goto("/")
    nav = phone_page.get_by_role("navigation")
    door = nav.get_by_role("link", name="Accueil du jour")
    assert not door.is_visible()
    heading = phone_page.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < 200, "the page's title is on the first screen"

    nav.get_by_text("Menu").tap()
    assert door.is_visible()
    assert_no_axe_violations(phone_page)
    door.tap()
    phone_page.wait_for_url("**/accueil/**")


def test_on_a_wide_screen_every_link_shows_and_the_toggle_does_not(page, coordinator):
    log_in(page, coordinator.email)
    page.goto("/")
    nav = page.get_by_role("navigation")
    assert nav.get_by_role("link", name="Accueil du jour").is_visible()
    assert nav.get_by_role("link", name="Bilans").is_visible()
    assert not nav.get_by_text("Menu", exact=True).is_visible()


def test_a_guest_s_short_menu_is_never_folded(phone_page, db):
    phone_page.goto("/")
    assert phone_page.get_by_role("navigation").get_by_role("link", name="Se connecter").is_visible()


def test_the_header_never_scrolls_sideways_on_a_small_phone(chromium, live_server, coordinator):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport={"width": 320, "height": 640})
    page = context.new_page()
    try:
        log_in(page, coordinator.email)
        page.goto("/")
        for language in ("English", "Français"):
            for _ in range(2):  # menu folded, then open
                assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
                page.get_by_text("Menu", exact=True).click()
            page.get_by_role("button", name=language).click()
            page.get_by_role("heading", level=1).wait_for()
    finally:
        context.close()
