"""The coordination's pages on a phone: today's meal at a glance, tables that fit, a favicon."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from meals.models import Booking
from meals.services import door
from tests.browser.conftest import assert_no_axe_violations, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def served(make_meal, coordinator):
    """Today's meal and yesterday's (served: it shows in the attendance report), five guests each, and
    tomorrow's, so the planning and the planned attendance have a row at any time of day (today's meal
    leaves them once it has ended)."""
    today = timezone.localdate()
    meals = [make_meal(day=today, capacity=30), make_meal(day=today - timedelta(days=1))]
    make_meal(day=today + timedelta(days=1))
    for meal in meals:
        for n in range(5):
            Booking.objects.create(meal=meal, name=f"Convive {n}")
        meal.seats_taken = 5
        meal.save(update_fields=["seats_taken"])
        door.contribution_record(meal=meal, amount=Decimal("5"), method="cash", by=coordinator)
    return meals


def test_the_coordinator_s_home_on_a_phone_shows_today_at_a_glance(phone_page, served, coordinator):
    missing = []
    phone_page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    log_in(phone_page, coordinator.email)
    phone_page.goto("/mon-espace/")
    today = phone_page.locator(".today")
    assert today.get_by_role("heading", name="Aujourd'hui").is_visible()
    assert "Caisse ouverte" in today.inner_text()
    assert today.get_by_role("link", name="Tenir l'accueil").bounding_box()["y"] < 844, "on the first screen"
    assert_no_axe_violations(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert missing == [], "the favicon and every asset exist"
    assert phone_page.locator("link[rel=icon]").get_attribute("href").endswith(".svg")


@pytest.mark.parametrize("path", ["/planning/", "/bilans/frequentation/", "/bilans/frequentation/?show=planned"])
def test_coordination_tables_fit_a_phone(phone_page, served, coordinator, path):
    log_in(phone_page, coordinator.email)
    phone_page.goto(path)
    table = phone_page.locator("main table")
    assert table.count() == 1
    box = phone_page.locator("main .table-responsive")
    assert table.bounding_box()["width"] <= box.bounding_box()["width"] + 1, "each row is a card: no sideways scroll"
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    assert_no_axe_violations(phone_page)
