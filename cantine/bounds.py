"""The ranges every value a person types must fall in: at the form, and in the database.

A date far from today is a typo or an attack, and some break pages long after
they were saved: « 0001-01-01 » Paris time is a UTC instant in year 0, which
PostgreSQL stores and Python cannot read back (every page showing it is a
500); a shift template 1,500,000,000 minutes before the meal overflows the
datetime of every meal created afterwards. So the forms refuse them with a
message, and check constraints (``within_days``, ``within_moments``) refuse
them whatever writes (the admin, a script, a bug).

Query parameters are read with ``ascii_int``: ``str.isdigit()`` accepts « ² »
(which ``int()`` refuses) and ``int()`` accepts « ٢٠٢٦ ».
"""

import re
from datetime import UTC, date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2100, 12, 31)
FIRST_YEAR, LAST_YEAR = FIRST_DAY.year, LAST_DAY.year

# The database's bounds for instants are a year wider on each side: what the
# forms derive from a day (booking opens up to 120 days before, a shift up to
# a day before or after its meal, the time zone's offset) stays inside them.
EARLIEST = datetime(FIRST_YEAR - 1, 1, 1, tzinfo=UTC)
LATEST = datetime(LAST_YEAR + 2, 1, 1, tzinfo=UTC)

# Seats and people: the forms offer far less (a meal of 500 seats, parties of
# 20); the database refuses what no hall holds, whoever writes it.
MAX_SEATS = 1_000_000
MAX_PARTY = 100
# A shift template: from a day before the meal to a day after, a day long at most.
MINUTES_AROUND_MEAL = 24 * 60
MAX_SHIFT_MINUTES = 24 * 60
MAX_SHIFT_SLOTS = 100
# Euros: above these a number is a typo (the fields' own digits allow no more).
MAX_COST_PRICE = 10_000
MAX_AMOUNT = 100_000
# Sourcing: a supplier farther than the Earth's circumference, a line of 100 tonnes, are typos.
MAX_DISTANCE_KM = 40_000
MAX_WEIGHT_KG = 100_000

_ASCII_INT = re.compile(r"-?[0-9]{1,18}", re.ASCII)


def ascii_int(text: str | None, *, low: int, high: int) -> int | None:
    """A whole number written in ASCII digits between ``low`` and ``high``, else None (never raises)."""
    if text is None or not _ASCII_INT.fullmatch(text):
        return None
    value = int(text)
    return value if low <= value <= high else None


def day_out_of_range_message() -> str:
    return _("Choisissez une date entre le 1er janvier %(first)s et le 31 décembre %(last)s.") % {
        "first": FIRST_YEAR,
        "last": LAST_YEAR,
    }


def validate_day(value: date) -> None:
    day = value.date() if isinstance(value, datetime) else value
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValidationError(day_out_of_range_message(), code="out_of_range")


class DayField(forms.DateField):
    """A date between ``FIRST_DAY`` and ``LAST_DAY`` (the date picker offers no other)."""

    default_validators = [validate_day]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", "") == "date":
            attrs.update(min=FIRST_DAY.isoformat(), max=LAST_DAY.isoformat())
        return attrs


class MomentField(forms.DateTimeField):
    """A date and time, on a day between ``FIRST_DAY`` and ``LAST_DAY`` (the wall-clock day typed)."""

    default_validators = [validate_day]

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if getattr(widget, "input_type", "") == "datetime-local":
            attrs.update(min=f"{FIRST_DAY.isoformat()}T00:00", max=f"{LAST_DAY.isoformat()}T23:59")
        return attrs


def within_days(field: str) -> Q:
    """For a check constraint: the date field lies between ``FIRST_DAY`` and ``LAST_DAY``."""
    return Q(**{f"{field}__gte": FIRST_DAY, f"{field}__lte": LAST_DAY})


def within_moments(field: str) -> Q:
    """For a check constraint: the datetime field lies between ``EARLIEST`` and ``LATEST``."""
    return Q(**{f"{field}__gte": EARLIEST, f"{field}__lt": LATEST})
