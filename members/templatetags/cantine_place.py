"""``{% cantine_place as cantine %}``: the cantine's settings in templates rendered without a request (emails)."""

from django import template
from django.conf import settings
from django.urls import reverse

from members.models import CantineSettings, cantine_settings, cantine_settings_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def cantine_place(context) -> CantineSettings:
    """The page's own (from the context processor or an outer template), else read once."""
    return context.get("cantine") or cantine_settings()


@register.simple_tag
def first_visit_url() -> str:
    """The « Venir à la cantine » page as an absolute link, for emails."""
    return settings.SITE_URL + reverse("members:first_visit")


@register.simple_tag
def cantine_place_safe() -> CantineSettings:
    """For error pages: never raises, never waits for a database that is down (``cantine_settings_safe``)."""
    return cantine_settings_safe()
