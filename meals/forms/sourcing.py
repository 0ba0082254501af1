"""Forms of the purchases' pages: a purchase with its lines (one page, a phone in one hand), a supplier, the
share of a purchase that goes into a meal, a meal's cost price fixed by hand."""

from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine import bounds
from cantine.bounds import DayField
from meals.forms.planning import DateInput
from meals.idempotency import KeyedForm
from meals.models import Meal, Purchase, Supplier
from meals.money import AmountField

LINES = 3  # blank lines on the form: most purchases have three products or fewer
RECEIPT_MAX_BYTES = 5 * 1024 * 1024
AMOUNT_CEILING = Decimal("99999.99")
MEALS_AROUND = timedelta(days=21)  # the meals a purchase may be linked to from its form


def _decimal(label, *, places: int, required: bool = False, **kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=0,
        max_value=bounds.MAX_WEIGHT_KG - 1,
        decimal_places=places,
        localize=True,  # « 2,5 » in French
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def _percent_field(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        label=_("Part de l'achat pour ce repas (%)"),
        min_value=0,
        max_value=100,
        decimal_places=2,
        localize=True,
        initial=100,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )


def meal_label(meal: Meal) -> str:
    from meals.templatetags.cantine import day

    return f"{day(meal.starts_at)} — {meal.title}"


class MealChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return meal_label(obj)


class SupplierForm(KeyedForm):
    name = forms.CharField(label=_("Nom"), max_length=200)
    kind = forms.ChoiceField(label=_("Type"), choices=Supplier.Kind.choices, initial=Supplier.Kind.PRODUCER)
    distance_km = forms.IntegerField(
        label=_("Distance de la cantine (km)"),
        required=False,
        min_value=0,
        max_value=bounds.MAX_DISTANCE_KM,
        help_text=_("À peu près. Laissez vide si vous ne savez pas."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if Supplier.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(_("Ce fournisseur existe déjà."))
        return name


class PurchaseForm(KeyedForm):
    date = DayField(label=_("Date"), widget=DateInput())
    supplier = forms.ModelChoiceField(
        label=_("Fournisseur"),
        queryset=Supplier.objects.all(),
        empty_label=_("— choisissez —"),
        error_messages={"required": _("Choisissez le fournisseur (ajoutez-le d'abord s'il manque).")},
    )
    paid_by = forms.ChoiceField(
        label=_("Payé par"), choices=Purchase.PaidBy.choices, initial=Purchase.PaidBy.CANTINE, widget=forms.RadioSelect
    )
    reimburse_to = forms.CharField(label=_("Bénévole à rembourser"), max_length=200, required=False)
    meal = MealChoiceField(label=_("Pour le repas (facultatif)"), queryset=Meal.objects.none(), required=False)
    share = _percent_field(required=False)
    receipt = forms.FileField(
        label=_("Photo du ticket (facultatif)"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*,application/pdf", "capture": "environment"}),
    )
    note = forms.CharField(label=_("Note (facultatif)"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["date"].initial = today
        now = timezone.now()
        self.fields["meal"].queryset = (
            Meal.objects.scheduled()
            .filter(starts_at__gte=now - MEALS_AROUND, starts_at__lte=now + MEALS_AROUND)
            .order_by("starts_at")
        )
        self.fields["meal"].empty_label = _("— aucun pour l'instant —")

    def clean_receipt(self):
        receipt = self.cleaned_data.get("receipt")
        if receipt and receipt.size > RECEIPT_MAX_BYTES:
            raise forms.ValidationError(_("La photo dépasse 5 Mo : prenez-la de plus loin, ou en plus petit."))
        return receipt

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("paid_by") == Purchase.PaidBy.VOLUNTEER and not (cleaned.get("reimburse_to") or "").strip():
            self.add_error("reimburse_to", _("Dites quel bénévole a payé, pour le rembourser."))
        if cleaned.get("meal") is not None and not cleaned.get("share"):
            cleaned["share"] = Decimal("100")
        return cleaned


class LineForm(forms.Form):
    """One product. A line left blank is skipped (the formset's extra lines)."""

    product = forms.CharField(label=_("Produit"), max_length=200, required=False)
    weight_kg = _decimal(_("Poids (kg)"), places=3)
    amount = AmountField(label=_("Montant payé"), required=False, ceiling=AMOUNT_CEILING)
    quantity = _decimal(_("Quantité (facultatif)"), places=2)
    unit = forms.CharField(label=_("Unité (facultatif)"), max_length=20, required=False)
    organic = forms.BooleanField(label=_("Bio"), required=False)
    local = forms.BooleanField(label=_("Local"), required=False)
    bulk = forms.BooleanField(label=_("En vrac"), required=False)
    saved = forms.BooleanField(label=_("Sauvé du gaspillage (invendu, don)"), required=False)
    is_gift_in_kind = forms.BooleanField(label=_("Don en nature"), required=False)
    valuation = AmountField(label=_("Valeur du don"), required=False, ceiling=AMOUNT_CEILING)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("product") or "").strip():
            self.add_error("product", _("Indiquez le produit de cette ligne."))
        if cleaned.get("quantity") is not None and cleaned["quantity"] <= 0:
            self.add_error("quantity", _("Une quantité est plus grande que 0."))
        if cleaned.get("is_gift_in_kind"):
            if not cleaned.get("valuation"):
                self.add_error("valuation", _("Estimez la valeur du don, en euros."))
        elif cleaned.get("valuation"):
            self.add_error("valuation", _("Une valeur de don va avec « Don en nature » coché."))
        elif cleaned.get("amount") is None:
            self.add_error("amount", _("Indiquez le montant payé (0 si c'était gratuit)."))
        return cleaned

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "product": data["product"].strip(),
            "weight_kg": data.get("weight_kg") or Decimal("0"),
            "amount": data.get("amount") or Decimal("0.00"),
            "quantity": data.get("quantity"),
            "unit": data.get("unit", ""),
            "organic": data.get("organic", False),
            "local": data.get("local", False),
            "bulk": data.get("bulk", False),
            "saved": data.get("saved", False),
            "is_gift_in_kind": data.get("is_gift_in_kind", False),
            "valuation": (data.get("valuation") or Decimal("0.00")) if data.get("is_gift_in_kind") else Decimal("0.00"),
        }


LineFormSet = forms.formset_factory(LineForm, extra=LINES, max_num=30, absolute_max=30, validate_max=True)


class SupplyForm(KeyedForm):
    meal = MealChoiceField(label=_("Repas"), queryset=Meal.objects.none())
    share = _percent_field(help_text=_("0 retire l'achat de ce repas."))

    def __init__(self, *args, purchase: Purchase, **kwargs):
        super().__init__(*args, **kwargs)
        around = timedelta(days=45)
        self.fields["meal"].queryset = (
            Meal.objects.scheduled()
            .filter(starts_at__date__gte=purchase.date - around, starts_at__date__lte=purchase.date + around)
            .order_by("starts_at")
        )


class CostPriceForm(KeyedForm):
    cost_price_overridden = forms.BooleanField(label=_("Fixer le prix de revient à la main"), required=False)
    cost_price = AmountField(label=_("Prix de revient par couvert"), required=False, ceiling=Decimal("9999.99"))
    cost_price_note = forms.CharField(label=_("Pourquoi ce prix"), max_length=300, required=False)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("cost_price_overridden"):
            if cleaned.get("cost_price") is None:
                self.add_error("cost_price", _("Indiquez le prix de revient par couvert."))
            if not (cleaned.get("cost_price_note") or "").strip():
                self.add_error("cost_price_note", _("Dites pourquoi vous fixez ce prix à la main."))
        return cleaned


class YearForm(forms.Form):
    year = forms.IntegerField(min_value=bounds.FIRST_YEAR, max_value=bounds.LAST_YEAR)
