"""Every page, for each role, checked with axe-core in Chromium, on a desktop and on a phone;
and the two jobs that must work with a keyboard alone: booking a seat and the door desk.

The pages come from the permission matrix: every URL a role may open (200)
that answers HTML, so a new page is checked as soon as it is in the matrix.
"""

import pytest
from django.test import Client

from meals.models import Booking, Contribution
from tests.browser.conftest import log_in
from tests.test_permission_matrix import MATRIX, ROLES, build_world, client_for, project_url_names, url_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(db, guest, volunteer, partner_referent, coordinator, partner):
    return build_world(
        guest=guest, volunteer=volunteer, referent=partner_referent, coordinator=coordinator, partner=partner
    )


# Pages allowed to be wider than a phone, and why. Keep this short: each entry
# is a page a coordinator may still open on a phone.
WIDER_THAN_A_PHONE = {
    "meals:day_sheet": "a print page laid out for one A4 sheet",
    "meals:shift_overview": "known issue: the week's table is wider than 390 px (reported to the shifts page)",
}


def html_pages(role: str, world) -> list[tuple[str, str]]:
    """(URL name, URL) of every HTML page this role may open."""
    client = client_for(role, world)
    pages = []
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200":
            continue
        url = url_for(name, role, world)
        if client.get(url).headers.get("Content-Type", "").startswith("text/html"):
            pages.append((name, url))
    return pages


def sign_in(tab, role: str, world, live_server) -> None:
    """Give the browser the session of a user logged in with the test client."""
    user = {"volunteer": world.volunteer, "referent": world.referent, "coordinator": world.coordinator}.get(role)
    if user is None:
        return
    client = Client()
    client.force_login(user)
    tab.context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])


def axe_violations(tab) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    if results.violations_count == 0:
        return []
    return [results.generate_report()]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_every_page_has_no_axe_violations(role, size, world, page, phone_page, live_server):
    tab = page if size == "desktop" else phone_page
    sign_in(tab, role, world, live_server)
    pages = html_pages(role, world)
    assert pages, f"no page for {role}"
    found = []
    for name, url in pages:
        tab.goto(url)
        found.extend(f"{url} ({role}, {size}):\n{report}" for report in axe_violations(tab))
        if size == "phone" and name not in WIDER_THAN_A_PHONE:
            width = tab.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                found.append(f"{url} ({role}, phone): scrolls sideways ({width}px wide)")
    assert not found, "\n\n".join(found)


def focus_by_tab(tab, test: str, *, limit: int = 80) -> None:
    """Press Tab until ``test`` (a JS expression on ``el``, the focused element) is true."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"(() => {{ const el = document.activeElement; return !!({test}); }})()"):
            return
    raise AssertionError(f"Tab never reached an element where {test}")


def test_a_guest_books_a_seat_with_the_keyboard_only(page, make_meal):
    meal = make_meal(capacity=10)
    page.goto(f"/repas/{meal.pk}/")

    focus_by_tab(page, "el.name === 'name'")
    page.keyboard.type("Odette Clavier")
    focus_by_tab(page, "el.name === 'email'")
    page.keyboard.type("odette@example.org")
    focus_by_tab(page, "el.type === 'submit' && el.form && el.form.action.includes('/reserver/')")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "/reservation/" in page.url
    booking = Booking.objects.get(meal=meal)
    assert booking.name == "Odette Clavier" and booking.status == Booking.Status.CONFIRMED
    # The confirmation can be cancelled with the keyboard too: the link, then « Oui, j'annule ».
    focus_by_tab(page, "el.tagName === 'A' && el.href.includes('/annuler/')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    focus_by_tab(page, "el.type === 'submit' && el.form && el.form.action.includes('/annuler/')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED


def test_the_door_desk_works_with_the_keyboard_only(page, coordinator, make_meal):
    meal = make_meal(capacity=10)
    booking = Booking.objects.create(meal=meal, name="Marcel Porte", phone="06 11 22 33 44", party_size=1)
    meal.seats_taken = 1
    meal.save(update_fields=["seats_taken"])
    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{meal.pk}/")

    focus_by_tab(page, "el.classList.contains('door-check-in')")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    booking.refresh_from_db()
    assert booking.checked_in_at is not None

    # After a check-in, the contribution's amount is where the keyboard goes next.
    focus_by_tab(page, "el.name === 'amount' && el.tagName === 'INPUT' && el.type !== 'submit'")
    page.keyboard.type("5,50")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    contribution = Contribution.objects.get(meal=meal)
    assert str(contribution.amount) == "5.50"


def test_the_hygiene_logbook_has_no_axe_violations_on_a_phone(phone_page, volunteer, live_server):
    """Today's logbook in the kitchen (a reading out of range, a correction) and the month's, 390 px wide."""
    from decimal import Decimal

    from django.utils import timezone

    from hygiene import services

    fridge = services.cold_unit_create(name="Frigo de la cuisine", kind="fridge")
    wrong = services.reading_record(unit=fridge, temperature=Decimal("2"), taken_at=timezone.now(), by=volunteer)
    services.reading_record(
        unit=fridge,
        temperature=Decimal("6.5"),
        taken_at=timezone.now(),
        corrective_action="Porte refermée",
        by=volunteer,
        corrects=wrong,
        reason="Mauvais frigo",
    )
    client = Client()
    client.force_login(volunteer)
    phone_page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    today = timezone.localdate()
    found = []
    for url in ("/hygiene/", f"/hygiene/{today.year}/{today.month}/"):
        phone_page.goto(url)
        assert "Frigo de la cuisine" in phone_page.content()
        found += axe_violations(phone_page)
        width = phone_page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            found.append(f"{url} scrolls sideways ({width}px wide)")
    # A refused reading: the message in the page, in words.
    phone_page.goto("/hygiene/")
    phone_page.fill("#reading-temperature", "9")
    with phone_page.expect_navigation():
        phone_page.click("text=Noter la température")  # no unit ticked: refused, the radios marked
    found += axe_violations(phone_page)
    phone_page.check("#reading-unit_0")
    phone_page.fill("#reading-temperature", "9")
    with phone_page.expect_navigation():
        phone_page.click("text=Noter la température")
    assert "hors des limites de « Frigo de la cuisine »" in phone_page.content()
    found += axe_violations(phone_page)
    assert not found, "\n\n".join(found)


def test_kitchen_view_with_counts_and_clashes_has_no_axe_violations_on_a_phone(phone_page, volunteer):
    from meals.services.booking import booking_create
    from tests.conftest import create_meal

    meal = create_meal(capacity=10, allergens=["sesame"], diet_labels=["vegetarian"])
    booking_create(meal=meal, name="A", email="a@example.org", party_size=2, allergens=["sesame"], health_consent=True)
    booking_create(meal=meal, name="B", email="b@example.org", diets=["vegan"], health_consent=True)
    log_in(phone_page, volunteer.email)
    phone_page.goto(f"/repas/{meal.pk}/cuisine/")
    assert phone_page.get_by_text("2 personnes allergiques, et le menu en contient").is_visible()
    assert axe_violations(phone_page) == []
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
