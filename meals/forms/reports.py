"""The period choosers of the reports: a month or a year (GET forms)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from meals.reports import MAX_YEAR, MIN_YEAR


class MonthForm(forms.Form):
    month = forms.CharField(
        label=_("Mois"),
        help_text=_("Par exemple 2026-11."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "2026-11", "autocomplete": "off"}),
    )


class YearForm(forms.Form):
    year = forms.IntegerField(
        label=_("Année"),
        min_value=MIN_YEAR,
        max_value=MAX_YEAR,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
