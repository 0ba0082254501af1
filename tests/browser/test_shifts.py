import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from meals.models import Shift, ShiftSignup
from meals.services.shifts import shift_claim
from members.models import Prerequisite
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.conftest import make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_volunteer_claims_sees_it_in_my_shifts_and_releases_it(page, make_meal):
    volunteer = make_user("karim@example.org", group="volunteer", name="Karim Benali")
    meal = make_meal(day=timezone.localdate() + timedelta(days=3))
    log_in(page, "karim@example.org")

    page.get_by_role("navigation").get_by_role("link", name="Créneaux", exact=True).click()
    assert page.get_by_role("heading", level=1).inner_text() == "Les créneaux"
    assert_no_axe_violations(page)
    dishes = page.locator("li.shift", has=page.get_by_role("heading", name="Vaisselle"))
    assert "0 / 4" in dishes.inner_text()
    dishes.get_by_role("button", name="Je viens").click()

    assert "vous êtes inscrit·e" in page.locator(".messages").inner_text()
    assert "1 / 4" in page.locator("li.shift", has=page.get_by_role("heading", name="Vaisselle")).inner_text()
    # Back at the same place on the board: the shift's own row.
    assert page.url.endswith(f"#shift-{meal.shifts.get(role=Shift.Role.DISHES).pk}")
    assert ShiftSignup.objects.filter(member=volunteer.member, shift__role=Shift.Role.DISHES).count() == 1

    page.get_by_role("navigation").get_by_role("link", name="Mes créneaux").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Mes créneaux"
    assert page.get_by_role("heading", level=2, name="Vaisselle").count() == 1
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Je ne peux plus venir").click()

    assert "désinscrit·e" in page.locator(".messages").inner_text()
    assert "Vous n'avez pas encore de créneau" in page.locator("main").inner_text()
    assert meal.shifts.get(role=Shift.Role.DISHES).taken == 0


def test_board_and_my_shifts_on_a_phone_have_no_axe_violations_nor_sideways_scroll(phone_page, meal_soon):
    volunteer = make_user("karim@example.org", group="volunteer", name="Karim Benali")
    meal = meal_soon
    shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=volunteer.member)
    log_in(phone_page, "karim@example.org")
    for path in ["/creneaux/", "/creneaux/mes-creneaux/"]:
        phone_page.goto(path)
        assert_no_axe_violations(phone_page)
        assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    # A shift in five hours: too late to release online, the page says whom to call.
    assert "Appelez la coordination" in phone_page.locator("main").inner_text()


def test_someone_signs_up_as_a_volunteer_from_the_login_page(page, make_meal):
    meal = make_meal(day=timezone.localdate() + timedelta(days=3))
    meal.shifts.filter(role=Shift.Role.DISHES).update(accompanied=True)
    page.goto("/comptes/login/")
    page.get_by_role("link", name="Devenir bénévole").click()
    assert_no_axe_violations(page)
    page.get_by_label("Votre prénom et votre nom").fill("Lucie Petit")
    page.get_by_label("Adresse e-mail").fill("lucie@example.org")
    page.get_by_role("button", name="Recevoir le lien").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Regardez vos e-mails"
    assert_no_axe_violations(page)
    # The link of the mail (the live server shares this process's outbox).
    page.goto(re.search(r"https?://[^/\s]+(/\S+/confirmer/\S+/)", mail.outbox[-1].body).group(1))
    assert_no_axe_violations(page)
    page.locator("#id_password1").fill("une-soupe-au-potiron")
    page.get_by_label("Le même mot de passe, encore une fois").fill("une-soupe-au-potiron")
    page.get_by_role("button", name="Créer mon compte").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Les créneaux"
    # A newcomer (issue 18): the board says what to do first, instead of the button.
    cooking = page.locator("li.shift", has=page.get_by_role("heading", name="Cuisine"))
    assert cooking.get_by_role("button", name="Je viens").count() == 0
    assert "signez la charte" in cooking.inner_text()
    cooking.get_by_role("link", name="Avant de venir").click()
    page.get_by_role("button", name="Je signe la charte").click()
    page.get_by_role("button", name="J'ai lu les consignes d'hygiène").click()
    assert "Lues le" in page.locator("main").inner_text()
    page.goto("/creneaux/")
    # Left: the trial shift, done with someone experienced (the washing-up here).
    dishes = page.locator("li.shift", has=page.get_by_role("heading", name="Vaisselle"))
    assert "bénévole expérimenté·e" in dishes.inner_text()
    assert (
        page.locator("li.shift", has=page.get_by_role("heading", name="Cuisine"))
        .get_by_role("button", name="Je viens")
        .count()
        == 0
    )
    dishes.get_by_role("button", name="Je viens").click()
    assert ShiftSignup.objects.filter(member__email="lucie@example.org", shift__role="dishes").count() == 1


def test_a_volunteer_without_the_briefing_cannot_claim_a_cooking_shift_and_is_told_why(page, make_meal):
    lea = make_user("lea@example.org", group="volunteer", name="Léa Nouvelle", ready=False)
    for kind in ("charter", "trial"):
        Prerequisite.objects.create(member=lea.member, kind=kind)
    meal = make_meal(day=timezone.localdate() + timedelta(days=3))
    log_in(page, "lea@example.org")
    page.goto("/creneaux/")
    cooking = page.locator("li.shift", has=page.get_by_role("heading", name="Cuisine"))
    assert "Pour cuisiner, lisez d'abord les consignes d'hygiène." in cooking.inner_text()
    assert cooking.get_by_role("button", name="Je viens").count() == 0
    # The other roles do not ask for the hygiene rules: their buttons are there.
    page.locator("li.shift", has=page.get_by_role("heading", name="Vaisselle")).get_by_role(
        "button", name="Je viens"
    ).wait_for()
    assert_no_axe_violations(page)
    cooking.get_by_role("link", name="Avant de venir").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Avant de venir"
    assert_no_axe_violations(page)
    page.get_by_role("button", name="J'ai lu les consignes d'hygiène").click()
    page.goto("/creneaux/")
    page.locator("li.shift", has=page.get_by_role("heading", name="Cuisine")).get_by_role(
        "button", name="Je viens"
    ).click()
    assert "vous êtes inscrit·e" in page.locator(".messages").inner_text()
    assert ShiftSignup.objects.filter(member=lea.member, shift=meal.shifts.get(role=Shift.Role.COOKING)).exists()


def test_the_coordinator_marks_attendance_with_one_tap_each(page, make_meal):
    make_user("claire@example.org", group="coordinator", name="Claire Morel")
    karim = make_user("karim@example.org", group="volunteer", name="Karim Benali")
    yesterday = make_meal(day=timezone.localdate() - timedelta(days=1))
    ShiftSignup.objects.create(shift=yesterday.shifts.get(role=Shift.Role.COOKING), member=karim.member)
    log_in(page, "claire@example.org")
    page.goto(f"/creneaux/repas/{yesterday.pk}/presences/")
    assert page.get_by_role("heading", level=1).inner_text() == "Qui est venu aider\u202f?"
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Venu·e — Karim Benali", exact=True).click()
    assert "Karim Benali : venu·e." in page.locator(".messages").inner_text().replace("\u202f", " ")
    assert page.get_by_role("button", name="Venu·e — Karim Benali", exact=True).get_attribute("aria-pressed") == "true"
    assert ShiftSignup.objects.get(member=karim.member).attended == "came"
    assert_no_axe_violations(page)


def test_coordinator_week_overview_has_no_axe_violations(page, make_meal):
    make_user("claire@example.org", group="coordinator", name="Claire Morel")
    make_user("karim@example.org", group="volunteer", name="Karim Benali")
    meal = make_meal()
    log_in(page, "claire@example.org")
    page.goto("/creneaux/semaine/")
    assert_no_axe_violations(page)
    row = page.locator("tr", has=page.get_by_role("rowheader", name="Vaisselle"))
    row.get_by_role("combobox").select_option(label="Karim Benali")
    row.get_by_role("button", name="Inscrire").click()
    assert "Karim Benali est inscrit·e" in page.locator(".messages").inner_text()
    assert meal.shifts.get(role=Shift.Role.DISHES).taken == 1


def test_claiming_a_shift_within_24_hours_asks_first_then_lands_on_its_row(phone_page, meal_soon):
    make_user("karim@example.org", group="volunteer", name="Karim Benali")
    cooking = meal_soon.shifts.get(role=Shift.Role.COOKING)
    log_in(phone_page, "karim@example.org")
    phone_page.goto("/creneaux/")
    phone_page.locator(f"#shift-{cooking.pk}").get_by_role("button", name="Je viens").tap()
    phone_page.wait_for_url(f"**/creneaux/{cooking.pk}/je-viens/")
    assert phone_page.get_by_role("heading", level=1).inner_text() == "Vous venez bien\u202f?"
    assert "vous ne pourrez plus vous désinscrire en ligne" in phone_page.locator("main").inner_text()
    assert not ShiftSignup.objects.exists()
    assert_no_axe_violations(phone_page)
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.get_by_role("button", name="Oui, je viens").tap()
    phone_page.wait_for_url(f"**/creneaux/#shift-{cooking.pk}")
    row = phone_page.locator(f"#shift-{cooking.pk}")
    assert "Vous êtes inscrit·e." in row.inner_text()
    assert row.evaluate("e => { const r = e.getBoundingClientRect(); return r.top >= 0 && r.top < innerHeight; }")
    assert ShiftSignup.objects.filter(shift=cooking).count() == 1
