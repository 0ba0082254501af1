"""``{% form_key %}``: the one-time key of a hand-written form (meals/idempotency.py)."""

from django import template
from django.utils.html import format_html

from meals.idempotency import FIELD, PLACEHOLDER

register = template.Library()


@register.simple_tag
def form_key() -> str:
    # The placeholder, not a key: FormKeyMiddleware gives each response its own keys,
    # so a fragment kept in a cache does not share one between renders.
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, PLACEHOLDER)
