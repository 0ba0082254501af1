"""Forms of the tax receipts page (coordinators). The services in ``meals.services.receipts`` decide under a lock."""

from django import forms
from django.utils.translation import gettext_lazy as _

from meals.idempotency import KeyedForm
from meals.reports import MAX_YEAR, MIN_YEAR


class ReceiptIssueForm(KeyedForm):
    """Either ``contribution`` (a receipt for one gift) or ``member`` and ``year`` (the annual receipt)."""

    contribution = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    member = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    year = forms.IntegerField(required=False, min_value=MIN_YEAR, max_value=MAX_YEAR, widget=forms.HiddenInput)
    send = forms.BooleanField(label=_("L'envoyer par e-mail"), required=False)

    def clean(self):
        data = super().clean()
        if not data.get("contribution") and not (data.get("member") and data.get("year")):
            raise forms.ValidationError(_("Choisissez un don, ou une personne et une année."))
        return data


class ReceiptCancelForm(KeyedForm):
    reason = forms.CharField(
        label=_("Raison de l'annulation"),
        max_length=300,
        error_messages={"required": _("Dites pourquoi vous annulez ce reçu.")},
    )
    reissue = forms.BooleanField(label=_("Émettre aussitôt un nouveau reçu (nouveau numéro)"), required=False)
    send = forms.BooleanField(label=_("Envoyer le nouveau reçu par e-mail"), required=False)
