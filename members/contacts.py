"""Phone numbers and emails, one canonical form each: a booking, a member and a form all agree on who is who."""

import re

from django.utils.translation import gettext as _


class InvalidPhone(ValueError):
    """Letters, or a wrong number of digits; the message is for the person who typed it (French source)."""


_PHONE_SEPARATORS = re.compile(r"[\s.\-()/\u00a0\u202f]")


def normalize_phone(value: str) -> str:
    """One canonical form per number, so « 06 12 34 56 78 », « +33 6 12 34 56 78 »
    and « 0612345678 » are the same person: ``06 12 34 56 78``.

    Foreign numbers keep their ``+`` and digits (``+441234567890``). Raises
    ``InvalidPhone`` for letters or a wrong number of digits; ``""`` stays ``""``.
    """
    raw = (value or "").strip()
    if not raw:
        return ""
    compact = _PHONE_SEPARATORS.sub("", raw)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    international = compact.startswith("+")
    digits = compact[1:] if international else compact
    if not digits.isdigit() or not digits.isascii():
        raise InvalidPhone(
            _("Ce numéro de téléphone n'est pas valable : des chiffres seulement, par exemple 06 12 34 56 78.")
        )
    if international and digits.startswith("33"):
        digits = "0" + digits[2:].removeprefix("0")
        international = False
    if not international:
        if len(digits) == 9 and not digits.startswith("0"):
            digits = "0" + digits
        if len(digits) != 10 or not digits.startswith("0"):
            raise InvalidPhone(
                _("Ce numéro de téléphone n'est pas valable : il faut 10 chiffres, par exemple 06 12 34 56 78.")
            )
        return " ".join(digits[i : i + 2] for i in range(0, 10, 2))
    if not 8 <= len(digits) <= 15:
        raise InvalidPhone(_("Ce numéro de téléphone n'est pas valable."))
    return "+" + digits


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()
