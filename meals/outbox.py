"""The outbox: every email and SMS a person must receive, written with the change, sent once by a worker.

``enqueue()`` writes a ``meals.Message`` row and the task that sends it
(Django's Tasks framework, through the ``django-tasks`` backport and its
database backend ``django-tasks-db``) in the caller's transaction: a booking
that rolls back queues nothing, one that commits is never lost.

The worker (``manage.py send_queued_messages``) runs the tasks. Each one
claims its message (``pending`` → ``sending``, with a lease, in one
conditional UPDATE that commits before anything is sent), renders it from the
rows it names, hands it to the email or SMS backend, then marks it ``sent``.
A failure waits and retries, the wait doubling each time
(``OUTBOX_FIRST_RETRY_SECONDS`` … ``OUTBOX_MAX_RETRY_SECONDS``); after
``OUTBOX_MAX_ATTEMPTS``, or at once for a definite refusal (SMTP 5xx, the SMS
provider's 4xx), it is ``failed`` and shown to the coordinators
(``meals:outbox``), who can send it again.

Never twice. The backend tells the outbox the instant the end of the message
leaves (``Phase.HANDED``: SMTP's final « . », the SMS provider's HTTP
request). A worker killed before it leaves a message ``sending`` whose lease
runs out: the next worker puts it back in the queue, and it is sent once (the
server threw the half-received message away, RFC 5321 §4.1.1.4). A worker killed
after it, or a server that never answers the final « . » (RFC 1047), leaves
a message that may have arrived: it is never sent again automatically (at most
once), but marked ``failed`` with « peut-être reçu », for a person to decide.
An email keeps one Message-ID across attempts, so a mail program that gets it
twice after such a retry can tell.
"""

from __future__ import annotations

import logging
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, close_old_connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meals.models import Message

try:  # Django 6 ships the framework itself; until then, the backport.
    from django.tasks import task
except ImportError:  # pragma: no cover - Django 5.2
    from django_tasks import task

logger = logging.getLogger(__name__)

QUEUE = "messages"

KINDS = {
    "booking_confirmation": _("Confirmation de réservation"),
    "booking_promotion": _("Une place s'est libérée"),
    "booking_link": _("Lien de la réservation"),
    "booking_reminder": _("Rappel de la veille"),
    "meal_cancelled": _("Repas annulé"),
    "shift_reminder": _("Rappel de créneau"),
    "slot_open": _("Un créneau s'est libéré"),
    "volunteer_follow_up": _("Petit mot après une absence"),
    "account": _("Compte (mot de passe, inscription)"),
    "tax_receipt": _("Reçu fiscal"),
}


class DeliveryError(Exception):
    """A send that did not go through; the message is short and holds no personal data."""


class TemporaryFailure(DeliveryError):
    """Try again later (server down, timeout before the message left, SMTP 4xx, provider 5xx)."""


class PermanentFailure(DeliveryError):
    """The server refused it for good (SMTP 5xx, the provider's 4xx): failed at once."""


class UncertainDelivery(DeliveryError):
    """The message left but no answer came: it may have arrived; never resent automatically."""


UNCERTAIN = "peut-être reçu : le serveur n'a pas répondu après l'envoi (pas de nouvel essai automatique)"
INTERRUPTED = "peut-être reçu : envoi interrompu après la remise au serveur (pas de nouvel essai automatique)"


def lease() -> timedelta:
    return timedelta(seconds=settings.OUTBOX_LEASE_SECONDS)


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1 min, 2, 4, … up to the ceiling."""
    seconds = settings.OUTBOX_FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.OUTBOX_MAX_RETRY_SECONDS))


# Writing ------------------------------------------------------------------------------


def enqueue(
    *,
    channel: str,
    kind: str,
    to: str,
    language: str = "fr",
    context: dict | None = None,
    member=None,
    booking=None,
    key: str = "",
) -> Message | None:
    """Queue one message in the current transaction; None when there is no address or ``key`` was queued before.

    Due at once, by the wall clock (not a service's ``now``, which tests move).
    """
    if not to:
        return None
    now = timezone.now()
    message = Message(
        channel=channel,
        kind=kind,
        to=to,
        language=language or "fr",
        context=context or {},
        member=member,
        booking=booking,
        key=key,
        next_attempt_at=now,
        created_at=now,
    )
    if channel == Message.Channel.EMAIL:
        from django.core.mail import make_msgid

        domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "cantine"
        message.message_id = make_msgid(domain=domain)
    try:
        with transaction.atomic():  # a savepoint: a key already taken leaves the caller's transaction whole
            message.save()
    except IntegrityError:
        if key and Message.objects.filter(key=key).exists():
            return None
        raise
    _schedule(message, at=None)
    return message


def _schedule(message: Message, *, at: datetime | None) -> None:
    """The task that will send ``message`` (at ``at``, or as soon as a worker is free)."""
    queued = deliver.using(run_after=at).enqueue(message.pk) if at else deliver.enqueue(message.pk)
    Message.objects.filter(pk=message.pk).update(task_id=queued.id)
    message.task_id = uuid.UUID(str(queued.id))


# Sending ------------------------------------------------------------------------------


@dataclass
class _Progress:
    """What the backend reported while sending (set from its callbacks)."""

    handed: bool = False
    accepted: bool = False


@task(queue_name=QUEUE)
def deliver(message_id: int) -> str:
    """The task: send one message if it is still due (any number of runs sends it at most once)."""
    return deliver_now(message_id)


def deliver_now(message_id: int, *, now: datetime | None = None) -> str:
    now = now or timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Message.Status.PENDING, next_attempt_at__lte=now).update(
        status=Message.Status.SENDING,
        phase=Message.Phase.CLAIMED,
        lease_until=now + lease(),
        attempts=F("attempts") + 1,
    )
    if not claimed:
        return "not due"
    message = Message.objects.select_related("booking__meal", "member").get(pk=message_id)
    progress = _Progress()

    def handed() -> None:
        progress.handed = True
        Message.objects.filter(pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts).update(
            phase=Message.Phase.HANDED
        )

    def accepted() -> None:
        progress.accepted = True

    try:
        from meals.emails import render

        outgoing = render(message)
        if outgoing is None:
            _finish(message, status=Message.Status.DROPPED)
            return "dropped"
        provider_id = _send(message, outgoing, handed=handed, accepted=accepted)
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the message, none is lost
        if progress.accepted:  # the server said yes; what failed came after (closing the connection)
            _finish(message, status=Message.Status.SENT)
            return "sent"
        if isinstance(error, PermanentFailure):
            _finish(message, status=Message.Status.FAILED, error=_describe(error))
            return "failed"
        never_connected = isinstance(error, ConnectionRefusedError | socket.gaierror)
        if isinstance(error, UncertainDelivery) or (progress.handed and not isinstance(error, TemporaryFailure)):
            if never_connected:  # refused before a byte of the message went: safe to try again
                _retry_later(message, error=_describe(error), now=timezone.now())
                return "retry"
            _finish(message, status=Message.Status.FAILED, error=UNCERTAIN)
            return "uncertain"
        logger.warning("message %s (%s) not sent: %s", message.pk, message.kind, _describe(error))
        _retry_later(message, error=_describe(error), now=timezone.now())
        return "retry"
    _finish(message, status=Message.Status.SENT, provider_id=provider_id)
    return "sent"


def _describe(error: Exception) -> str:
    """The error for the coordinators' page: its class and message, without the address."""
    text = f"{type(error).__name__}: {error}" if not isinstance(error, DeliveryError) else str(error)
    return text[:300]


def _send(message: Message, outgoing, *, handed: Callable, accepted: Callable) -> str:
    if message.channel == Message.Channel.SMS:
        from meals import sms

        backend = sms.get_backend()
        if not backend.reports_phases:
            handed()
        return backend.send(outgoing, on_handed=handed) or ""
    from django.core.mail import get_connection

    from meals import mail

    connection = get_connection()
    if not getattr(connection, "reports_phases", False):
        handed()
    with mail.phase_callbacks(on_handed=handed, on_accepted=accepted):
        try:
            connection.send_messages([outgoing])
        except mail.SMTP_ERRORS as error:
            raise mail.classify(error) from error
    return ""


def _finish(message: Message, *, status: str, error: str = "", provider_id: str = "") -> None:
    values = {"status": status, "phase": "", "lease_until": None, "last_error": error[:300]}
    if status == Message.Status.SENT:
        values["sent_at"] = timezone.now()
        values["last_error"] = ""
        if message.kind == "account":
            values["context"] = {}  # the text (a reset link) is not kept once it left
        if provider_id:
            values["message_id"] = provider_id[:200]
    # Only while this attempt still holds it (a lease taken back by another worker leaves it alone).
    Message.objects.filter(pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts).update(**values)


def _retry_later(message: Message, *, error: str, now: datetime) -> None:
    if message.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
        _finish(message, status=Message.Status.FAILED, error=error)
        return
    at = now + backoff(message.attempts)
    with transaction.atomic():
        updated = Message.objects.filter(
            pk=message.pk, status=Message.Status.SENDING, attempts=message.attempts
        ).update(status=Message.Status.PENDING, phase="", lease_until=None, next_attempt_at=at, last_error=error[:300])
        if updated:
            _schedule(message, at=at)


# The worker's other duties ---------------------------------------------------------------


def recover(*, now: datetime | None = None) -> int:
    """Take back what dead workers left: expired leases, and due messages whose task is gone. Returns how many.

    A message whose lease ran out before it was handed over goes back to the
    queue; one that had been handed over may have arrived, and is failed
    (never sent twice).
    """
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    count = 0
    for message in Message.objects.filter(status=Message.Status.SENDING, lease_until__lt=now):
        stale = Message.objects.filter(pk=message.pk, status=Message.Status.SENDING, lease_until=message.lease_until)
        with transaction.atomic():
            if message.phase == Message.Phase.HANDED:
                updated = stale.update(status=Message.Status.FAILED, phase="", lease_until=None, last_error=INTERRUPTED)
            else:
                updated = stale.update(
                    status=Message.Status.PENDING,
                    phase="",
                    lease_until=None,
                    next_attempt_at=now,
                    last_error="envoi interrompu avant la remise au serveur : nouvel essai",
                )
                if updated:
                    _schedule(message, at=None)
            if updated and message.task_id:
                DBTaskResult.objects.filter(id=message.task_id, status="RUNNING").update(
                    status="FAILED", finished_at=now, exception_class_path="meals.outbox.WorkerLost"
                )
        count += updated
    waiting = DBTaskResult.objects.filter(status="READY").values("id")
    orphans = Message.objects.filter(status=Message.Status.PENDING, next_attempt_at__lt=now - lease()).exclude(
        task_id__in=waiting
    )
    for message in orphans:
        with transaction.atomic():
            _schedule(message, at=None)
        count += 1
    return count


def run_due(*, limit: int | None = None, stop: Callable[[], bool] | None = None, fresh_connections=False) -> int:
    """Run the message tasks that are due, one after the other, through django-tasks-db's worker. Returns how many.

    ``fresh_connections`` (the long-running command) checks the database
    connection between tasks, as Django does between requests; the tests run
    inside one transaction and must not.
    """
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult
    from django_tasks_db.utils import exclusive_transaction

    worker_id = f"cantine-{uuid.uuid4().hex[:20]}"
    worker = Worker(
        queue_names=[QUEUE],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    done = 0
    while limit is None or done < limit:
        if stop and stop():
            break
        if fresh_connections:
            close_old_connections()
        tasks = DBTaskResult.objects.ready().filter(backend_name="default", queue_name=QUEUE)
        with exclusive_transaction(tasks.db):
            found = tasks.get_locked()
            if found is not None:
                found.claim(worker_id)
        if found is None:
            break
        worker.run_task(found)
        done += 1
    return done


def send_queued(*, now: datetime | None = None) -> int:
    """Recover, then send everything due (the tests, ``--batch``). Returns how many tasks ran."""
    recover(now=now)
    return run_due()


def retry(*, message: Message, now: datetime | None = None) -> bool:
    """A coordinator sends a failed message again (same Message-ID). False when it is not failed any more."""
    now = now or timezone.now()
    with transaction.atomic():
        updated = Message.objects.filter(pk=message.pk, status=Message.Status.FAILED).update(
            status=Message.Status.PENDING, attempts=0, next_attempt_at=now, last_error=""
        )
        if updated:
            _schedule(message, at=None)
    return bool(updated)


def purge(*, now: datetime | None = None) -> int:
    """Forget sent, dropped and failed messages older than ``OUTBOX_KEEP_DAYS``, and their finished tasks."""
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.OUTBOX_KEEP_DAYS)
    done = [Message.Status.SENT, Message.Status.DROPPED, Message.Status.FAILED]
    deleted, _rows = Message.objects.filter(status__in=done, created_at__lt=cutoff).delete()
    DBTaskResult.objects.filter(queue_name=QUEUE, status__in=["SUCCESSFUL", "FAILED"], finished_at__lt=cutoff).delete()
    return deleted


def forget_member(member) -> int:
    """GDPR erasure: every message to or about this person goes (pending ones are never sent)."""
    from django.db.models import Q

    deleted, _rows = Message.objects.filter(Q(member=member) | Q(booking__member=member)).delete()
    return deleted


# In development ----------------------------------------------------------------------------


def start_background_worker(*, interval: float = 2.0) -> threading.Event:
    """For ``quickstart``: a thread that sends what is queued every ``interval`` seconds; set the event to stop it."""
    stopped = threading.Event()

    def loop() -> None:
        while not stopped.is_set():
            try:
                recover()
                run_due(stop=stopped.is_set, fresh_connections=True)
            except Exception:  # noqa: BLE001 - the development server must go on
                logger.exception("the development message worker failed; trying again")
            stopped.wait(interval)

    threading.Thread(target=loop, name="cantine-messages", daemon=True).start()
    return stopped
