"""What a guest sees when a booking is refused, confirmed or cancelled; what a coordinator sees after a call."""

import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from meals.models import Booking
from meals.services.booking import booking_cancel, booking_create
from meals.templatetags.cantine import NNBSP, day, de, relday
from members.models import Member
from tests.conftest import PARIS

pytestmark = pytest.mark.django_db

GOOD = {"name": "Alain Petit", "email": "alain@example.org", "phone": "", "party_size": "1", "notes": ""}


@pytest.fixture(autouse=True)
def no_rate_limit(settings):
    settings.BOOKING_RATE_LIMIT = "off"


def post_booking(client, meal, **changes):
    return client.post(reverse("meals:book", args=[meal.pk]), {**GOOD, **changes})


def title_of(html: str) -> str:
    return re.search(r"<title>(.*?)</title>", html, re.S).group(1).strip()


class Outline(HTMLParser):
    """The tags of a page in order, with their attributes."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict]]:
    outline = Outline()
    outline.feed(html)
    return outline.tags


# --- The error summary ---------------------------------------------------------------


def test_a_refused_booking_puts_erreur_before_the_page_title(client, meal):
    response = post_booking(client, meal, phone="06 AB", email="")
    assert response.status_code == 400
    assert title_of(response.content.decode()).startswith(f"Erreur{NNBSP}: Déjeuner partagé")
    assert not title_of(client.get(reverse("meals:meal", args=[meal.pk])).content.decode()).startswith("Erreur")


def test_the_error_summary_comes_before_the_heading_and_links_to_each_field(client, meal):
    html = post_booking(client, meal, name=" ", phone="06 AB", email="").content.decode()
    tags = tags_of(html)
    names = [tag for tag, _ in tags]
    summary = next(n for n, (tag, attrs) in enumerate(tags) if "data-error-summary" in attrs)
    assert tags[summary][1]["tabindex"] == "-1"
    assert "role" not in tags[summary][1]
    assert summary < names.index("h1")
    assert "Il y a un problème" in html
    links = [attrs["href"] for tag, attrs in tags[summary:] if tag == "a" and attrs.get("href", "").startswith("#")]
    assert links[:2] == ["#id_name", "#id_phone"]
    assert 'id="id_name"' in html and 'id="id_phone"' in html
    assert "js/error-summary.js" in html


def test_a_missing_contact_links_to_the_email_field(client, meal):
    html = post_booking(client, meal, email="", phone="").content.decode()
    assert re.search(r'<a href="#id_email">Laissez-nous un e-mail ou un numéro de téléphone', html)


def test_an_error_of_a_radio_group_links_to_its_first_button(client, meal):
    html = post_booking(client, meal, help_with="juggling").content.decode()
    assert 'href="#id_help_with_0"' in html and 'id="id_help_with_0"' in html


def test_a_refusal_no_field_can_fix_is_in_the_summary_without_a_link(client, make_meal):
    meal = make_meal(booking_closes_at=timezone.now() - timedelta(minutes=1))
    html = post_booking(client, meal).content.decode()
    summary = html[html.index("data-error-summary") : html.index("</ul>", html.index("data-error-summary"))]
    assert "Les réservations pour ce repas sont closes" in summary
    assert "<a " not in summary


def test_the_meal_page_without_errors_has_no_summary_and_no_script(client, meal):
    html = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert "data-error-summary" not in html and "error-summary.js" not in html


def test_the_booking_form_puts_its_action_on_the_form_only(client, meal):
    html = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    with_action = [tag for tag, attrs in tags_of(html) if "action" in attrs]
    assert set(with_action) == {"form"}
    assert f'action="{reverse("meals:book", args=[meal.pk])}"' in html


def test_the_form_for_someone_who_phoned_has_the_summary_too(client, coordinator, meal):
    client.force_login(coordinator)
    response = client.post(reverse("meals:book_on_behalf", args=[meal.pk]), {"name": "", "party_size": "1"})
    html = response.content.decode()
    assert response.status_code == 400
    assert title_of(html).startswith(f"Erreur{NNBSP}:")
    assert '<a href="#id_name">' in html


# --- The confirmation ----------------------------------------------------------------


def test_the_confirmation_shows_the_whole_private_link_and_its_qr_code(client, meal, settings):
    settings.SITE_URL = "https://cantine.example.org"
    response = post_booking(client, meal)
    booking = Booking.objects.get()
    html = client.get(response["Location"]).content.decode()
    link = "https://cantine.example.org" + reverse("meals:booking", args=[booking.token])
    assert f'<a href="{link}">{link}</a>' in html
    qr = re.search(r'<img class="qr-code" src="(data:image/svg\+xml[^"]+)" alt="([^"]+)"', html)
    assert qr and qr.group(2)
    assert "Imprimer cette page" in html and "js/print.js" in html
    assert "Un e-mail avec ce lien vous a été envoyé." in html


def test_the_qr_code_holds_the_private_link():
    segno = pytest.importorskip("segno")
    from meals.templatetags.cantine import qr

    link = "https://cantine.example.org/reservation/" + "a" * 32 + "/"
    assert qr(link) == segno.make(link, error="m").svg_data_uri(scale=4, border=2)
    assert qr(link) != qr(link.replace("a", "b"))


def test_a_phone_only_guest_is_told_the_link_went_by_sms(client, meal, send_queued):
    from meals import sms

    response = post_booking(client, meal, email="", phone="06 12 34 56 78")
    html = client.get(response["Location"]).content.decode()
    assert "Un SMS avec ce lien vous a été envoyé." in html
    assert "notez ce lien" not in html
    send_queued()
    booking = Booking.objects.get()
    assert not mail.outbox
    booking.refresh_from_db()
    assert len(sms.outbox) == 1 and f"/r/{booking.sms_code}" in sms.outbox[0].body


def test_without_an_email_or_sms_the_confirmation_says_to_note_the_link(client, meal):
    response = post_booking(client, meal, email="", phone="06 12 34 56 78")
    booking = Booking.objects.get()
    Member.objects.filter(pk=booking.member_id).update(sms_opt_out=True)
    html = client.get(response["Location"]).content.decode()
    assert "notez ce lien" in html
    assert "vous a été envoyé" not in html


def test_a_waitlisted_booking_offers_no_calendar(client, make_meal, django_capture_on_commit_callbacks):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_booking(client, meal)
    waiting = Booking.objects.get(email="alain@example.org")
    assert waiting.status == Booking.Status.WAITLISTED
    html = client.get(response["Location"]).content.decode()
    ics = reverse("meals:booking_ics", args=[waiting.token])
    assert ics not in html and "Ajouter à mon agenda" not in html
    assert client.get(ics).status_code == 404
    # Nor does the e-mail that tells her she is waiting carry one.
    sent = [message for message in mail.outbox if message.to == ["alain@example.org"]]
    assert sent and all(not message.attachments for message in sent)


def test_a_confirmed_booking_still_offers_its_calendar(client, meal):
    post_booking(client, meal)
    booking = Booking.objects.get()
    html = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert reverse("meals:booking_ics", args=[booking.token]) in html
    assert client.get(reverse("meals:booking_ics", args=[booking.token])).status_code == 200


def test_the_confirmation_elides_de_before_a_vowel(client, meal):
    post_booking(client, meal)
    booking = Booking.objects.get()
    html = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert "Au nom d&#x27;Alain Petit" in html
    client.cookies["django_language"] = "en"
    assert "For Alain Petit" in client.get(reverse("meals:booking", args=[booking.token])).content.decode()


# --- Cancelling ----------------------------------------------------------------------


def test_cancelling_asks_once_before_anything_changes(client, meal):
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=2)
    cancel = reverse("meals:cancel_booking", args=[booking.token])
    page = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert f'href="{cancel}"' in page
    assert f'action="{cancel}"' not in page  # one tap no longer cancels
    response = client.get(cancel)
    html = response.content.decode()
    assert response.status_code == 200
    assert f"Annuler ma réservation{NNBSP}?" in html
    assert f'<form method="post" action="{cancel}">' in html
    assert "Oui, j'annule" in html
    assert f'href="{reverse("meals:booking", args=[booking.token])}"' in html and "Non, je garde ma place" in html
    booking.refresh_from_db()
    meal.refresh_from_db()
    assert booking.status == Booking.Status.CONFIRMED and meal.seats_taken == 2


def test_yes_cancels_and_the_page_offers_to_book_again(client, meal):
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=1)
    response = client.post(reverse("meals:cancel_booking", args=[booking.token]), follow=True)
    html = response.content.decode()
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "Votre réservation est annulée" in html
    assert "Réserver à nouveau pour ce repas" in html
    assert f'href="{reverse("meals:meal", args=[meal.pk])}"' in html


def test_after_the_cut_off_the_cancelled_page_offers_the_next_meals(client, make_meal):
    meal = make_meal()
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=1)
    booking_cancel(booking=booking)
    type(meal).objects.filter(pk=meal.pk).update(booking_closes_at=timezone.now() - timedelta(minutes=1))
    html = client.get(reverse("meals:booking", args=[booking.token])).content.decode()
    assert "Réserver à nouveau" not in html
    assert "Voir les prochains repas" in html


def test_the_question_is_not_asked_about_a_booking_already_cancelled(client, meal):
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=1)
    booking_cancel(booking=booking)
    response = client.get(reverse("meals:cancel_booking", args=[booking.token]))
    assert response.status_code == 302
    assert response["Location"] == reverse("meals:booking", args=[booking.token])


def test_the_cancel_question_for_a_waiting_guest_says_so(client, make_meal):
    meal = make_meal(capacity=1)
    booking_create(meal=meal, name="A", email="a@example.org", party_size=1)
    waiting = booking_create(meal=meal, name="Élise", email="elise@example.org", party_size=1)
    html = client.get(reverse("meals:cancel_booking", args=[waiting.token])).content.decode()
    assert "Vous quitterez la liste d'attente." in html and "Non, je reste sur la liste" in html


# --- Booking for someone who phoned --------------------------------------------------


def test_a_booking_on_behalf_ends_on_the_coordinators_page(client, coordinator, meal, settings):
    settings.SITE_URL = "https://cantine.example.org"
    client.force_login(coordinator)
    response = client.post(reverse("meals:book_on_behalf", args=[meal.pk]), {"name": "Hélène Roux", "party_size": "2"})
    booking = Booking.objects.get()
    done = reverse("meals:book_on_behalf_done", args=[booking.token])
    assert response.status_code == 302 and response["Location"] == done
    html = client.get(done).content.decode()
    link = "https://cantine.example.org" + reverse("meals:booking", args=[booking.token])
    assert f">{link}</a>" in html
    assert "La réservation d&#x27;Hélène Roux" in html
    assert "Réserver pour un autre appel" in html
    assert f'href="{reverse("meals:book_on_behalf", args=[meal.pk])}"' in html
    assert "".join(re.findall(r"<span>([A-Za-z0-9_-]{1,4})</span>", html)) == booking.token
    assert "Aucun e-mail n'a été envoyé" in html


def test_the_coordinators_page_says_the_email_went_when_there_was_one(client, coordinator, meal):
    # What the page says follows the booking's e-mail; the sending itself is tested with the e-mails.
    client.force_login(coordinator)
    url = reverse("meals:book_on_behalf", args=[meal.pk])
    page = client.post(url, {"name": "Mme Roux", "email": "roux@example.org", "party_size": "1"}, follow=True)
    assert "Un e-mail avec ce lien lui a été envoyé." in page.content.decode()


def test_a_coordinator_booking_a_known_contact_from_the_guest_form_lands_on_their_page(client, coordinator, meal):
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=1)
    client.force_login(coordinator)
    response = post_booking(client, meal)
    assert response["Location"] == reverse("meals:book_on_behalf_done", args=[booking.token])


@pytest.mark.parametrize("who", ["outsider", "volunteer", "partner_referent"])
def test_the_coordinators_page_is_theirs_only(client, meal, request, who):
    booking = booking_create(meal=meal, name="Alain", email="alain@example.org", party_size=1)
    done = reverse("meals:book_on_behalf_done", args=[booking.token])
    anonymous = client.get(done)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    client.force_login(request.getfixturevalue(who))
    assert client.get(done).status_code == 403


# --- Dates and names -----------------------------------------------------------------


def test_today_tomorrow_and_the_first_of_the_month(clock):
    now, _ = clock
    today = timezone.localtime(now)
    with translation.override("fr"):
        assert relday(today).startswith("Aujourd'hui, ")
        assert relday(today + timedelta(days=1)).startswith("Demain, ")
        assert relday(today + timedelta(days=2)) == day(today + timedelta(days=2))
        assert day(timezone.datetime(2026, 12, 1, 12, 30, tzinfo=PARIS)) == "mardi 1er décembre"
        assert day(timezone.datetime(2026, 12, 2, 12, 30, tzinfo=PARIS)) == "mercredi 2 décembre"
    with translation.override("en"):
        assert relday(today).startswith("Today, ")
        assert relday(today + timedelta(days=1)).startswith("Tomorrow, ")
        assert day(timezone.datetime(2026, 12, 1, 12, 30, tzinfo=PARIS)) == "Tuesday 1 December"


def test_de_elides_before_a_vowel_or_a_mute_h():
    with translation.override("fr"):
        assert de("Alain") == "d'Alain"
        assert de("Hélène") == "d'Hélène"
        assert de("Émile") == "d'Émile"
        assert de("Yvonne") == "d'Yvonne"
        assert de("Jeanne") == "de Jeanne"
    with translation.override("en"):
        assert de("Alain") == "Alain"


def test_the_home_page_says_tomorrow_and_turns_it_into_today_at_midnight(client, make_meal, clock):
    _, move = clock
    meal = make_meal(day=timezone.localdate() + timedelta(days=2))
    upcoming = reverse("meals:upcoming")
    assert "Demain, " not in client.get(upcoming).content.decode()
    move(timedelta(days=1))
    html = client.get(upcoming).content.decode()
    assert f"Demain, {day(meal.starts_at)}" in html


# --- The compact week ------------------------------------------------------------------


def test_the_home_page_shows_each_meal_in_short(client, make_meal):
    meal = make_meal(capacity=10, diet_labels=["vegetarian"])
    html = client.get(reverse("meals:upcoming")).content.decode()
    assert meal.main in html
    assert "Il reste 10 places" in html
    cooking = meal.shifts.get(role="cooking")
    assert f"On cherche des bras{NNBSP}:</strong> {cooking.slots - cooking.taken} en cuisine" in html
    assert html.count(f'href="{reverse("meals:meal", args=[meal.pk])}"') == 2  # its day, its button
    # The detail is on the meal's page.
    assert "Lait" not in html and "Ce repas coûte" not in html and meal.starter not in html
    detail = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert "Lait" in detail and "Ce repas coûte" in detail and meal.starter in detail


def test_the_home_page_stays_short_with_two_weeks_of_meals(client, make_meal):
    for n in range(1, 15):
        make_meal(day=timezone.localdate() + timedelta(days=n))
    html = client.get(reverse("meals:upcoming")).content.decode()
    assert html.count('class="card meal-row') == 14
    assert len(html) < 30_000
