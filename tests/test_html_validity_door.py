"""The shift board and the door desk are valid HTML, by the Nu HTML checker (vnu.jar).

vnu comes from the npm package ``vnu-jar`` and runs on Java (Debian's
``default-jre-headless``): ``npm install --prefix .vnu vnu-jar`` puts it where
this test looks, or set ``VNU_JAR``. Outside CI a missing checker skips the
test; in CI it fails.
"""

import json
import os
import shutil
import subprocess
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Shift
from meals.services import door
from meals.services.shifts import shift_claim
from members.models import Member
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.vnu

ROOT = Path(__file__).resolve().parent.parent
PLACES = [
    ROOT / ".vnu" / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar",
    Path("/usr/lib/node_modules/vnu-jar/build/dist/vnu.jar"),
    Path("/usr/local/lib/node_modules/vnu-jar/build/dist/vnu.jar"),
]


def vnu_errors(pages: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """The checker's errors for each page (name -> HTML), in one run of the checker."""
    jar = os.environ.get("VNU_JAR") or next((str(place) for place in PLACES if place.exists()), None)
    java = shutil.which("java")
    if not jar or not java:
        skip_or_fail("the Nu HTML checker needs Java and vnu.jar (npm install --prefix .vnu vnu-jar)")
    paths = []
    for name, html in pages.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths.append(str(path))
    run = subprocess.run(
        [java, "-jar", jar, "--errors-only", "--format", "json", "--stdout", *paths],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # 0: valid, 1: errors found; anything else (or no report) is the checker failing, not a pass.
    assert run.returncode in (0, 1) and run.stdout.strip().startswith("{"), run.stderr
    found: dict[str, list[str]] = {name: [] for name in pages}
    for message in json.loads(run.stdout)["messages"]:
        name = Path(message.get("url", "?").split(":", 1)[-1]).stem  # "file:/tmp/…/desk.html"
        found.setdefault(name, []).append(f"line {message.get('lastLine')}: {message.get('message')}")
    return found


def page(client, url: str, *, method: str = "get", data=None, status: int = 200) -> str:
    response = getattr(client, method)(url, data or {})
    assert response.status_code == status, url
    return response.content.decode()


def seat(meal, name, party_size=1, **fields):
    booking = Booking.objects.create(meal=meal, name=name, party_size=party_size, **fields)
    meal.seats_taken += party_size
    meal.save(update_fields=["seats_taken"])
    return booking


def test_the_shift_board_and_its_claim_confirmation_are_valid_html(client, volunteer, make_meal, meal_soon, tmp_path):
    later = make_meal(day=timezone.localdate() + timedelta(days=4))
    shift_claim(shift=later.shifts.get(role=Shift.Role.COOKING), member=volunteer.member)
    table = later.shifts.get(role=Shift.Role.TABLE)
    for n in range(table.slots):
        shift_claim(shift=table, member=Member.objects.create(name=f"Aide {n}"))
    shift_claim(shift=meal_soon.shifts.get(role=Shift.Role.DISHES), member=volunteer.member)
    client.force_login(volunteer)
    late = meal_soon.shifts.get(role=Shift.Role.COOKING)
    pages = {
        "board": page(client, reverse("meals:shifts")),
        "board-needing-hands": page(client, reverse("meals:shifts") + "?besoin=1"),
        "claim-confirm": page(client, reverse("meals:claim_shift", args=[late.pk]), method="post", data={"warn": "1"}),
        "my-shifts": page(client, reverse("meals:my_shifts")),
    }
    errors = vnu_errors(pages, tmp_path)
    assert errors == {name: [] for name in pages}


def test_the_door_desk_is_valid_html_in_each_of_its_states(client, coordinator, make_meal, tmp_path):
    meal = make_meal(day=timezone.localdate(), capacity=6)
    jeanne = seat(meal, "Jeanne Martin", notes="sans gluten")
    marcel = seat(meal, "Marcel <b>Dubois</b>", party_size=2)
    door.booking_check_in(booking=marcel, by=coordinator)
    door.walk_in_add(meal=meal, name="Léon", party_size=3, squeeze=True, by=coordinator)
    door.contribution_record(meal=meal, amount=Decimal("8"), method="card", booking=marcel, by=coordinator)
    wrong = door.contribution_record(meal=meal, amount=Decimal("55"), method="cash", by=coordinator)
    door.contribution_void(contribution=wrong, by=coordinator, reason="55 au lieu de 5")
    closed = make_meal(day=timezone.localdate() + timedelta(days=1))
    door.till_close(meal=closed, counted_cash=Decimal("0"), by=coordinator)
    door.till_reopen(meal=closed, reason="Chèque oublié", by=coordinator)
    door.till_close(meal=closed, counted_cash=Decimal("0"), note="rien", by=coordinator)
    client.force_login(coordinator)
    desk = reverse("meals:door", args=[meal.pk])
    pages = {
        "desk": page(client, desk),
        "desk-for-a-guest": page(client, f"{desk}?booking={jeanne.pk}"),
        "desk-filtered": page(client, f"{desk}?q=jea"),
        "desk-nobody-found": page(client, f"{desk}?q=zzz"),
        "desk-refused-amount": page(
            client, reverse("meals:record_contribution", args=[meal.pk]), method="post", data={"amount": "5,555"}
        ),
        "desk-refused-walk-in": page(
            client, reverse("meals:door_walk_in", args=[meal.pk]), method="post", data={"party_size": "0"}
        ),
        "desk-till-closed": page(client, reverse("meals:door", args=[closed.pk])),
        "home-today": page(client, reverse("members:home")),
    }
    errors = vnu_errors(pages, tmp_path)
    assert errors == {name: [] for name in pages}
