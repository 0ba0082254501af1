"""Forms of the door desk. They parse and check early; the services in
``meals.services.door`` decide under the meal's lock."""

from django import forms
from django.utils.translation import gettext_lazy as _

from meals.idempotency import KeyedForm
from meals.models import Contribution
from meals.money import AmountField
from meals.services.door import CASH_COUNT_CEILING, MAX_WALK_IN_PARTY
from members.models import Member, PaymentMethod


class ContributionForm(KeyedForm):
    """Fields ``amount``, ``method``, optional ``booking`` (the public contract)."""

    amount = AmountField(
        label=_("Montant donné"),
        help_text=_("Par exemple 5 ou 5,50. 0 si la personne ne donne rien."),
        error_messages={"required": _("Indiquez un montant (0 si la personne ne donne rien).")},
        # Focused only when it is the next gesture (the desk decides): on a phone, a focus on every
        # reload would scroll past the guest list and open the keyboard.
        widget=forms.TextInput(attrs={"class": "door-amount", "inputmode": "decimal", "autocomplete": "off"}),
    )
    method = forms.ChoiceField(
        label=_("Moyen de paiement"),
        choices=PaymentMethod.choices,
        initial=PaymentMethod.CASH,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choisissez un moyen de paiement de la liste.")},
    )
    booking = forms.TypedChoiceField(
        label=_("Pour qui (facultatif)"),
        required=False,
        coerce=int,
        empty_value=None,
        error_messages={"invalid_choice": _("Cette réservation n'est pas pour ce repas.")},
    )
    # « 5,50 for the meal and 20 € as a gift »: one more box, the same tap.
    donation = AmountField(
        label=_("Don en plus (facultatif)"),
        required=False,
        help_text=_("Un don à l'association, en plus du repas : il peut avoir un reçu fiscal."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    kind = forms.ChoiceField(
        label=_("Nature de la somme"),
        choices=Contribution.Kind.choices,
        initial=Contribution.Kind.MEAL,
        required=False,
        error_messages={"invalid_choice": _("Choisissez la nature de la somme dans la liste.")},
    )
    giver = forms.ModelChoiceField(
        label=_("Donateur ou donatrice (facultatif)"),
        help_text=_("Pour un reçu fiscal : une personne dont la fiche a une adresse postale."),
        queryset=Member.objects.none(),
        required=False,
        empty_label=_("— la personne de la réservation —"),
        error_messages={"invalid_choice": _("Choisissez une personne de la liste.")},
    )

    def __init__(self, *args, bookings=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["giver"].queryset = Member.objects.active().exclude(street="").order_by("name", "pk")
        self.bookings = {booking.pk: booking for booking in bookings}
        self.fields["booking"].choices = [("", _("— personne en particulier —"))] + [
            (booking.pk, booking_label(booking)) for booking in bookings
        ]

    def clean_booking(self):
        pk = self.cleaned_data.get("booking")
        return None if pk is None else self.bookings[pk]

    def clean_kind(self):
        return self.cleaned_data.get("kind") or Contribution.Kind.MEAL


def booking_label(booking) -> str:
    name = booking.name or (_("Sans réservation") if booking.is_walk_in else _("Sans nom"))
    return f"{name} ×{booking.party_size}" if booking.party_size > 1 else str(name)


class WalkInForm(KeyedForm):
    name = forms.CharField(
        label=_("Prénom (facultatif)"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    party_size = forms.IntegerField(
        label=_("Nombre de personnes"),
        min_value=1,
        max_value=MAX_WALK_IN_PARTY,
        initial=1,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    squeeze = forms.BooleanField(
        label=_("On se serre : ajouter même au-delà des places"),
        required=False,
    )


class VoidForm(KeyedForm):
    reason = forms.CharField(
        label=_("Raison de l'annulation"),
        max_length=300,
        error_messages={"required": _("Dites pourquoi vous annulez cette participation.")},
    )


class TillCloseForm(KeyedForm):
    counted_cash = AmountField(
        label=_("Espèces comptées dans la caisse"),
        ceiling=CASH_COUNT_CEILING,
        error_messages={"required": _("Indiquez les espèces comptées (0 s'il n'y en a pas).")},
    )
    note = forms.CharField(label=_("Note (facultatif)"), required=False, max_length=500)


class TillReopenForm(KeyedForm):
    reason = forms.CharField(
        label=_("Raison de la réouverture"),
        max_length=300,
        error_messages={"required": _("Dites pourquoi vous rouvrez la caisse.")},
    )
