"""The cantine's identity and place: a coordinator edits them; pages, emails, calendars and the day sheet show them."""

import struct
import zlib

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.emails import send_booking_reminders
from meals.models import Shift
from meals.services.booking import booking_cancel, booking_create
from meals.services.shifts import shift_claim, shift_reminders_send, too_late_message
from members import models as members_models
from members.models import CantineSettings, cantine_settings, cantine_settings_safe
from members.roles import COORDINATOR

pytestmark = pytest.mark.django_db

SETTINGS_URL = reverse("members:cantine_settings")
FIRST_VISIT_URL = reverse("members:first_visit")
MAP_URL = reverse("members:cantine_map")
NNBSP = "\u202f"

VALUES = {
    "name": "La Cantine des Lilas",
    "street": "8 rue des Lilas",
    "postcode": "75019",
    "city": "Paris",
    "phone": "01 23 45 67 89",
    "email": "bonjour@lilas.test",
    "opening_days": "Du mardi au samedi",
    "directions": "Métro ligne 11, station Place des Fêtes",
    "step_free_access": "De plain-pied par la porte verte",
    "toilets": "Une toilette accessible en fauteuil",
    "first_visit": "Claire vous accueille à la porte",
    "price_rule": "Chacun donne ce qu'il peut, même rien",
    "map_description": "",
    "map_link": "",
}


def png(width: int = 2, height: int = 2) -> bytes:
    """A real (tiny) PNG image, so a browser can draw it."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x9c\x3b\x17" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture
def place(db) -> CantineSettings:
    return CantineSettings.objects.create(pk=CantineSettings.PK, **VALUES)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def text(response) -> str:
    return response.content.decode()


def post_settings(client, **changes):
    return client.post(SETTINGS_URL, VALUES | changes)


# Who may see and edit ---------------------------------------------------------


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(SETTINGS_URL)
    assert response.status_code == 302 and reverse("login") in response["Location"]
    assert client.post(SETTINGS_URL, VALUES).status_code == 302
    assert not CantineSettings.objects.exists()


@pytest.mark.parametrize("who", ["volunteer", "partner_referent", "outsider"])
def test_other_roles_may_neither_see_nor_edit(client, who, request):
    client.force_login(request.getfixturevalue(who))
    assert client.get(SETTINGS_URL).status_code == 403
    assert client.post(SETTINGS_URL, VALUES).status_code == 403
    assert not CantineSettings.objects.exists()


def test_the_coordinator_group_holds_the_permission_given_by_the_data_migration():
    group = Group.objects.get(name=COORDINATOR)
    assert group.permissions.filter(content_type__app_label="members", codename="change_cantinesettings").exists()


def test_the_coordinator_s_area_links_to_the_settings(coordinator_client, client, volunteer):
    assert SETTINGS_URL in text(coordinator_client.get(reverse("members:home")))
    client.force_login(volunteer)
    assert SETTINGS_URL not in text(client.get(reverse("members:home")))


def test_the_form_starts_from_the_environment_s_phone(coordinator_client, settings):
    settings.COORDINATION_PHONE = "0612345678"
    assert 'value="06 12 34 56 78"' in text(coordinator_client.get(SETTINGS_URL))


# Editing --------------------------------------------------------------------------


def test_a_coordinator_saves_the_settings(coordinator_client, coordinator):
    response = post_settings(coordinator_client, phone="0123456789", email=" Bonjour@Lilas.test ")
    assert response.status_code == 302
    row = CantineSettings.objects.get()
    assert (row.name, row.street, row.postcode, row.city) == (
        "La Cantine des Lilas",
        "8 rue des Lilas",
        "75019",
        "Paris",
    )
    assert (row.phone, row.email, row.updated_by) == ("01 23 45 67 89", "bonjour@lilas.test", coordinator)
    page = text(coordinator_client.get(response["Location"]))
    assert "Les réglages de la cantine sont enregistrés." in page


def test_saving_again_updates_the_one_row(coordinator_client, place):
    post_settings(coordinator_client, name="La Cantine du Marais")
    post_settings(coordinator_client, name="La Cantine du Marais")
    assert list(CantineSettings.objects.values_list("pk", "name")) == [(1, "La Cantine du Marais")]


@pytest.mark.parametrize(
    "changes,message",
    [
        ({"name": "  "}, "Indiquez le nom de la cantine."),
        ({"phone": "01 23 45"}, "il faut 10 chiffres"),
        ({"phone": "appelez-nous"}, "des chiffres seulement"),
        ({"postcode": "Paris"}, "Ce code postal n&#x27;est pas valable"),
        ({"email": "pas-une-adresse"}, "adresse de courriel valide"),
        ({"map_link": "javascript:alert(1)"}, "Saisissez une URL valide"),
        ({"map_link": "ftp://plans.example.org/cantine.png"}, "Le lien doit commencer par https://"),
        ({"name": "x" * 61}, "61"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(coordinator_client, place, changes, message):
    response = post_settings(coordinator_client, **(changes | {"street": "1 rue Changée"}))
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Rien n'a été enregistré" in page
    assert CantineSettings.objects.get().street == "8 rue des Lilas"


def test_a_plan_is_uploaded_described_served_and_removed(coordinator_client, client, place):
    image = png()
    response = post_settings(
        coordinator_client,
        map_upload=SimpleUploadedFile("plan.png", image, content_type="image/png"),
        map_description="La cantine est au fond de la cour, porte verte.",
    )
    assert response.status_code == 302
    served = client.get(MAP_URL)
    assert served.status_code == 200 and served["Content-Type"] == "image/png"
    assert b"".join(served) == image
    page = text(client.get(FIRST_VISIT_URL))
    assert f'src="{MAP_URL}?v=' in page and "au fond de la cour, porte verte." in page

    assert post_settings(coordinator_client, map_description="", map_remove="on").status_code == 302
    assert client.get(MAP_URL).status_code == 404
    assert MAP_URL not in text(client.get(FIRST_VISIT_URL))


@pytest.mark.parametrize(
    "upload,description,message",
    [
        (SimpleUploadedFile("plan.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"), "Un plan", "pas une image"),
        (SimpleUploadedFile("plan.png", b"\x89PNG\r\n\x1a\n" + b"0" * (2 * 1024 * 1024)), "Un plan", "trop lourde"),
        (SimpleUploadedFile("plan.png", png()), "", "ce que montre le plan"),
    ],
)
def test_a_bad_plan_is_refused_with_a_message(coordinator_client, place, upload, description, message):
    response = post_settings(coordinator_client, map_upload=upload, map_description=description)
    assert response.status_code == 200
    assert message in text(response)
    assert not CantineSettings.objects.get().has_map


# Where it shows -----------------------------------------------------------------


def test_without_settings_the_pages_show_the_default_name_and_the_environment_s_phone(client, settings, meal):
    settings.COORDINATION_PHONE = "01 98 76 54 32"
    page = text(client.get(reverse("meals:upcoming")))
    assert '<a class="navbar-brand" href="/">La Cantine</a>' in page
    assert '<a class="text-nowrap" href="tel:+33198765432">01 98 76 54 32</a>' in page


def test_the_footer_title_and_brand_show_the_name_address_and_phone(client, place, meal):
    page = text(client.get(reverse("meals:upcoming")))
    assert "<title>Les prochains repas · La Cantine des Lilas</title>" in page
    assert '<a class="navbar-brand" href="/">La Cantine des Lilas</a>' in page
    footer = page[page.index('<footer class="site-footer') :]
    assert "8 rue des Lilas<br>75019 Paris" in footer
    assert f'Téléphone{NNBSP}: <a class="text-nowrap" href="tel:+33123456789">01 23 45 67 89</a>' in footer
    assert f'href="{FIRST_VISIT_URL}"' in footer


def test_the_first_visit_page_shows_access_toilets_days_price_and_welcome(client, place):
    page = text(client.get(FIRST_VISIT_URL))
    for value in ("Métro ligne 11", "De plain-pied", "accessible en fauteuil", "Du mardi au samedi"):
        assert value in page
    assert "Claire vous accueille à la porte" in page
    assert "Chacun donne ce qu&#x27;il peut, même rien" in page
    assert f"Quand{NNBSP}?" in page


def test_the_meal_page_shows_the_address_and_a_first_time_link(client, place, meal):
    page = text(client.get(reverse("meals:meal", args=[meal.pk])))
    main = page[page.index("<main") : page.index("</main>")]
    assert "8 rue des Lilas" in main
    assert f'<a href="{FIRST_VISIT_URL}">C\'est votre première fois{NNBSP}?' in main


def test_the_private_link_page_shows_the_address_phone_and_first_visit(client, place, meal):
    booking = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=1)
    page = text(client.get(reverse("meals:booking", args=[booking.token])))
    main = page[page.index("<main") : page.index("</main>")]
    assert "8 rue des Lilas" in main and "tel:+33123456789" in main and FIRST_VISIT_URL in main


def test_the_day_sheet_prints_the_name_address_and_phone(coordinator_client, place, meal):
    page = text(coordinator_client.get(reverse("meals:day_sheet", args=[meal.pk])))
    assert (
        '<p class="day-sheet-place">La Cantine des Lilas — 8 rue des Lilas, 75019 Paris — Tél. 01 23 45 67 89</p>'
        in page
    )


def assert_signed(message) -> None:
    for body in [message.body] + [content for content, _type in getattr(message, "alternatives", [])]:
        assert "La Cantine des Lilas" in body and "8 rue des Lilas" in body and "75019 Paris" in body
        assert "01 23 45 67 89" in body and "http://127.0.0.1:8000/venir/" in body


def test_every_booking_email_is_signed_with_the_name_address_and_phone(place, make_meal):
    meal = make_meal(capacity=1)
    first = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=1)  # confirmed
    booking_create(meal=meal, name="Marcel", email="marcel@example.org", party_size=1)  # on the waiting list
    assert len(mail.outbox) == 2  # the worker sent both confirmations (a cancelled booking's would be dropped)
    booking_cancel(booking=first)  # Marcel is promoted
    assert send_booking_reminders(day=timezone.localtime(meal.starts_at).date()) == 1
    assert [message.to for message in mail.outbox] == [["jeanne@example.org"]] + [["marcel@example.org"]] * 3
    for message in mail.outbox:
        assert_signed(message)
    assert "<title>La Cantine des Lilas</title>" in mail.outbox[0].alternatives[0][0]


def test_the_volunteer_reminder_and_the_password_email_are_signed(client, place, meal, volunteer):
    shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=volunteer.member)
    assert shift_reminders_send(day=timezone.localtime(meal.starts_at).date()) == 1
    client.post(reverse("password_reset"), {"email": volunteer.email})
    assert len(mail.outbox) == 2
    for message in mail.outbox:
        assert_signed(message)
    assert "changer votre mot de passe pour La Cantine des Lilas" in mail.outbox[1].body


def test_calendars_give_the_cantine_as_location(client, place, meal, volunteer):
    booking = booking_create(meal=meal, name="Jeanne", email="jeanne@example.org", party_size=1)
    ics = client.get(reverse("meals:booking_ics", args=[booking.token])).content.decode()
    assert "LOCATION:La Cantine des Lilas\\, 8 rue des Lilas\\, 75019 Paris" in ics
    assert "SUMMARY:Déjeuner partagé — La Cantine des Lilas" in ics
    attached = mail.outbox[0].attachments[0]
    assert attached[0] == "cantine.ics" and "LOCATION:La Cantine des Lilas\\, 8 rue des Lilas" in str(attached[1])
    shift_claim(shift=meal.shifts.get(role=Shift.Role.COOKING), member=volunteer.member)
    feed = client.get(reverse("meals:shifts_ical", args=[volunteer.member.calendar_token])).content.decode()
    assert "LOCATION:La Cantine des Lilas\\, 8 rue des Lilas\\, 75019 Paris" in feed.replace("\r\n ", "")


def test_too_late_to_release_gives_the_cantine_s_phone(place):
    assert "Appelez la coordination au 01 23 45 67 89." in too_late_message()


def test_a_foreign_number_keeps_its_country_in_the_tel_link():
    assert CantineSettings(phone="+3222345678").tel == "tel:+3222345678"
    assert CantineSettings(phone="").tel == ""


# Kept per process, never stale ------------------------------------------------------


def test_after_a_save_every_kept_page_shows_the_new_values(client, coordinator_client, place, meal):
    pages = [reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk]), FIRST_VISIT_URL]
    for url in pages:
        assert "La Cantine des Lilas" in text(client.get(url))
    post_settings(coordinator_client, name="La Cantine du Marais", street="3 rue Vieille-du-Temple")
    for url in pages:
        page = text(client.get(url))
        assert "La Cantine du Marais" in page and "3 rue Vieille-du-Temple" in page
        assert "La Cantine des Lilas" not in page


@pytest.mark.django_db(transaction=True)
def test_a_committed_save_reaches_the_pages_kept_whole(client, coordinator, meal):
    # Committed for real: on PostgreSQL the counters' triggers fire at COMMIT here, as in production.
    url = reverse("meals:meal", args=[meal.pk])
    assert "La Cantine</a>" in text(client.get(url))
    staff = Client()
    staff.force_login(coordinator)
    assert post_settings(staff).status_code == 302
    assert "La Cantine des Lilas</a>" in text(client.get(url))


def test_a_write_from_outside_the_app_is_seen_from_the_next_request(client, place, meal):
    url = reverse("meals:meal", args=[meal.pk])
    assert "La Cantine des Lilas" in text(client.get(url))
    CantineSettings.objects.filter(pk=CantineSettings.PK).update(name="La Cantine du Port")
    assert "La Cantine du Port" in text(client.get(url))


def settings_reads(queries) -> list[str]:
    return [query["sql"] for query in queries.captured_queries if CantineSettings._meta.db_table in query["sql"]]


def test_a_warm_page_reads_the_settings_from_no_query(client, place):
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        client.get(FIRST_VISIT_URL)
    with CaptureQueriesContext(connection) as warm:
        assert "La Cantine des Lilas" in text(client.get(FIRST_VISIT_URL))
    assert len(settings_reads(cold)) == 1
    assert settings_reads(warm) == []
    assert len(warm) == 1  # the kept settings and their generation, in one get_many()


def test_the_kept_public_pages_still_cost_one_query_when_warm(client, place, meal):
    for url in (reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk])):
        client.get(url)
        with CaptureQueriesContext(connection) as warm:
            client.get(url)
        assert len(warm) == 1, url  # the kept page and its generations, in one get_many()


def test_error_pages_read_the_settings_without_the_database(place):
    cantine_settings()
    with CaptureQueriesContext(connection) as queries:
        assert cantine_settings_safe().phone == "01 23 45 67 89"
    assert len(queries) == 0


def test_error_pages_fall_back_to_the_environment_when_the_database_fails(monkeypatch, settings):
    settings.COORDINATION_PHONE = "01 98 76 54 32"

    def broken():
        raise RuntimeError("database down")

    monkeypatch.setattr(members_models, "cantine_settings", broken)
    monkeypatch.setattr(members_models, "_last_read", [])
    found = cantine_settings_safe()
    assert (found.name, found.phone) == ("La Cantine", "01 98 76 54 32")


def test_an_error_page_template_reads_the_phone_without_a_request(place):
    from django.template import engines

    cantine_settings()
    template = engines["django"].from_string(
        "{% load cantine_place %}{% cantine_place_safe as cantine %}{{ cantine.name }} {{ cantine.phone }}"
    )
    with CaptureQueriesContext(connection) as queries:
        assert template.render() == "La Cantine des Lilas 01 23 45 67 89"
    assert len(queries) == 0


def test_the_settings_row_is_one_row(place):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        CantineSettings.objects.create(pk=2, name="Une autre cantine")


def test_before_anything_is_written_the_first_visit_page_welcomes_in_default_words(client):
    page = text(client.get(FIRST_VISIT_URL))
    assert "Poussez la porte" in page and "Prix libre et conscient" in page
    assert "Comment venir</h2>" not in page


def test_coordinator_sets_the_monthly_overheads_and_the_local_radius(client, coordinator):
    """Issue 17: the overheads per cover come from this monthly budget; « local » from this radius."""
    from decimal import Decimal

    from meals.idempotency import new_key

    client.force_login(coordinator)
    page = client.get(reverse("members:cantine_settings")).content.decode()
    assert 'name="overhead_rent"' in page and 'name="local_radius_km"' in page
    response = client.post(
        reverse("members:cantine_settings"),
        {
            "form_key": new_key(),
            "name": "La Cantine",
            "local_radius_km": "80",
            "overhead_rent": "600",
            "overhead_salary": "1500,50",
            "overhead_energy": "",
            "overhead_other": "99,50",
        },
    )
    assert response.status_code == 302
    row = CantineSettings.objects.get()
    assert row.local_radius_km == 80
    assert row.monthly_overheads == Decimal("2200.00")
