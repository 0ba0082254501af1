from decimal import Decimal

from django import template
from django.utils import formats

register = template.Library()

NBSP = "\u00a0"


@register.filter
def degrees(value) -> str:
    """« 3,5 °C », « -18 °C » (a no-break space: the unit never starts a line)."""
    if value is None or value == "":
        return "—"
    value = Decimal(value)
    places = 0 if value == value.to_integral_value() else 1
    return f"{formats.number_format(value, decimal_pos=places, use_l10n=True)}{NBSP}°C"
