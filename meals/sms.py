"""SMS, behind a small backend interface like Django's email backends (``SMS_BACKEND``).

- ``meals.sms.ConsoleBackend`` (the default): prints each SMS, for development;
- ``meals.sms.FileBackend``: appends each SMS to a file in ``SMS_FILE_PATH``;
- ``meals.sms.LocmemBackend``: keeps them in ``meals.sms.outbox`` (the tests);
- ``meals.sms.BrevoBackend``: Brevo's transactional SMS API (``BREVO_API_KEY``,
  ``SMS_SENDER``; ``BREVO_API_URL`` for a stand-in server).

A backend's ``send(sms, on_handed=…)`` returns the provider's id of the
message or raises the outbox's ``TemporaryFailure``, ``PermanentFailure`` or
``UncertainDelivery``. Texts are kept to one SMS: 160 characters of the GSM
alphabet (``fit``), so no accent or sign turns them into 70-character pieces.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from meals.outbox import PermanentFailure, TemporaryFailure, UncertainDelivery

MAX_LENGTH = 160

# The GSM 03.38 basic alphabet: one SMS holds 160 of these (the extension table's « € [ ] » count twice: left out).
GSM_ALPHABET = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
_REPLACEMENTS = {
    "\u00a0": " ",
    "\u202f": " ",
    "«": '"',
    "»": '"',
    "’": "'",
    "‘": "'",
    "“": '"',
    "”": '"',
    "–": "-",
    "—": "-",
    "…": "...",
    "œ": "oe",
    "Œ": "OE",
    "€": "EUR",
    "·": "",  # « inscrit·e » → « inscrite »
}


def gsm(text: str) -> str:
    """``text`` in the GSM alphabet: « ê » → « e », « ç » → « c », « » » → '"'; what has no spelling goes."""
    out = []
    for char in text:
        if char in GSM_ALPHABET:
            out.append(char)
        elif char in _REPLACEMENTS:
            out.append(_REPLACEMENTS[char])
        else:
            base = unicodedata.normalize("NFKD", char)[0]
            out.append(base if base in GSM_ALPHABET else "")
    return "".join(out)


def fit(text: str) -> str:
    """One SMS: the GSM spelling, cut at 160 characters (callers shorten what can be shortened first)."""
    text = " ".join(gsm(text).split())
    return text if len(text) <= MAX_LENGTH else text[: MAX_LENGTH - 3].rstrip() + "..."


def e164(phone: str) -> str:
    """« 06 12 34 56 78 » (as ``normalize_phone`` stores it) → « +33612345678 »; « +44… » stays."""
    digits = "".join(char for char in phone if char.isdigit())
    if phone.strip().startswith("+"):
        return "+" + digits
    if len(digits) == 10 and digits.startswith("0"):
        return "+33" + digits[1:]
    return "+" + digits if digits else ""


@dataclass(frozen=True)
class Sms:
    to: str  # E.164
    body: str
    sender: str = ""


class BaseBackend:
    # True: the backend calls on_handed itself, at the instant the request leaves.
    reports_phases = False

    def send(self, sms: Sms, *, on_handed: Callable[[], None] | None = None) -> str:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    def __init__(self, stream=None):
        self.stream = stream or sys.stdout

    def send(self, sms: Sms, *, on_handed=None) -> str:
        self.stream.write(f"SMS to {sms.to} from {sms.sender} ({len(sms.body)} characters)\n{sms.body}\n{'-' * 40}\n")
        self.stream.flush()
        return ""


_file_lock = threading.Lock()


class FileBackend(BaseBackend):
    """One file per day in ``SMS_FILE_PATH``, each SMS appended as a JSON line."""

    def send(self, sms: Sms, *, on_handed=None) -> str:
        folder = Path(settings.SMS_FILE_PATH)
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": timezone.now().isoformat(), "to": sms.to, "from": sms.sender, "body": sms.body})
        with _file_lock, (folder / f"{timezone.localdate():%Y-%m-%d}.jsonl").open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        return ""


outbox: list[Sms] = []


class LocmemBackend(BaseBackend):
    def send(self, sms: Sms, *, on_handed=None) -> str:
        outbox.append(sms)
        return f"locmem-{len(outbox)}"


class BrevoBackend(BaseBackend):
    """Brevo's transactional SMS: ``POST {BREVO_API_URL}/transactionalSMS/send``.

    As Brevo documents it: header ``api-key``; a JSON body with ``sender``
    (3 to 11 letters or digits), ``recipient`` (the number with its country
    code, digits only: « 33612345678 »), ``content`` and ``type``
    « transactional » (a Brevo stop code would make it a marketing SMS: the
    STOP link is ours); ``201`` with ``{"messageId": …}`` when it is taken;
    an error is ``{"code": …, "message": …}``. 400, 401, 403, 404: refused for
    good (a wrong number, a wrong key); 402 (no credits left), 429 and 5xx:
    tried again later. A timeout once the request left may have sent it.
    """

    reports_phases = True

    def __init__(self, *, api_key: str | None = None, base_url: str | None = None, timeout: float | None = None):
        self.api_key = api_key if api_key is not None else settings.BREVO_API_KEY
        self.base_url = (base_url or settings.BREVO_API_URL).rstrip("/")
        self.timeout = timeout if timeout is not None else settings.SMS_TIMEOUT_SECONDS

    def send(self, sms: Sms, *, on_handed=None) -> str:
        if not self.api_key:
            raise PermanentFailure("BREVO_API_KEY n'est pas réglée")
        url = urlsplit(self.base_url)
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(url.hostname, url.port, timeout=self.timeout)
        body = json.dumps(
            {
                "sender": sms.sender or settings.SMS_SENDER,
                "recipient": sms.to.lstrip("+"),
                "content": sms.body,
                "type": "transactional",
            }
        ).encode()
        headers = {
            "api-key": self.api_key,
            "accept": "application/json",
            "content-type": "application/json",
        }
        try:
            connection.connect()
        except OSError as error:
            raise TemporaryFailure(f"Brevo injoignable : {type(error).__name__}") from error
        try:
            if on_handed:
                on_handed()
            try:
                connection.request("POST", f"{url.path}/transactionalSMS/send", body=body, headers=headers)
                response = connection.getresponse()
                status, raw = response.status, response.read()
            except (OSError, http.client.HTTPException) as error:
                raise UncertainDelivery(f"pas de réponse de Brevo après l'envoi : {type(error).__name__}") from error
        finally:
            connection.close()
        return self._answer(status, raw)

    @staticmethod
    def _answer(status: int, raw: bytes) -> str:
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            data = {}
        if not isinstance(data, dict):
            data = {}
        if 200 <= status < 300:
            return str(data.get("messageId", ""))
        detail = f"Brevo {status} {data.get('code', '')}: {data.get('message', '')}".strip()[:300]
        if status in (402, 429) or status >= 500:
            raise TemporaryFailure(detail)
        raise PermanentFailure(detail)


def get_backend() -> BaseBackend:
    return import_string(settings.SMS_BACKEND)()


def short_link(booking, *, stop: bool = False) -> str:
    """The booking's SMS link (``/r/<code>``) or its STOP link (``/s/<code>``); gives the booking its code."""
    from django.urls import reverse

    from meals.models import Booking

    if not booking.sms_code:
        code = new_code()
        Booking.objects.filter(pk=booking.pk, sms_code__isnull=True).update(sms_code=code)
        booking.sms_code = Booking.objects.values_list("sms_code", flat=True).get(pk=booking.pk)
    name = "meals:sms_stop" if stop else "meals:short_link"
    return settings.SITE_URL + reverse(name, args=[booking.sms_code])


CODE_LENGTH = 10
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"


def new_code() -> str:
    import secrets

    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_LENGTH))
