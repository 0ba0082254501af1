"""SMS: the backends, Brevo's API as documented (a local stand-in server), what phone-only guests receive, STOP."""

import http.server
import io
import json
import threading
import time
from datetime import datetime, timedelta
from datetime import time as clock_time

import pytest
from django.urls import reverse
from django.utils import timezone

from meals import sms
from meals.emails import sms_text
from meals.models import Booking, Message
from meals.outbox import PermanentFailure, TemporaryFailure, UncertainDelivery
from meals.services.booking import booking_cancel, booking_place
from members.models import CantineSettings, Member
from tests.conftest import PARIS

# Brevo's stand-in ------------------------------------------------------------------------------


class Brevo(http.server.ThreadingHTTPServer):
    """Answers ``POST /v3/transactionalSMS/send`` as Brevo documents it: ``answer`` = (status, body, delay)."""

    daemon_threads = True

    def __init__(self):
        self.answer = (201, {"messageId": 1511882900176220}, 0)
        self.requests: list[dict] = []
        super().__init__(("127.0.0.1", 0), BrevoHandler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v3"


class BrevoHandler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests.append({"path": self.path, "headers": dict(self.headers), "json": json.loads(body)})
        status, payload, delay = self.server.answer
        time.sleep(delay)
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def brevo(settings):
    server = Brevo()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.BREVO_API_URL, settings.BREVO_API_KEY, settings.SMS_SENDER = server.url, "xkeysib-test", "Cantine"
    yield server
    server.shutdown()
    server.server_close()


SMS = sms.Sms(to="+33612345678", body="La Cantine : place réservée", sender="Cantine")


def test_brevo_sends_the_documented_request_and_returns_the_message_id(brevo):
    handed = []
    assert sms.BrevoBackend().send(SMS, on_handed=lambda: handed.append(True)) == "1511882900176220"
    (request,) = brevo.requests
    assert request["path"] == "/v3/transactionalSMS/send"
    assert request["headers"]["api-key"] == "xkeysib-test"
    assert request["headers"]["content-type"] == "application/json"
    assert request["json"] == {
        "sender": "Cantine",
        "recipient": "33612345678",
        "content": "La Cantine : place réservée",
        "type": "transactional",
    }
    assert handed == [True]


def test_a_brevo_4xx_is_a_refusal_with_its_documented_error_body(brevo):
    brevo.answer = (400, {"code": "invalid_parameter", "message": "Invalid recipient number"}, 0)
    with pytest.raises(PermanentFailure, match="Brevo 400 invalid_parameter: Invalid recipient number"):
        sms.BrevoBackend().send(SMS)


@pytest.mark.parametrize("status", [402, 429, 500, 503])
def test_no_credits_too_many_requests_and_5xx_are_tried_again(brevo, status):
    brevo.answer = (status, {"code": "not_enough_credits", "message": "Not enough credits"}, 0)
    with pytest.raises(TemporaryFailure):
        sms.BrevoBackend().send(SMS)


def test_a_timeout_after_the_request_left_may_have_sent_it(brevo):
    brevo.answer = (201, {"messageId": 1}, 2)
    with pytest.raises(UncertainDelivery):
        sms.BrevoBackend(timeout=0.5).send(SMS)


def test_brevo_unreachable_is_tried_again(settings):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(TemporaryFailure):
        sms.BrevoBackend(api_key="k", base_url=f"http://127.0.0.1:{port}/v3").send(SMS)


def test_console_and_file_backends(settings, tmp_path):
    out = io.StringIO()
    sms.ConsoleBackend(stream=out).send(SMS)
    assert "+33612345678" in out.getvalue() and "place réservée" in out.getvalue()
    settings.SMS_FILE_PATH = str(tmp_path)
    sms.FileBackend().send(SMS)
    (written,) = tmp_path.iterdir()
    assert json.loads(written.read_text())["to"] == "+33612345678"


def test_phone_numbers_go_to_the_provider_in_e164():
    assert sms.e164("06 12 34 56 78") == "+33612345678"
    assert sms.e164("+441234567890") == "+441234567890"


# What phone-only guests receive ---------------------------------------------------------------------


def phone_only(meal, n: int = 1, **fields):
    values = {"name": f"Marcel {n}", "phone": f"06 12 34 56 {n:02d}", "party_size": 1, **fields}
    return booking_place(meal=meal, **values).booking


def test_a_phone_only_booking_queues_an_sms_with_its_short_private_link(client, meal, send_queued):
    booking = phone_only(meal)
    message = Message.objects.get()
    assert (message.channel, message.kind, message.to) == ("sms", "booking_confirmation", "06 12 34 56 01")
    send_queued()
    (text,) = sms.outbox
    booking.refresh_from_db()
    assert text.to == "+33612345601"
    assert text.body.startswith("La Cantine : place réservée")
    link = f"http://127.0.0.1:8000/r/{booking.sms_code}"
    assert link in text.body and f"/s/{booking.sms_code}" in text.body
    response = client.get(f"/r/{booking.sms_code}")
    assert response.status_code == 302 and response.headers["Location"] == reverse(
        "meals:booking", args=[booking.token]
    )
    assert Message.objects.get().status == "sent" and Message.objects.get().message_id == "locmem-1"


def test_a_waiting_phone_only_guest_gets_an_sms_when_a_seat_frees_up(make_meal, send_queued):
    meal = make_meal(capacity=1)
    first = booking_place(meal=meal, name="Jeanne", email="jeanne@example.org").booking
    waiting = phone_only(meal)
    assert waiting.status == Booking.Status.WAITLISTED
    send_queued()
    booking_cancel(booking=first)
    send_queued()
    assert [m.kind for m in Message.objects.filter(channel="sms")] == ["booking_confirmation", "booking_promotion"]
    assert "liste d'attente" in sms.outbox[0].body and "libérée pour vous" in sms.outbox[1].body


def test_the_reminder_and_a_cancelled_meal_reach_phone_only_guests(meal, coordinator, send_queued):
    from meals.emails import send_booking_reminders
    from meals.services.planning import meal_cancel

    phone_only(meal)
    send_queued()
    assert send_booking_reminders(day=timezone.localtime(meal.starts_at).date()) == 1
    meal_cancel(meal=meal, by=coordinator, reason="Panne de four")
    send_queued()
    kinds = list(Message.objects.filter(channel="sms").values_list("kind", "status"))
    # The reminder of a meal cancelled before it left is dropped; the cancellation goes.
    assert kinds == [("booking_confirmation", "sent"), ("booking_reminder", "dropped"), ("meal_cancelled", "sent")]
    assert "est annulé" in sms.outbox[-1].body


LONG_NAME = "Cantine participative et solidaire du quartier des Lilas"


@pytest.mark.parametrize("language", ["fr", "en"])
@pytest.mark.parametrize(
    "kind", ["booking_confirmation", "booking_promotion", "booking_reminder", "meal_cancelled", "booking_link"]
)
def test_every_sms_is_one_sms_of_160_gsm_characters_with_the_cantine_s_name(
    meal, settings, language, kind, send_queued
):
    from meals import outbox

    settings.SITE_URL = "https://cantine-participative-des-lilas.example.org"
    CantineSettings.objects.create(pk=1, name=LONG_NAME)
    booking = phone_only(meal, language=language)
    Message.objects.all().delete()
    outbox.enqueue(
        channel="sms", kind=kind, to=booking.phone, language=language, member=booking.member, booking=booking
    )
    if kind == "meal_cancelled":
        meal.status = "cancelled"
        meal.save(update_fields=["status"])
    send_queued()
    (text,) = sms.outbox
    assert len(text.body) <= 160
    assert set(text.body) <= sms.GSM_ALPHABET
    assert text.body.startswith("Cantine")
    assert f"/r/{Booking.objects.get().sms_code}" in text.body


def test_sms_texts_fit_with_a_short_name_and_keep_the_stop_link(meal):
    booking = phone_only(meal)
    body = sms.gsm(
        sms_text("booking_confirmation", booking, name="La Cantine", link="https://x.org/r/ABCDEFGHJK", stop="S")
    )
    assert "STOP SMS : S" in body


def test_a_demo_name_and_a_short_site_keep_the_name_whole_and_the_stop_link(meal, send_queued):
    CantineSettings.objects.create(pk=1, name="La Cantine des Lilas")
    phone_only(meal)
    send_queued()
    (text,) = sms.outbox
    assert text.body.startswith("La Cantine des Lilas : place réservée") and "STOP SMS : http" in text.body
    assert len(text.body) <= 160


def test_gsm_spelling_keeps_french_accents_that_fit_and_replaces_the_others():
    assert sms.gsm("réservée à la fête « ça » — où ?") == 'réservée à la fete " ca " - où ?'


# Consent and STOP ----------------------------------------------------------------------------------


def test_the_booking_form_says_what_the_phone_number_is_for(client, meal):
    page = client.get(reverse("meals:meal", args=[meal.pk])).content.decode()
    assert "par SMS, seulement pour cette réservation" in page and "jamais de publicité" in page


def test_the_stop_link_asks_then_turns_sms_off_and_later_sms_are_dropped(client, make_meal, send_queued):
    meal = make_meal(capacity=1)
    booking = phone_only(meal)
    send_queued()
    page = client.get(f"/s/{Booking.objects.get().sms_code}")
    assert page.status_code == 200 and "Je ne veux plus de SMS" in page.content.decode()
    assert not Member.objects.get(pk=booking.member_id).sms_opt_out  # a GET changes nothing
    client.post(f"/s/{Booking.objects.get().sms_code}")
    assert Member.objects.get(pk=booking.member_id).sms_opt_out
    second = phone_only(make_meal(day=timezone.localdate() + timedelta(days=2)))
    assert second.member_id == booking.member_id
    assert Message.objects.filter(booking=second).count() == 0  # nothing queued for who said STOP
    send_queued()
    assert len(sms.outbox) == 1


def test_a_stop_reply_through_the_provider_s_webhook_turns_sms_off(client, meal, settings):
    settings.SMS_INBOUND_TOKEN = "s3cret-token"
    booking = phone_only(meal)
    url = reverse("meals:sms_inbound", args=["s3cret-token"])
    wrong = reverse("meals:sms_inbound", args=["guessed"])
    body = json.dumps({"from": "33612345601", "reply": " Stop "})
    assert client.post(wrong, body, content_type="application/json").status_code == 404
    assert client.post(url, body, content_type="application/json").status_code == 204
    assert Member.objects.get(pk=booking.member_id).sms_opt_out


# The provider refuses: the coordinators see it ---------------------------------------------------------


def test_a_message_the_provider_refused_is_on_the_failed_messages_page(client, meal, coordinator, brevo, settings):
    from meals import outbox

    settings.SMS_BACKEND = "meals.sms.BrevoBackend"
    brevo.answer = (400, {"code": "invalid_parameter", "message": "Invalid recipient number"}, 0)
    phone_only(meal)
    outbox.send_queued()
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    client.force_login(coordinator)
    page = client.get(reverse("meals:outbox")).content.decode()
    assert "Brevo 400 invalid_parameter: Invalid recipient number" in page
    assert "06 •• •• •• 01" in page and "06 12 34 56 01" not in page


# The door desk: phone-only guests promoted today, to call ---------------------------------------------------


def test_a_phone_only_guest_promoted_today_is_on_the_desk_to_call_until_ticked_off(
    client, coordinator, make_meal, clock
):
    # The morning of the meal, whatever the time of day the suite runs (a meal "in five hours" is tomorrow
    # after 19:00, and then nobody is promoted "today").
    real_now, move = clock
    meal_soon = make_meal()
    move(datetime.combine(timezone.localdate(meal_soon.starts_at), clock_time(9, 0), tzinfo=PARIS) - real_now)
    first = booking_place(meal=meal_soon, name="Jeanne", email="jeanne@example.org").booking
    Booking.objects.filter(pk=first.pk).update(party_size=1)
    meal_soon.capacity = 1
    meal_soon.save(update_fields=["capacity"])
    waiting = phone_only(meal_soon, name="Marcel Durand")
    assert waiting.status == Booking.Status.WAITLISTED
    booking_cancel(booking=first)
    client.force_login(coordinator)
    desk = client.get(reverse("meals:door", args=[meal_soon.pk])).content.decode()
    assert "À appeler" in desk and "Marcel Durand" in desk and 'href="tel:0612345601"' in desk
    client.post(reverse("meals:door_called", args=[waiting.pk]), {"form_key": "c" * 22})
    assert not Booking.objects.get(pk=waiting.pk).call_needed
    assert "À appeler" not in client.get(reverse("meals:door", args=[meal_soon.pk])).content.decode()
