"""``{% form_key %}``: the one-time key of a hand-written form (meals/idempotency.py)."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from meals.idempotency import FIELD, PLACEHOLDER

register = template.Library()


@register.simple_tag
def form_key() -> str:
    # The placeholder, not a key: FormKeyMiddleware gives each response its own keys,
    # so a fragment kept in a cache does not share one between renders.
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, PLACEHOLDER)


@register.simple_tag
def form_key_value() -> str:
    """The placeholder alone, for a submit button's ``value``: several buttons sharing one
    form (the shift board's) each send their own key, the one of the button pressed."""
    return mark_safe(PLACEHOLDER)  # noqa: S308 - a constant of ours
