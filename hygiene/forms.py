"""The logbook's short forms, one per kind of entry, for a phone in the kitchen: big inputs, a numeric keypad
for temperatures, today's date and the present time filled in. The rules are the services' (hygiene/services.py)."""

import re
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.bounds import DayField, MomentField, ascii_int
from hygiene.models import HIGHEST_C, LOWEST_C, CleaningTask, ColdUnit, Delivery
from meals.forms.planning import DateInput
from meals.forms.sourcing import MealChoiceField
from meals.idempotency import KeyedForm
from meals.models import Meal, PurchaseLine, Supplier
from members.models import Member
from members.roles import COORDINATOR, VOLUNTEER

_DEGREES = re.compile(r"[+-]?[0-9]{1,3}(?:\.[0-9])?", re.ASCII)
# A clock a few minutes ahead of the server's is not a reading from the future.
CLOCK_SLACK = timedelta(minutes=10)
MEALS_AROUND = timedelta(days=2)


class TemperatureField(forms.CharField):
    """Degrees Celsius, one decimal: « 3,5 », « 3.5 », « −18 », « 4 °C » all read; cleans to a ``Decimal``."""

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        # « decimal » gives no minus key on some phones: the text keyboard stays one tap away.
        attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": "12", "class": "temperature-input"})
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        text = value.replace("°C", "").replace("°", "").replace(",", ".").replace("−", "-").replace(" ", "")
        if not _DEGREES.fullmatch(text):
            raise forms.ValidationError(_("Écrivez la température en degrés, par exemple 3,5 ou -18."), code="invalid")
        degrees = Decimal(text)
        if not LOWEST_C <= degrees <= HIGHEST_C:
            raise forms.ValidationError(
                _("Une température entre %(low)s et %(high)s °C, s'il vous plaît.")
                % {"low": LOWEST_C, "high": HIGHEST_C},
                code="out_of_range",
            )
        return degrees


class ManyField(forms.ModelMultipleChoiceField):
    """Rows ticked by pk: a value that is no pk (« 99999999999999999999 », which SQLite cannot even compare)
    is refused as an unknown choice, before any query."""

    def _check_values(self, value):
        for pk in value:
            if ascii_int(str(pk), low=1, high=2**63 - 1) is None:
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value", params={"pk": pk}
                )
        return super()._check_values(value)


def _moment_field(label) -> MomentField:
    return MomentField(
        label=label, widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
    )


def _action_field(label=None, help_text="") -> forms.CharField:
    return forms.CharField(
        label=label or _("Action corrective"),
        required=False,
        max_length=500,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _not_in_the_future(value):
    if value is not None and value > timezone.now() + CLOCK_SLACK:
        raise forms.ValidationError(_("Ce moment n'est pas encore arrivé : vérifiez la date et l'heure."))
    return value


def _day_not_in_the_future(value):
    if value is not None and value > timezone.localdate():
        raise forms.ValidationError(_("Ce jour n'est pas encore arrivé : vérifiez la date."))
    return value


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


def kitchen_members():
    """Who may sign or attend: the volunteers and coordinators who have an account."""
    return (
        Member.objects.filter(user__is_active=True, user__groups__name__in=[VOLUNTEER, COORDINATOR])
        .distinct()
        .order_by("name", "pk")
    )


def meals_around():
    now = timezone.now()
    return (
        Meal.objects.scheduled().filter(starts_at__range=(now - MEALS_AROUND, now + MEALS_AROUND)).order_by("starts_at")
    )


class CorrectionMixin(forms.Form):
    """The reason a correction gives, required (the form of a correction only)."""

    correction_reason = forms.CharField(
        label=_("Pourquoi cette correction"), max_length=300, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )


class ReadingForm(KeyedForm):
    # Radio buttons, none ticked: a big target each, and no reading lands on the first unit by default.
    unit = forms.ModelChoiceField(
        label=_("Réfrigérateur ou congélateur"),
        queryset=ColdUnit.objects.none(),
        empty_label=None,
        widget=forms.RadioSelect,
    )
    temperature = TemperatureField(label=_("Température (°C)"))
    taken_at = _moment_field(_("Relevée le"))
    corrective_action = _action_field(help_text=_("Obligatoire si la température est hors des limites."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = ColdUnit.objects.filter(active=True)
        self.fields["taken_at"].initial = _now

    def clean_taken_at(self):
        return _not_in_the_future(self.cleaned_data.get("taken_at"))


class DeliveryForm(KeyedForm):
    received_on = DayField(label=_("Reçue le"), widget=DateInput())
    supplier = forms.ModelChoiceField(label=_("Fournisseur"), queryset=Supplier.objects.all(), required=False)
    supplier_name = forms.CharField(
        label=_("Ou son nom"), max_length=200, required=False, help_text=_("S'il n'est pas dans la liste.")
    )
    product = forms.CharField(label=_("Produit"), max_length=200)
    lot = forms.CharField(label=_("Numéro de lot"), max_length=100, required=False)
    use_by = DayField(label=_("DLC (à consommer jusqu'au)"), widget=DateInput(), required=False)
    storage = forms.ChoiceField(
        label=_("Conservation"),
        choices=Delivery.Storage.choices,
        initial=Delivery.Storage.CHILLED,
        widget=forms.RadioSelect,
    )
    temperature = TemperatureField(
        label=_("Température à la réception (°C)"),
        required=False,
        help_text=_("Frais : 4 °C au plus. Surgelé : -18 °C ou moins."),
    )
    refused = forms.BooleanField(label=_("Livraison refusée"), required=False)
    corrective_action = _action_field(
        _("Action corrective ou motif du refus"),
        _("Obligatoire si c'est trop chaud, si la DLC est passée ou si vous refusez."),
    )
    purchase_line = forms.ModelChoiceField(
        label=_("Ligne d'achat (facultatif)"), queryset=PurchaseLine.objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["received_on"].initial = timezone.localdate
        self.fields["supplier"].empty_label = _("— choisissez —")
        self.fields["purchase_line"].queryset = (
            PurchaseLine.objects.select_related("purchase__supplier")
            .filter(purchase__date__gte=timezone.localdate() - timedelta(days=14))
            .order_by("-purchase__date", "pk")
        )
        self.fields["purchase_line"].label_from_instance = lambda line: (
            f"{line.purchase.date:%d/%m} — {line.purchase.supplier} — {line.product}"
        )
        self.fields["purchase_line"].empty_label = _("— aucune —")

    def clean_received_on(self):
        return _day_not_in_the_future(self.cleaned_data.get("received_on"))

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("supplier") and not (cleaned.get("supplier_name") or "").strip():
            self.add_error("supplier_name", _("Choisissez le fournisseur, ou écrivez son nom."))
        if cleaned.get("storage") in Delivery.LIMITS and cleaned.get("temperature") is None:
            if "temperature" not in self.errors:
                self.add_error("temperature", _("Prenez la température d'un produit frais ou surgelé."))
        return cleaned


class CoolingForm(KeyedForm):
    dish = forms.CharField(label=_("Plat"), max_length=200)
    meal = MealChoiceField(label=_("Repas (facultatif)"), queryset=Meal.objects.none(), required=False)
    started_at = _moment_field(_("Début du refroidissement"))
    start_c = TemperatureField(label=_("Température à cœur au début (°C)"), help_text=_("63 °C ou plus."))
    ended_at = _moment_field(_("Fin du refroidissement"))
    end_c = TemperatureField(
        label=_("Température à cœur à la fin (°C)"), help_text=_("Moins de 10 °C, en 2 heures au plus.")
    )
    corrective_action = _action_field(help_text=_("Obligatoire si la règle n'est pas tenue."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meal"].queryset = meals_around()
        self.fields["meal"].empty_label = _("— aucun —")
        self.fields["started_at"].initial = lambda: _now() - timedelta(hours=2)
        self.fields["ended_at"].initial = _now

    def clean_started_at(self):
        return _not_in_the_future(self.cleaned_data.get("started_at"))

    def clean_ended_at(self):
        return _not_in_the_future(self.cleaned_data.get("ended_at"))


class CleaningForm(KeyedForm):
    day = DayField(label=_("Jour"), widget=DateInput())
    tasks = ManyField(
        label=_("Ce qui est fait"), queryset=CleaningTask.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate
        self.fields["tasks"].queryset = CleaningTask.objects.filter(active=True)

    def clean_day(self):
        return _day_not_in_the_future(self.cleaned_data.get("day"))


class CleaningCorrectionForm(KeyedForm):
    done = forms.BooleanField(label=_("Fait"), required=False)
    note = forms.CharField(label=_("Remarque"), max_length=300, required=False)


class BriefingForm(KeyedForm):
    day = DayField(label=_("Jour"), widget=DateInput())
    meal = MealChoiceField(label=_("Repas (facultatif)"), queryset=Meal.objects.none(), required=False)
    given_by = forms.ModelChoiceField(label=_("Consignes données par"), queryset=Member.objects.none())
    attendees = ManyField(label=_("Présents"), queryset=Member.objects.none(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["day"].initial = timezone.localdate
        self.fields["meal"].queryset = meals_around()
        self.fields["meal"].empty_label = _("— aucun —")
        self.fields["given_by"].queryset = kitchen_members()
        self.fields["given_by"].empty_label = _("— choisissez —")
        self.fields["attendees"].queryset = kitchen_members()

    def clean_day(self):
        return _day_not_in_the_future(self.cleaned_data.get("day"))


class ColdUnitForm(KeyedForm):
    name = forms.CharField(label=_("Nom"), max_length=100, help_text=_("Par exemple « Frigo de la cuisine »."))
    kind = forms.ChoiceField(label=_("Type"), choices=ColdUnit.Kind.choices, widget=forms.RadioSelect, initial="fridge")
    min_c = TemperatureField(
        label=_("Minimum (°C, facultatif)"),
        required=False,
        help_text=_("Vide : 0 °C pour un frigo, aucun pour un congélateur."),
    )
    max_c = TemperatureField(
        label=_("Maximum (°C, facultatif)"),
        required=False,
        help_text=_("Vide : 4 °C pour un frigo, -18 °C pour un congélateur."),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if ColdUnit.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("Une enceinte porte déjà ce nom."))
        return name

    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("min_c"), cleaned.get("max_c")
        if low is not None and high is None:
            self.add_error("max_c", _("Avec un minimum, donnez aussi le maximum."))
        if low is not None and high is not None and low > high:
            self.add_error("min_c", _("Le minimum est plus bas que le maximum."))
        return cleaned


class CleaningTaskForm(KeyedForm):
    area = forms.CharField(label=_("Zone"), max_length=100, help_text=_("Par exemple « Cuisine », « Salle »."))
    name = forms.CharField(label=_("Tâche"), max_length=200)
    frequency = forms.ChoiceField(
        label=_("Fréquence"), choices=CleaningTask.Frequency.choices, widget=forms.RadioSelect, initial="daily"
    )

    def clean(self):
        cleaned = super().clean()
        area, name = (cleaned.get("area") or "").strip(), (cleaned.get("name") or "").strip()
        if area and name and CleaningTask.objects.filter(area__iexact=area, name__iexact=name).exists():
            self.add_error("name", _("Cette tâche est déjà au plan de nettoyage."))
        return cleaned
