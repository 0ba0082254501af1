from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.bounds import DayField
from meals.idempotency import KeyedForm
from members import lockout, services
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


class ThrottledPasswordResetForm(PasswordResetForm):
    """Django's form, which sends nothing more once the IP or the address asked too often.

    The page answers the same either way: whether a mail left says nothing of the address.
    """

    def save(self, *, request=None, **kwargs) -> None:
        email, rate = self.cleaned_data["email"], settings.PASSWORD_RESET_RATE_LIMIT
        if services.account_mail_limited(request, scope="password-reset", email=email, ip_rate=rate):
            return
        super().save(request=request, **kwargs)


class UnlockingSetPasswordForm(SetPasswordForm):
    """A new password through the emailed link also lifts a lockout on that address: its owner is back."""

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        lockout.forget_address(user)
        return user


class UnlockForm(forms.Form):
    username = forms.CharField(max_length=lockout.USERNAME_LENGTH, required=False)
    ip_address = forms.GenericIPAddressField(required=False)

    def clean(self):
        data = super().clean()
        if bool(data.get("username")) == bool(data.get("ip_address")):
            raise forms.ValidationError(_("Choisissez une adresse e-mail ou une adresse IP à débloquer."))
        return data


# Volunteers' sign-up ----------------------------------------------------------


class VolunteerSignupForm(forms.Form):
    name = forms.CharField(
        label=_("Votre prénom et votre nom"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Adresse e-mail"),
        help_text=_("Nous y envoyons un lien pour confirmer. Elle vous servira à vous connecter."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError(_("Indiquez votre nom."))
        return name

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class VolunteerPasswordForm(forms.Form):
    """The password of a new volunteer, chosen on the page the emailed link opens."""

    password1 = forms.CharField(
        label=_("Choisissez un mot de passe"),
        strip=False,
        help_text=_("Au moins 10 caractères, pas trop simple."),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label=_("Le même mot de passe, encore une fois"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, name: str, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.name, self.email = name, email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("password1"), cleaned.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("Les deux mots de passe ne sont pas les mêmes."))
        elif first:
            user = get_user_model()(username=self.email, email=self.email, first_name=self.name)
            try:
                validate_password(first, user)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned


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


class PartnerBookingForm(KeyedForm):
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
