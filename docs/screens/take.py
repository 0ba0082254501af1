"""Take the README's phone screenshots (390 px wide, in French) from a running Cantine.

    DEBUG=1 SITE_URL=https://cantine.exemple.fr python manage.py seed_demo   # an empty database
    DEBUG=1 SITE_URL=https://cantine.exemple.fr HTTPS=off python manage.py runserver 8710
    .venv/bin/python docs/screens/take.py http://127.0.0.1:8710

It books a seat for « Odette Lambert » on the first meal open for booking, to show the confirmation;
then signs in as the demo's newcomer (the shift board says why a shift cannot be claimed yet) and as
the demo volunteer (the hygiene logbook, the kitchen's allergy counts of the next meal).
"""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def main(base: str) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"])
        context = browser.new_context(
            locale="fr-FR", base_url=base, viewport={"width": 390, "height": 844}, has_touch=True
        )
        page = context.new_page()
        page.goto("/")
        page.screenshot(path=HERE / "home-390.png", full_page=True)
        page.get_by_role("link", name="Je réserve").first.click()
        page.screenshot(path=HERE / "meal-390.png", full_page=True)
        page.locator("#id_name").fill("Odette Lambert")
        page.locator("#id_email").fill("odette.lambert@exemple.test")
        page.get_by_role("button", name="Je réserve").click()
        page.get_by_role("heading", name="Gardez bien ce lien").wait_for()
        page.screenshot(path=HERE / "confirmation-390.png", full_page=True)
        context.close()
        newcomer = signed_in(browser, base, "nouvelle@cantine.test")
        newcomer.goto("/creneaux/")
        newcomer.screenshot(path=HERE / "board-newcomer-390.png")  # the first screen: the board is long
        cook = signed_in(browser, base, "benevole@cantine.test")
        cook.goto("/hygiene/")
        cook.screenshot(path=HERE / "hygiene-390.png", full_page=True)
        cook.goto(f"/repas/{next_meal_pk(cook)}/cuisine/")
        cook.screenshot(path=HERE / "kitchen-390.png", full_page=True)
        browser.close()


def signed_in(browser, base: str, email: str):
    context = browser.new_context(locale="fr-FR", base_url=base, viewport={"width": 390, "height": 844}, has_touch=True)
    page = context.new_page()
    page.goto("/comptes/login/")
    page.fill("input[name=username]", email)
    page.fill("input[name=password]", "cantine-demo-2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    return page


def next_meal_pk(page) -> int:
    """The first meal of the home page (its « Je réserve » link is /repas/<pk>/)."""
    page.goto("/")
    href = page.locator("a[href^='/repas/']").first.get_attribute("href")
    return int(href.strip("/").split("/")[1])


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8710")
