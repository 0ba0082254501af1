"""Django's SMTP backend, telling the outbox when the message has left (meals/outbox.py).

SMTP delivers a message only once the server has the final « . » of DATA
and answers 250 (RFC 5321 §4.1.1.4): a connection lost before that « . »
delivers nothing, so the message is safe to send again. ``SMTPBackend`` calls
``on_handed`` just before it sends the « . », and ``on_accepted`` when the 250
comes; no answer after the « . » is ``UncertainDelivery`` (RFC 1047: it may
have arrived). Settings turn ``django.core.mail.backends.smtp.EmailBackend``
into this one; TLS, SSL, login and ``EMAIL_TIMEOUT`` work as in Django's.
"""

from __future__ import annotations

import contextvars
import re
import smtplib
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.core.mail.backends import smtp

from meals.outbox import PermanentFailure, TemporaryFailure, UncertainDelivery

_callbacks: contextvars.ContextVar[tuple[Callable | None, Callable | None]] = contextvars.ContextVar(
    "cantine_mail_phase", default=(None, None)
)

SMTP_ERRORS = (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused)


@contextmanager
def phase_callbacks(*, on_handed: Callable | None, on_accepted: Callable | None) -> Iterator[None]:
    token = _callbacks.set((on_handed, on_accepted))
    try:
        yield
    finally:
        _callbacks.reset(token)


def classify(error: Exception) -> Exception:
    """An SMTP refusal as the outbox's failure: 5xx for good, 4xx (and the rest) to try again."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _reply in error.recipients.values()]
        permanent = bool(codes) and all(500 <= code < 600 for code in codes)
        text = f"SMTP {', '.join(str(code) for code in codes)}: destinataire refusé"
        return PermanentFailure(text) if permanent else TemporaryFailure(text)
    code = getattr(error, "smtp_code", 0) or 0
    reply = getattr(error, "smtp_error", b"")
    reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    text = f"SMTP {code}: {reply}"[:300]
    return PermanentFailure(text) if 500 <= code < 600 else TemporaryFailure(text)


class _ReportsPhases:
    def data(self, msg):
        """smtplib's DATA, with the outbox told just before the final « . » and when the server takes it."""
        on_handed, on_accepted = _callbacks.get()
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")
        payload = re.sub(rb"(?m)^\.", b"..", msg)
        if payload[-2:] != b"\r\n":
            payload += b"\r\n"
        self.send(payload)
        if on_handed:
            on_handed()
        self.send(b".\r\n")
        try:
            code, reply = self.getreply()
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            raise UncertainDelivery("no answer from the SMTP server after the end of the message") from error
        if code == 250 and on_accepted:
            on_accepted()
        return code, reply


class _SMTP(_ReportsPhases, smtplib.SMTP):
    pass


class _SMTP_SSL(_ReportsPhases, smtplib.SMTP_SSL):
    pass


class SMTPBackend(smtp.EmailBackend):
    reports_phases = True

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP
