from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.bounds import DayField
from members.models import Member, Partner, PaymentMethod


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Adresse e-mail"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("Adresse e-mail ou mot de passe incorrect."),
    }


# Coordinators: members, memberships, partners (issue: coordinators) ------------


class MemberSearchForm(forms.Form):
    q = forms.CharField(label=_("Nom, e-mail ou téléphone"), required=False, max_length=100)


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["name", "email", "phone", "language", "partner", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}

    def clean_phone(self):
        from meals.services.booking import InvalidPhone, normalize_phone

        try:
            # Same canonical form as bookings, so the directory and merges find the person.
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except InvalidPhone as error:
            raise forms.ValidationError(str(error)) from error

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean(self):
        data = super().clean()
        if not data.get("name", "").strip():
            self.add_error("name", _("Indiquez un nom."))
        return data


class MergeForm(forms.Form):
    other = forms.ModelChoiceField(
        label=_("Fiche en double à fusionner dans celle-ci"),
        queryset=None,
        help_text=_("Ses réservations, créneaux et adhésions passent sur cette fiche ; l'autre fiche disparaît."),
    )

    def __init__(self, *args, member, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["other"].queryset = Member.objects.active().exclude(pk=member.pk).order_by("name", "pk")
        self.fields["other"].label_from_instance = lambda m: " — ".join(filter(None, [m.name, m.email, m.phone]))


class MembershipForm(forms.Form):
    joined_on = DayField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    amount = forms.DecimalField(
        label=_("Montant (€, 0 accepté)"), min_value=0, max_value=10000, max_digits=7, decimal_places=2
    )
    method = forms.ChoiceField(label=_("Moyen de paiement"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = PaymentMethod.choices
        self.fields["joined_on"].initial = timezone.localdate()


class PartnerForm(forms.ModelForm):
    class Meta:
        model = Partner
        fields = ["name", "contact_name", "contact_email", "contact_phone", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 4})}


class ReferentForm(forms.Form):
    name = forms.CharField(label=_("Prénom et nom"), max_length=200)
    email = forms.EmailField(label=_("Adresse e-mail"))
    password = forms.CharField(
        label=_("Mot de passe provisoire"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("À communiquer à la personne, qui pourra le changer."),
    )

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class PartnerBookingForm(forms.Form):
    meal = forms.ModelChoiceField(label=_("Repas"), queryset=None)
    name = forms.CharField(label=_("Prénom de la personne"), max_length=200)
    party_size = forms.IntegerField(label=_("Nombre de personnes"), min_value=1, max_value=20, initial=1)
    notes = forms.CharField(label=_("Régime, allergies (facultatif)"), max_length=500, required=False)

    def __init__(self, *args, meals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meal"].queryset = meals
        self.fields["meal"].label_from_instance = _meal_label


def _meal_label(meal) -> str:
    from meals.templatetags.cantine import when

    return f"{when(meal.starts_at)} — {meal.title}"
