"""The guests' pages are valid HTML, as the Nu HTML checker (vnu.jar, the W3C's) sees them.

Needs Java and vnu.jar: ``.ci/run`` installs them (Debian's ``default-jre-headless``, npm's
``vnu-jar``) and sets ``VNU_JAR``; by hand::

    npm install --no-save --ignore-scripts --prefix .vnu vnu-jar@26.9.27

Outside CI the test skips when either is missing; in CI it fails.
"""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from meals.services.booking import booking_create
from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.vnu, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JAR = ROOT / ".vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


@pytest.fixture(scope="module")
def vnu() -> list[str]:
    jar = Path(os.environ.get("VNU_JAR") or DEFAULT_JAR)
    java = shutil.which("java")
    if java is None:
        skip_or_fail("java not found (apt-get install default-jre-headless)")
    if not jar.is_file():
        skip_or_fail(f"vnu.jar not found at {jar} (npm install --prefix .vnu vnu-jar, or set VNU_JAR)")
    return [java, "-Xss4m", "-jar", str(jar)]


def errors_of(vnu: list[str], pages: dict[str, str], folder: Path) -> list[str]:
    """Every error vnu finds in these pages (warnings and infos are not errors), as readable lines."""
    files = {}
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        files[path] = name
    done = subprocess.run(
        [*vnu, "--format", "json", "--exit-zero-always", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    report = json.loads(done.stderr or done.stdout)
    names = {str(path): name for path, name in files.items()}

    def where(message: dict) -> str:
        url = message.get("url", "")
        return f"{names.get(url.removeprefix('file:'), url)}:{message.get('lastLine')}"

    return [
        f"{where(message)}: {message['message']} — {message.get('extract', '').strip()}"
        for message in report["messages"]
        if message["type"] == "error" or message.get("subType") == "fatal"
    ]


def test_the_home_meal_and_confirmation_pages_are_valid_html(vnu, tmp_path, make_meal, coordinator, settings):
    settings.BOOKING_RATE_LIMIT = "off"
    meal = make_meal(capacity=2)
    full = make_meal(day=timezone.localdate() + timedelta(days=2), capacity=1, diet_labels=["vegetarian"])
    make_meal(day=timezone.localdate() + timedelta(days=3), booking_opens_at=timezone.now() + timedelta(days=1))
    booking_create(meal=full, name="Alain", email="alain@example.org", party_size=1)
    waiting = booking_create(meal=full, name="Élise", phone="0611223344", party_size=1)
    client = Client()
    pages = {
        "home": client.get(reverse("meals:upcoming")),
        "meal": client.get(reverse("meals:meal", args=[meal.pk])),
        "meal-full": client.get(reverse("meals:meal", args=[full.pk])),
        "meal-refused": client.post(reverse("meals:book", args=[meal.pk]), {"name": "", "phone": "06 AB"}),
    }
    booked = client.post(
        reverse("meals:book", args=[meal.pk]), {"name": "Odette", "email": "odette@example.org", "party_size": "1"}
    )
    pages["confirmation"] = client.get(booked["Location"])
    pages["waitlisted"] = client.get(reverse("meals:booking", args=[waiting.token]))
    pages["cancel"] = client.get(reverse("meals:cancel_booking", args=[waiting.token]))
    coordinator_client = Client()
    coordinator_client.force_login(coordinator)
    pages["on-behalf-refused"] = coordinator_client.post(reverse("meals:book_on_behalf", args=[meal.pk]), {"name": ""})
    pages["on-behalf-done"] = coordinator_client.get(reverse("meals:book_on_behalf_done", args=[waiting.token]))
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {**dict.fromkeys(pages, 200), "meal-refused": 400, "on-behalf-refused": 400}
    errors = errors_of(vnu, {name: response.content.decode() for name, response in pages.items()}, tmp_path)
    assert errors == []


def test_the_checker_does_find_an_error(vnu, tmp_path):
    # The booking form's old mistake: crispy put the form's action on the radio buttons' <div>.
    page = '<!doctype html><html lang="fr"><head><title>x</title></head><body><div action="/x/"></div></body></html>'
    assert any("action" in error for error in errors_of(vnu, {"bad": page}, tmp_path))


def test_the_hygiene_logbook_pages_are_valid_html(vnu, tmp_path, volunteer, coordinator):
    from decimal import Decimal

    from hygiene import services
    from hygiene.models import CleaningTask
    from members.models import Member

    fridge = services.cold_unit_create(name="Frigo", kind="fridge")
    task = CleaningTask.objects.create(area="Cuisine", name="Sols")
    now = timezone.now()
    wrong = services.reading_record(unit=fridge, temperature=Decimal("2"), taken_at=now, by=volunteer)
    services.reading_record(
        unit=fridge,
        temperature=Decimal("7"),
        taken_at=now,
        corrective_action="Porte refermée",
        by=volunteer,
        corrects=wrong,
        reason="Mauvais frigo",
    )
    services.cleaning_checks_record(tasks=[task], day=timezone.localdate(), by=volunteer)
    cook = Member.objects.get(user=volunteer)
    briefing = services.briefing_record(day=timezone.localdate(), given_by=cook, attendees=[cook], by=volunteer)
    services.delivery_record(
        received_on=timezone.localdate(),
        supplier_name="Ferme",
        product="Lait",
        storage="chilled",
        temperature=Decimal("3"),
        lot="L1",
        by=volunteer,
    )
    client = Client()
    client.force_login(coordinator)
    today = timezone.localdate()
    pages = {
        "today": client.get(reverse("hygiene:today")),
        "refused": client.post(reverse("hygiene:record_reading"), {"unit": fridge.pk, "temperature": "9"}),
        "month": client.get(reverse("hygiene:month", args=[today.year, today.month])),
        "correct": client.get(reverse("hygiene:correct", args=["consignes", briefing.pk])),
        "units": client.get(reverse("hygiene:units")),
        "cleaning-plan": client.get(reverse("hygiene:cleaning_plan")),
    }
    statuses = {name: response.status_code for name, response in pages.items()}
    assert statuses == {**dict.fromkeys(pages, 200), "refused": 400}
    errors = errors_of(vnu, {name: response.content.decode() for name, response in pages.items()}, tmp_path)
    assert errors == []
