"""A coordinator plans a meal and a series in the browser; the pages pass axe-core."""

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from meals.models import Meal, MealSeries
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PARIS = ZoneInfo("Europe/Paris")


def test_coordinator_plans_a_meal_and_a_series(page):
    make_user("claire@example.org", group="coordinator", name="Claire Morel")
    log_in(page, "claire@example.org")
    page.get_by_role("navigation").get_by_text("Planning", exact=True).click()  # the menu's group
    page.get_by_role("navigation").get_by_role("link", name="Planning des repas").click()
    page.get_by_role("heading", name="Planning des repas").wait_for()
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Planifier un repas").click()
    assert_no_axe_violations(page)
    day = timezone.localdate() + timedelta(days=9)
    page.locator("#id_day").fill(day.isoformat())
    page.locator("#id_main").fill("Couscous aux légumes")
    page.get_by_label("Gluten", exact=True).check()
    page.get_by_label("Végétarien").check()
    page.locator("#id_capacity").fill("35")
    page.get_by_role("button", name="Enregistrer").click()
    page.get_by_text("Le repas est planifié.").wait_for()
    meal = Meal.objects.get()
    assert meal.main == "Couscous aux légumes" and meal.capacity == 35
    assert meal.allergens == ["gluten"] and meal.diet_labels == ["vegetarian"]
    assert meal.shifts.count() == 3
    assert_no_axe_violations(page)

    page.goto("/planning/nouvelle-serie/")
    assert_no_axe_violations(page)
    start = timezone.localdate() + timedelta(days=14)
    page.locator("#id_title").fill("Déjeuner du mardi")
    page.locator("#id_weekdays_1").check()
    page.locator("#id_weekdays_3").check()
    page.locator("#id_starts_on").fill(start.isoformat())
    page.locator("#id_ends_on").fill((start + timedelta(days=27)).isoformat())
    page.get_by_role("button", name="Créer les repas").click()
    page.get_by_text("8 repas planifiés.").wait_for()
    series = MealSeries.objects.get()
    assert series.meals.count() == 8
    assert {m.starts_at.astimezone(PARIS).time() for m in series.meals.all()} == {time(12, 30)}
    assert_no_axe_violations(page)


def test_series_ending_before_it_starts_shows_a_message(page):
    make_user("claire@example.org", group="coordinator", name="Claire Morel")
    log_in(page, "claire@example.org")
    page.goto("/planning/nouvelle-serie/")
    start = timezone.localdate() + timedelta(days=14)
    page.locator("#id_weekdays_1").check()
    page.locator("#id_starts_on").fill(start.isoformat())
    page.locator("#id_ends_on").fill((start - timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Créer les repas").click()
    page.get_by_text("La date de fin doit être après la date de début.").first.wait_for()
    assert not Meal.objects.exists()
    assert_no_axe_violations(page)


def test_referent_books_its_seat_block_and_coordinator_reads_the_member_pages(page):
    from meals.models import Booking, SeatBlock
    from members.models import Partner
    from tests.conftest import create_meal

    meal = create_meal(capacity=10)
    partner = Partner.objects.create(name="Les Amis du Quartier")
    SeatBlock.objects.create(meal=meal, partner=partner, seats=4, release_at=meal.starts_at - timedelta(hours=3))
    referent = make_user("sophie@example.org", group="partner", name="Sophie Garnier")
    partner.referents.add(referent)
    log_in(page, "sophie@example.org")
    page.get_by_role("link", name="Mes réservations partenaire").first.click()
    page.get_by_role("heading", name="Vos places réservées").wait_for()
    assert_no_axe_violations(page)
    page.locator("#id_meal").select_option(str(meal.pk))
    page.locator("#id_name").fill("Odette")
    page.get_by_role("button", name="Je réserve").click()
    page.get_by_text("C'est réservé pour Odette.").wait_for()
    assert Booking.objects.get().partner == partner
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Se déconnecter").click()

    make_user("claire@example.org", group="coordinator", name="Claire Morel")
    log_in(page, "claire@example.org")
    page.get_by_role("navigation").get_by_text("Personnes", exact=True).click()  # the menu's group
    page.get_by_role("navigation").get_by_role("link", name="Membres", exact=True).click()
    page.locator("#id_q").fill("odette")
    page.get_by_role("button", name="Chercher").click()
    page.get_by_role("link", name="Odette").click()
    page.get_by_role("heading", name="Odette").wait_for()
    assert_no_axe_violations(page)
    page.goto(f"/partenaires/{partner.pk}/")
    assert page.get_by_text("Odette").first.is_visible()
    assert_no_axe_violations(page)
