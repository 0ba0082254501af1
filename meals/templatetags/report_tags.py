"""Small helpers of the report templates."""

from decimal import ROUND_HALF_UP, Decimal

from django import template

register = template.Library()


@register.filter
def per(total, count) -> Decimal | None:
    """``total`` divided by ``count`` (cents), or None when nothing to divide by: « 45 € par 12 couverts »."""
    if not count:
        return None
    return (Decimal(total or 0) / Decimal(count)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
