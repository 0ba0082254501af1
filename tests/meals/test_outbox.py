"""The outbox: queued with the change, sent by the worker, retried with backoff, never twice (meals/outbox.py)."""

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from meals import outbox
from meals.models import Booking, Message
from meals.services.booking import booking_cancel, booking_place
from meals.services.shifts import shift_claim, shift_release
from members.services import member_erase
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def book(meal, n: int = 1, **fields):
    values = {"name": f"Invité {n}", "email": f"guest{n}@example.org", "party_size": 1, **fields}
    return booking_place(meal=meal, **values).booking


# Written with the change ----------------------------------------------------------------------


def test_a_rolled_back_booking_queues_nothing(meal):
    from django_tasks_db.models import DBTaskResult

    with pytest.raises(RuntimeError), transaction.atomic():
        book(meal)
        assert Message.objects.count() == 1  # written in the booking's own transaction…
        raise RuntimeError("the request fails after the booking")
    assert Message.objects.count() == 0  # …so it went with it
    assert DBTaskResult.objects.count() == 0


def test_a_committed_booking_is_queued_with_its_task_and_sent_by_the_worker(meal, raw_mail_outbox, send_queued):
    from django_tasks_db.models import DBTaskResult

    booking = book(meal)
    message = Message.objects.get()
    assert (message.channel, message.kind, message.to, message.booking) == (
        "email",
        "booking_confirmation",
        "guest1@example.org",
        booking,
    )
    assert message.status == "pending" and message.message_id.startswith("<")
    task = DBTaskResult.objects.get(id=message.task_id)
    assert (task.status, task.queue_name, task.args_kwargs["args"]) == ("READY", "messages", [message.pk])
    assert raw_mail_outbox == []  # nothing leaves in the request
    assert send_queued() == 1
    assert [m.to for m in raw_mail_outbox] == [["guest1@example.org"]]
    assert raw_mail_outbox[0].extra_headers["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None
    assert send_queued() == 0 and len(raw_mail_outbox) == 1


def test_a_message_whose_booking_was_cancelled_before_it_left_is_dropped(meal, raw_mail_outbox, send_queued):
    booking = book(meal)
    booking_cancel(booking=booking)
    send_queued()
    assert raw_mail_outbox == []
    assert Message.objects.get().status == "dropped"


# A real SMTP server, down then back -----------------------------------------------------------


class Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content.decode("utf-8", "replace"))
        return "250 Message accepted for delivery"


class Refuser:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        return "550 5.1.1 No such user here"


@pytest.fixture
def smtp(settings):
    """The outbox's SMTP backend pointed at a free local port; ``start(handler)`` starts aiosmtpd there."""
    from aiosmtpd.controller import Controller

    port = free_port()
    settings.EMAIL_BACKEND = "meals.mail.SMTPBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 5
    controllers = []

    def start(handler):
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        return handler

    yield start
    for controller in controllers:
        controller.stop()


def test_with_the_mail_server_down_a_booking_is_confirmed_and_mailed_once_it_is_back(meal, smtp, clock, send_queued):
    real_now, move = clock
    booking = book(meal)  # the mail server is not running
    assert booking.status == Booking.Status.CONFIRMED
    send_queued()
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in message.last_error
    assert message.next_attempt_at >= real_now + timedelta(seconds=59)

    server = smtp(Recorder())  # the server is back
    send_queued()
    assert server.messages == []  # not before its time
    move(timedelta(minutes=2))
    send_queued()
    move(timedelta(hours=5))
    send_queued()
    assert len(server.messages) == 1
    assert "guest1@example.org" in server.messages[0] and message.message_id in server.messages[0]
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 2, "")


def test_a_mail_server_refusing_the_address_fails_the_message_at_once(meal, smtp, send_queued):
    smtp(Refuser())
    book(meal)
    send_queued()
    message = Message.objects.get()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.last_error.startswith("SMTP 550")


# Retries, backoff, failed -----------------------------------------------------------------------


class Down:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise ConnectionRefusedError("down")


def test_retries_wait_twice_as_long_each_time_then_the_message_fails(meal, settings, clock, send_queued):
    real_now, move = clock
    settings.EMAIL_BACKEND = "tests.meals.test_outbox.Down"
    settings.OUTBOX_MAX_ATTEMPTS = 5
    book(meal)
    waits = []
    elapsed = timedelta(seconds=5)  # the clock a little after the booking
    for _attempt in range(5):
        move(elapsed)
        send_queued()
        message = Message.objects.get()
        if message.status == "failed":
            break
        waits.append(message.next_attempt_at - (real_now + elapsed))
        elapsed = message.next_attempt_at - real_now + timedelta(seconds=1)
    assert [round(wait.total_seconds() / 60) for wait in waits] == [1, 2, 4, 8]
    assert (message.status, message.attempts) == ("failed", 5)
    assert "down" in message.last_error


def test_the_backoff_stops_growing_at_the_ceiling(settings):
    settings.OUTBOX_FIRST_RETRY_SECONDS, settings.OUTBOX_MAX_RETRY_SECONDS = 60, 3600
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 20)] == [60, 120, 240, 3600, 3600, 3600]


# The coordinators' page ---------------------------------------------------------------------------


def failed_message(meal):
    book(meal, email="jeanne.martin@example.org")
    message = Message.objects.get()
    Message.objects.filter(pk=message.pk).update(status="failed", attempts=10, last_error="SMTP 550: No such user")
    return message


def test_the_outbox_page_lists_failed_and_pending_messages_without_their_text(client, coordinator, meal):
    failed = failed_message(meal)
    book(meal, 2)
    client.force_login(coordinator)
    page = client.get(reverse("meals:outbox")).content.decode()
    assert "j•••@example.org" in page and "g•••@example.org" in page
    assert "jeanne.martin@example.org" not in page and "Bonjour" not in page
    assert "SMTP 550: No such user" in page and "Confirmation de réservation" in page
    # Only the failed one can be sent again; the other is on its way.
    assert page.count('action="/messages/') == 1 and reverse("meals:outbox_retry", args=[failed.pk]) in page


def test_the_outbox_page_is_for_coordinators_only(client, volunteer, meal):
    url = reverse("meals:outbox")
    assert client.get(url).status_code == 302 and reverse("login") in client.get(url).headers["Location"]
    client.force_login(volunteer)
    assert client.get(url).status_code == 403
    assert client.post(reverse("meals:outbox_retry", args=[failed_message(meal).pk])).status_code == 403


def test_retry_queues_a_failed_message_again_once_with_the_same_message_id(
    client, coordinator, meal, raw_mail_outbox, send_queued
):
    message = failed_message(meal)
    client.force_login(coordinator)
    key = "k" * 22
    for _ in range(2):  # a double tap
        response = client.post(reverse("meals:outbox_retry", args=[message.pk]), {"form_key": key})
        assert response.status_code == 302
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("pending", 0, "")
    send_queued()
    assert len(raw_mail_outbox) == 1 and raw_mail_outbox[0].extra_headers["Message-ID"] == message.message_id


# Everyone's messages go through it --------------------------------------------------------------------


def test_a_password_reset_is_queued_then_sent_by_the_worker(client, volunteer, raw_mail_outbox, send_queued):
    client.post(reverse("password_reset"), {"email": volunteer.email})
    assert raw_mail_outbox == []
    assert Message.objects.get().kind == "account"
    send_queued()
    assert "/comptes/reset/" in raw_mail_outbox[0].body
    assert Message.objects.get().context == {}  # the link is not kept once sent


def test_a_shift_released_within_24_hours_alerts_the_role_s_pool_once(meal_soon, coordinator, send_queued):
    from django.core import mail

    from meals.models import Shift, ShiftSignup
    from members.roles import VOLUNTEER
    from tests.conftest import create_meal

    cooking = meal_soon.shifts.get(role=Shift.Role.COOKING)
    old = make_user("ancienne@example.org", group=VOLUNTEER, name="Ancienne Cuisinière")
    other_role = make_user("vaisselle@example.org", group=VOLUNTEER, name="Only Dishes")
    leaving = make_user("partante@example.org", group=VOLUNTEER, name="Partante Cuisine")
    last_month = create_meal(day=timezone.localdate() - timedelta(days=30))
    ShiftSignup.objects.create(shift=last_month.shifts.get(role=Shift.Role.COOKING), member=old.member)
    ShiftSignup.objects.create(shift=last_month.shifts.get(role=Shift.Role.DISHES), member=other_role.member)
    signup = shift_claim(shift=cooking, member=leaving.member)
    shift_release(signup=signup, by=coordinator)  # five hours before: only the coordination may
    alerts = [m for m in mail.outbox if "libéré" in m.subject]
    assert [m.to for m in alerts] == [["ancienne@example.org"]]
    send_queued()
    assert Message.objects.filter(kind="slot_open").count() == 1


def test_erasing_a_member_purges_their_messages(meal, guest, coordinator):
    book(meal, email=guest.email)
    assert Message.objects.filter(booking__member=guest).count() == 1
    member_erase(member=guest, by=coordinator)
    assert Message.objects.count() == 0


def test_old_messages_are_forgotten(meal, send_queued, settings):
    book(meal)
    send_queued()
    assert outbox.purge(now=timezone.now() + timedelta(days=settings.OUTBOX_KEEP_DAYS - 1)) == 0
    assert outbox.purge(now=timezone.now() + timedelta(days=settings.OUTBOX_KEEP_DAYS + 1)) == 1


# A worker killed mid-send (SIGKILL), with an SMTP server that stalls ----------------------------------


class StallingSMTP(socketserver.ThreadingTCPServer):
    """A tiny SMTP server that can stall on RCPT (before the message) or after the final « . » (after it)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, port: int):
        self.stall = ""  # "rcpt", "after_data" or ""
        self.stalled = threading.Event()
        self.received: list[bytes] = []
        self.release = threading.Event()
        super().__init__(("127.0.0.1", port), StallingHandler)


class StallingHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def hold(self) -> None:
        self.server.stalled.set()
        self.server.release.wait(60)

    def handle(self):
        self.reply("220 stalling.test ESMTP")
        while line := self.rfile.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 stalling.test")
            elif command.startswith("MAIL"):
                self.reply("250 OK")
            elif command.startswith("RCPT"):
                if self.server.stall == "rcpt":
                    return self.hold()
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 go ahead")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return None
                    data += chunk
                self.server.received.append(data)
                if self.server.stall == "after_data":
                    return self.hold()
                self.reply("250 queued")
            elif command == "QUIT":
                self.reply("221 bye")
                return None
            else:
                self.reply("250 OK")
        return None


@pytest.fixture(scope="module")
def migrated_sqlite(tmp_path_factory):
    """A migrated SQLite file, made once: each test copies it (the worker runs in another process)."""
    path = tmp_path_factory.mktemp("outbox") / "template.sqlite3"
    env = worker_env(path, port=1)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return path


def worker_env(path: Path, *, port: int) -> dict:
    return {
        **{key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "PYTEST_CURRENT_TEST"}},
        "DEBUG": "1",
        "HTTPS": "off",
        "SQLITE_PATH": str(path),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_TIMEOUT": "30",
        "OUTBOX_LEASE_SECONDS": "2",
        "LOG_LEVEL": "WARNING",
    }


QUEUE_ONE = (
    "from meals.emails import queue_account_mail; "
    "m = queue_account_mail(to='jeanne@example.org', subject='Bonjour', body='Une fois.'); print(m.pk)"
)
STATE = "from meals.models import Message; m = Message.objects.get(); print(m.status, m.phase or '-', m.attempts)"


def killed_mid_send(tmp_path, migrated_sqlite, stall: str):
    """Queue one mail, let a worker reach ``stall``, SIGKILL it; then a second worker runs after the lease."""
    path = tmp_path / "db.sqlite3"
    shutil.copy(migrated_sqlite, path)
    port = free_port()
    server = StallingSMTP(port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = worker_env(path, port=port)
    manage = [sys.executable, "manage.py"]

    def shell(code: str) -> str:
        done = subprocess.run([*manage, "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True)
        return done.stdout.decode().strip().splitlines()[-1]

    try:
        shell(QUEUE_ONE)
        server.stall = stall
        worker = subprocess.Popen(
            [*manage, "send_queued_messages"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert server.stalled.wait(60), "the worker never reached the server"
            worker.send_signal(signal.SIGKILL)
        finally:
            worker.wait(30)
        during = shell(STATE)
        server.stall = ""
        time.sleep(2.5)  # the dead worker's lease runs out
        subprocess.run([*manage, "send_queued_messages", "--batch"], cwd=ROOT, env=env, check=True, capture_output=True)
        after = shell(STATE)
    finally:
        server.release.set()
        server.shutdown()
        server.server_close()
    return during, after, server.received


@pytest.mark.slow
def test_a_worker_killed_before_the_end_of_the_message_sends_it_exactly_once_after(tmp_path, migrated_sqlite):
    during, after, received = killed_mid_send(tmp_path, migrated_sqlite, stall="rcpt")
    assert during == "sending claimed 1"
    assert after == "sent - 2"
    assert len(received) == 1 and b"Une fois." in received[0]


@pytest.mark.slow
def test_a_worker_killed_after_the_end_of_the_message_never_sends_it_again(tmp_path, migrated_sqlite):
    during, after, received = killed_mid_send(tmp_path, migrated_sqlite, stall="after_data")
    assert during == "sending handed 1"
    assert after == "failed - 1"  # may have arrived: shown to the coordinators, not resent
    assert len(received) == 1


def test_no_change_counter_or_trigger_is_left_after_the_migrations(db):
    """meals 0013 drops the counters (kept pages follow generations, meals/cache.py); the SQLite
    trigger restorations of meals 0009 and 0012 and members 0006 then do nothing."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        else:
            cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
        triggers = [row[0] for row in cursor.fetchall()]
    assert [name for name in triggers if "_counts_" in name] == []
    assert "cantine_change_counter" not in connection.introspection.table_names()
