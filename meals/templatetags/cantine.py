"""Dates, times and amounts the way French readers expect them.

« mardi 24 novembre », « mardi 1er décembre », « Demain, mercredi 2 décembre »,
« 12 h 30 », « 5,50 € » in French; « Tuesday 24 November », « Tomorrow, … »,
« 12:30 », « €5.50 » in English. French typography puts a narrow no-break
space (U+202F) before « : ; ! ? » and between a number and « € ».
"""

import unicodedata
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import formats, timezone
from django.utils.safestring import SafeData, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

NNBSP = "\u202f"
NBSP = "\u00a0"


def _is_french() -> bool:
    return (get_language() or "fr").startswith("fr")


@register.filter
def day(value) -> str:
    """« mardi 24 novembre » / « Tuesday 24 November »."""
    if value is None:
        return ""
    if hasattr(value, "tzinfo"):
        value = timezone.localtime(value)
    if _is_french() and value.day == 1:
        # The first of the month is an ordinal in French: « mardi 1er décembre ».
        return formats.date_format(value, r"l \1\e\r F")
    return formats.date_format(value, "l j F")


@register.filter
def relday(value) -> str:
    """« Aujourd'hui, jeudi 3 décembre », « Demain, vendredi 4 décembre », else « samedi 5 décembre ».

    A page that shows it changes at midnight: whatever keeps such a page keeps it until then.
    """
    if value is None:
        return ""
    date = timezone.localtime(value).date() if hasattr(value, "tzinfo") else value
    today = timezone.localdate()
    if date == today:
        return _("Aujourd'hui, %(day)s") % {"day": day(value)}
    if date == today + timedelta(days=1):
        return _("Demain, %(day)s") % {"day": day(value)}
    return day(value)


@register.filter
def hour(value) -> str:
    """« 12 h 30 », « 9 h 30 », « 12 h » / « 12:30 »."""
    if value is None:
        return ""
    value = timezone.localtime(value)
    if _is_french():
        return f"{value.hour}{NBSP}h{NBSP}{value.minute:02d}" if value.minute else f"{value.hour}{NBSP}h"
    return f"{value.hour}:{value.minute:02d}"


@register.filter
def when(value) -> str:
    """« mardi 24 novembre, 12 h 30 »."""
    if value is None:
        return ""
    return f"{day(value)}, {hour(value)}"


def format_euros(amount, *, cents: bool | None = None) -> str:
    if amount is None or amount == "":
        return ""
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if cents is None:
        cents = amount != amount.to_integral_value()
    negative = amount < 0
    amount = abs(amount)
    whole = int(amount)
    fraction = int((amount - whole) * 100)
    if _is_french():
        grouped = f"{whole:,}".replace(",", NNBSP)
        text = f"{grouped},{fraction:02d}" if cents else grouped
        text = f"{text}{NNBSP}€"
    else:
        grouped = f"{whole:,}"
        text = f"{grouped}.{fraction:02d}" if cents else grouped
        text = f"€{text}"
    return f"-{text}" if negative else text


@register.filter
def euros(amount) -> str:
    """« 9 € », « 5,50 € » / « €9 », « €5.50 »: cents only when there are some."""
    return format_euros(amount)


@register.filter
def euros_cents(amount) -> str:
    """Always with cents: « 9,00 € » (totals, cash box)."""
    return format_euros(amount, cents=True)


# « de » + a name: « d'Alain », « d'Hélène », « d'Yvonne », « de Jeanne ». A first name's « h » is
# taken as mute (« d'Hugo »), as it almost always is.
ELIDING = set("aeiouyh")


@register.filter
def de(name) -> str:
    """« de Jeanne », « d'Alain » in French; the name alone in English (where « de » has no word).

    For sentences whose name follows « de »: ``{% blocktranslate with of_name=booking.name|de %}``.
    """
    name = str(name or "").strip()
    if not _is_french():
        return name
    first = unicodedata.normalize("NFD", name[:1]).lower()[:1]
    return f"d'{name}" if first in ELIDING else f"de {name}"


@register.filter
def qr(text) -> str:
    """A QR code of ``text`` (a private link) as an SVG ``data:`` URI, for an <img> (the CSP allows data: images)."""
    import segno

    return segno.make(str(text), error="m").svg_data_uri(scale=4, border=2)


@register.filter(is_safe=True)
def punct(text: str) -> str:
    """Put French narrow no-break spaces before « : ; ! ? » (French only)."""
    if not _is_french() or not text:
        return text
    safe = isinstance(text, SafeData)
    text = str(text)  # also a contrib.messages Message
    for mark in ":;!?":
        text = text.replace(f" {mark}", f"{NNBSP}{mark}")
    return mark_safe(text) if safe else text
