"""``{% cantine_place as cantine %}``: the cantine's settings in templates rendered without a request (emails)."""

from django import template
from django.conf import settings
from django.urls import reverse

from members.models import CantineSettings, cantine_settings

register = template.Library()


@register.simple_tag
def cantine_place() -> CantineSettings:
    return cantine_settings()


@register.simple_tag
def first_visit_url() -> str:
    """The « Venir à la cantine » page as an absolute link, for emails."""
    return settings.SITE_URL + reverse("members:first_visit")
