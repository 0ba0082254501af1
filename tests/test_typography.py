"""French typography: dates, hours, amounts and punctuation the way French readers expect them."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib import messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from meals.templatetags.cantine import NNBSP, day, euros, euros_cents, hour, punct, when

PARIS = ZoneInfo("Europe/Paris")
LUNCH = datetime(2026, 11, 24, 12, 30, tzinfo=PARIS)


def test_french_dates_hours_and_amounts():
    with translation.override("fr"):
        assert day(LUNCH) == "mardi 24 novembre"
        assert hour(LUNCH) == "12\u00a0h\u00a030"
        assert hour(LUNCH.replace(minute=0)) == "12\u00a0h"
        assert when(LUNCH) == "mardi 24 novembre, 12\u00a0h\u00a030"
        assert euros(Decimal("9")) == f"9{NNBSP}€"
        assert euros(Decimal("5.5")) == f"5,50{NNBSP}€"
        assert euros_cents(Decimal("1234")) == f"1{NNBSP}234,00{NNBSP}€"


def test_english_dates_hours_and_amounts():
    with translation.override("en"):
        assert day(LUNCH) == "Tuesday 24 November"
        assert hour(LUNCH) == "12:30"
        assert euros(Decimal("5.5")) == "€5.50"


def test_dates_are_shown_in_paris_time_even_when_stored_in_utc():
    with translation.override("fr"):
        assert hour(LUNCH.astimezone(ZoneInfo("UTC"))) == "12\u00a0h\u00a030"


def test_punctuation_gets_a_narrow_no_break_space_in_french_only():
    with translation.override("fr"):
        assert punct("Attention : complet !") == f"Attention{NNBSP}: complet{NNBSP}!"
    with translation.override("en"):
        assert punct("Attention : full !") == "Attention : full !"


@pytest.mark.django_db
def test_flash_messages_use_french_typography_and_stay_escaped():
    request = RequestFactory().get("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    messages.success(request, "C'est noté : merci <b>!</b>")
    with translation.override("fr"):
        html = Template("{% load cantine %}{% for m in messages %}{{ m|punct }}{% endfor %}").render(
            Context({"messages": messages.get_messages(request)})
        )
    assert html == f"C&#x27;est noté{NNBSP}: merci &lt;b&gt;!&lt;/b&gt;"
