"""The menu: a coordinator's links in four groups (Aujourd'hui / Planning / Personnes / Bilans), folded
under « Menu » on a phone so the page starts on the first screen, and never over the page without JavaScript."""

import pytest

from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def tab(chromium, live_server, width: int, height: int = 800, **options):
    context = chromium.new_context(
        locale="fr-FR", base_url=live_server.url, viewport={"width": width, "height": height}, **options
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def test_on_a_phone_the_menu_is_folded_and_opens_with_a_tap(phone_page, coordinator):
    log_in(phone_page, coordinator.email)
    phone_page.goto("/")
    nav = phone_page.get_by_role("navigation")
    door = nav.get_by_role("link", name="Accueil du jour")
    assert not door.is_visible()
    heading = phone_page.get_by_role("heading", level=1)
    assert heading.bounding_box()["y"] < 200, "the page's title is on the first screen"

    nav.get_by_text("Menu").tap()
    # « Aujourd'hui » is open: the door is one tap away; the other groups open with a tap.
    assert door.is_visible()
    assert not nav.get_by_role("link", name="Partenaires").is_visible()
    nav.get_by_text("Personnes", exact=True).tap()
    assert nav.get_by_role("link", name="Partenaires").is_visible()
    assert_no_axe_violations(phone_page)
    door.tap()
    phone_page.wait_for_url("**/accueil/**")


def test_on_a_wide_screen_the_coordination_s_menu_is_one_row_of_four_groups(chromium, live_server, coordinator):
    context, page = tab(chromium, live_server, 1280)
    try:
        log_in(page, coordinator.email)
        page.goto("/")
        nav = page.get_by_role("navigation")
        assert not nav.get_by_text("Menu", exact=True).is_visible()
        entries = [nav.get_by_text(name, exact=True) for name in ("Aujourd'hui", "Planning", "Personnes", "Bilans")]
        entries += [nav.get_by_role("link", name="Les repas"), nav.get_by_role("button", name="Se déconnecter")]
        tops = {round(entry.bounding_box()["y"]) for entry in entries}
        assert len(tops) == 1, f"one row: {tops}"
        assert page.locator(".site-header").bounding_box()["height"] < 90

        partners = nav.get_by_role("link", name="Partenaires")
        assert not partners.is_visible()
        nav.get_by_text("Personnes", exact=True).click()
        assert partners.is_visible()
        assert_no_axe_violations(page)
        # One group at a time; Escape folds it.
        nav.get_by_text("Bilans", exact=True).click()
        partners.wait_for(state="hidden")
        attendance = page.locator(".nav-links").get_by_text("Fréquentation", exact=True)
        assert attendance.is_visible()
        page.keyboard.press("Escape")
        attendance.wait_for(state="hidden")
        nav.get_by_text("Personnes", exact=True).click()
        partners.click()
        page.wait_for_url("**/partenaires/")
        # The page's own link is marked in the menu.
        assert page.locator(".nav-links [aria-current=page]").text_content() == "Partenaires"
    finally:
        context.close()


def test_between_tablet_and_desktop_the_four_groups_fold_under_menu(chromium, live_server, coordinator):
    context, page = tab(chromium, live_server, 1100)
    try:
        log_in(page, coordinator.email)
        page.goto("/")
        nav = page.get_by_role("navigation")
        assert not nav.get_by_text("Personnes", exact=True).is_visible()
        nav.get_by_text("Menu", exact=True).click()
        assert nav.get_by_text("Personnes", exact=True).is_visible()
        assert page.locator(".site-header").bounding_box()["height"] < 90
    finally:
        context.close()


def test_without_javascript_the_phone_menu_is_open_in_the_page_and_covers_nothing(chromium, live_server, coordinator):
    context, page = tab(chromium, live_server, 390, 844, java_script_enabled=False, has_touch=True)
    try:
        log_in(page, coordinator.email)
        page.goto("/")
        nav = page.get_by_role("navigation")
        links = page.locator(".nav-links")
        assert links.is_visible()
        assert links.evaluate("e => getComputedStyle(e).position") == "static"
        heading = page.get_by_role("heading", level=1)
        assert (
            heading.bounding_box()["y"]
            >= page.locator(".site-header").bounding_box()["y"] + links.bounding_box()["height"]
        ), "the page starts below the menu, not under it"
        # The groups open with a tap: a <details> needs no script.
        nav.get_by_text("Personnes", exact=True).tap()
        assert nav.get_by_role("link", name="Partenaires").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
        nav.get_by_role("link", name="Partenaires").tap()
        page.wait_for_url("**/partenaires/")
    finally:
        context.close()


def test_a_volunteer_s_short_menu_stays_a_plain_row(page, db):
    make_user("karim@example.org", group="volunteer", name="Karim Benali")
    log_in(page, "karim@example.org")
    nav = page.get_by_role("navigation")
    for name in ("Mon espace", "Créneaux", "Mes créneaux"):
        assert nav.get_by_role("link", name=name, exact=True).is_visible()
    assert not nav.get_by_text("Personnes", exact=True).count()


def test_a_guest_s_short_menu_is_never_folded(phone_page, db):
    phone_page.goto("/")
    assert phone_page.get_by_role("navigation").get_by_role("link", name="Se connecter").is_visible()


def test_the_header_never_scrolls_sideways_on_a_small_phone(chromium, live_server, coordinator):
    context, page = tab(chromium, live_server, 320, 640)
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
