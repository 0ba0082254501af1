"""Amounts the way people at a French door type them: « 5 », « 5,50 », « 5.50 », « 5 € ».

The result is always a ``Decimal`` with two places, never a float. Anything
else (negative, letters, « 1e400 », « NaN », three decimals, full-width digits,
markup, above the ceiling) is refused with a French message the page shows.
"""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.utils.translation import gettext as _

CENT = Decimal("0.01")
# ASCII digits only: « １２ » (full-width) or Arabic-Indic digits are refused,
# because \d would accept them and the cash box would not.
_AMOUNT = re.compile(r"(?P<units>[0-9]{1,9})?(?:[.,](?P<cents>[0-9]{1,2}))?", re.ASCII)
# Spaces people (and phones) put around « € »: plain, no-break, narrow no-break.
_SPACES = " \t\u00a0\u202f"


def contribution_ceiling() -> Decimal:
    return Decimal(settings.CONTRIBUTION_CEILING)


def parse_amount(text: str | None, *, ceiling: Decimal | int | None = None) -> Decimal:
    """Turn what was typed into euros; raise ``ValueError`` (French message) otherwise."""
    limit = contribution_ceiling() if ceiling is None else Decimal(ceiling)
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise ValueError(_("Indiquez un montant en euros, par exemple 5 ou 5,50."))
    cleaned = text.strip(_SPACES)
    # « 5 € », « 5€ », « €5 » (English habit): the sign is only decoration.
    if cleaned.endswith("€"):
        cleaned = cleaned[:-1].rstrip(_SPACES)
    elif cleaned.startswith("€"):
        cleaned = cleaned[1:].lstrip(_SPACES)
    if not cleaned:
        raise ValueError(_("Indiquez un montant (0 si la personne ne donne rien)."))
    if cleaned.startswith("-"):
        raise ValueError(_("Un montant ne peut pas être négatif."))
    match = _AMOUNT.fullmatch(cleaned)
    if not match or (match["units"] is None and match["cents"] is None):
        if re.fullmatch(r"[0-9]+[.,][0-9]{3,}", cleaned, re.ASCII):
            raise ValueError(_("Deux chiffres après la virgule au plus, par exemple 5,50."))
        if re.fullmatch(r"[0-9]{10,}(?:[.,][0-9]*)?", cleaned, re.ASCII):
            raise ValueError(_("Ce montant est trop élevé."))
        raise ValueError(_("Indiquez un montant en euros, par exemple 5 ou 5,50."))
    units = match["units"] or "0"
    cents = (match["cents"] or "0").ljust(2, "0")
    amount = Decimal(f"{units}.{cents}").quantize(CENT)
    if amount > limit:
        raise ValueError(_("Ce montant dépasse le plafond de %(ceiling)s €. Vérifiez la saisie.") % {"ceiling": limit})
    return amount


class AmountField(forms.CharField):
    """A text box for euros that accepts a comma, a dot and « € »; cleans to a ``Decimal``."""

    def __init__(self, *, ceiling: Decimal | int | None = None, **kwargs):
        self.ceiling = ceiling
        kwargs.setdefault("strip", True)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # A numeric keypad on tablets, while still accepting « 5,50 » and « € ».
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "20"})
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            return parse_amount(value, ceiling=self.ceiling)
        except ValueError as exc:
            raise forms.ValidationError(str(exc), code="invalid") from exc
