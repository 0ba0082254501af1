"""Take the README's phone screenshots (390 px wide, in French) from a running Cantine.

    DEBUG=1 SITE_URL=https://cantine.exemple.fr python manage.py seed_demo   # an empty database
    DEBUG=1 SITE_URL=https://cantine.exemple.fr HTTPS=off python manage.py runserver 8710
    .venv/bin/python docs/screens/take.py http://127.0.0.1:8710

It books a seat for « Odette Lambert » on the first meal open for booking, to show the confirmation.
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
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8710")
