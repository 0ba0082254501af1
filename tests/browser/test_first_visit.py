"""« Venir à la cantine » with everything filled in, a plan included: readable by axe on a desktop and a phone."""

import pytest

from members.models import CantineSettings
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.members.test_cantine_settings import VALUES, png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def place(db) -> CantineSettings:
    return CantineSettings.objects.create(
        pk=CantineSettings.PK,
        **VALUES
        | {
            "name": "La Cantine solidaire des Lilas",
            "map_description": "La cantine est au fond de la cour, porte verte.",
            "map_link": "https://www.openstreetmap.org/",
        },
        map_image=png(40, 30),
        map_image_type="image/png",
    )


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_the_first_visit_page_has_no_axe_violations_and_draws_its_plan(size, page, phone_page, place):
    tab = page if size == "desktop" else phone_page
    tab.goto("/venir/")
    assert tab.get_by_role("heading", level=1).inner_text() == "Venir à la cantine"
    plan = tab.get_by_role("img", name="Le plan pour venir à la cantine")
    assert plan.evaluate("image => image.complete && image.naturalWidth") == 40
    assert tab.get_by_role("link", name="01 23 45 67 89").first.get_attribute("href") == "tel:+33123456789"
    assert_no_axe_violations(tab)
    if size == "phone":
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_long_name_keeps_a_small_phone_s_header_on_the_screen(chromium, live_server, coordinator, place):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport={"width": 320, "height": 640})
    tab = context.new_page()
    try:
        log_in(tab, coordinator.email)
        tab.goto("/")
        assert tab.get_by_role("link", name="La Cantine solidaire des Lilas").is_visible()
        assert tab.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    finally:
        context.close()


def test_the_coordinator_s_settings_page_has_no_axe_violations(page, coordinator, place):
    log_in(page, coordinator.email)
    page.goto("/reglages/")
    assert page.get_by_label("Nom de la cantine").input_value() == "La Cantine solidaire des Lilas"
    assert_no_axe_violations(page)
