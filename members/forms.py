from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm, SetPasswordForm
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from cantine.bounds import DayField
from meals.forms.booking import HealthFields, OnBehalfForm
from meals.idempotency import KeyedForm
from meals.money import AmountField
from members import lockout, services
from members.models import MAX_OVERHEAD, MAX_RADIUS_KM, CantineSettings, Member, Partner, PaymentMethod, Prerequisite


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

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ) -> None:
        """Django's form, queued (meals/outbox.py) instead of sent in the request: a mail server down loses nothing."""
        from django.template import loader

        from meals.emails import queue_account_mail

        subject = "".join(loader.render_to_string(subject_template_name, context).splitlines())
        body = loader.render_to_string(email_template_name, context)
        html = loader.render_to_string(html_email_template_name, context) if html_email_template_name else ""
        member = Member.objects.filter(user=context.get("user")).first() if context.get("user") else None
        queue_account_mail(to=to_email, subject=subject, body=body, html=html, member=member)


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
        fields = ["name", "email", "phone", "street", "postcode", "city", "language", "partner", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 4}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric"}),
        }
        help_texts = {"street": _("L'adresse postale, pour un reçu fiscal de don (facultatif).")}

    def clean_phone(self):
        from members.contacts import InvalidPhone, normalize_phone

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


class PartnerBookingForm(HealthFields, KeyedForm):
    meal = forms.ModelChoiceField(label=_("Repas"), queryset=None)
    name = forms.CharField(label=_("Prénom de la personne"), max_length=200)
    party_size = forms.IntegerField(label=_("Nombre de personnes"), min_value=1, max_value=20, initial=1)
    notes = forms.CharField(label=_("Régime, allergies (facultatif)"), max_length=500, required=False)

    def __init__(self, *args, meals, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meal"].queryset = meals
        self.fields["meal"].label_from_instance = _meal_label
        OnBehalfForm._on_the_phone(self)
        # A first name only: nobody to find again next time, so nothing to remember.
        del self.fields["remember_health"]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has it
        self.helper.layout = self.health_layout()


def _meal_label(meal) -> str:
    from meals.templatetags.cantine import when

    return f"{when(meal.starts_at)} — {meal.title}"


# The cantine's settings (coordinators) -------------------------------------------

# What a plan may be: an image prepared beforehand, recognised by its first bytes (never SVG: it can hold scripts).
MAP_MAX_BYTES = 2 * 1024 * 1024
MAP_SIGNATURES = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
]


def image_type(head: bytes) -> str:
    """The image's content type from its first bytes, or "" when it is none we serve."""
    for signature, content_type in MAP_SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return ""


OVERHEAD_CEILING = Decimal(MAX_OVERHEAD) - Decimal("0.01")


class CantineSettingsForm(forms.ModelForm):
    map_upload = forms.FileField(
        label=_("Plan (une image)"),
        required=False,
        help_text=_(
            "Une image PNG, JPEG ou WebP de 2 Mo au plus, préparée à l'avance : "
            "une capture de plan, un dessin, une photo de la porte."
        ),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,image/gif"}),
    )
    map_remove = forms.BooleanField(label=_("Retirer le plan"), required=False)
    signature_upload = forms.FileField(
        label=_("Signature des reçus (une image, facultatif)"),
        required=False,
        help_text=_("Une image PNG ou JPEG de 2 Mo au plus, imprimée sous le nom du signataire."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    signature_remove = forms.BooleanField(label=_("Retirer la signature"), required=False)
    # « 11,88 » as French people type it (the field of the model is a Decimal).
    volunteer_hourly_rate = AmountField(
        label=capfirst(CantineSettings._meta.get_field("volunteer_hourly_rate").verbose_name),
        help_text=CantineSettings._meta.get_field("volunteer_hourly_rate").help_text,
        required=False,
        ceiling=Decimal("999.99"),
    )
    map_link = forms.URLField(
        label=capfirst(CantineSettings._meta.get_field("map_link").verbose_name),
        help_text=CantineSettings._meta.get_field("map_link").help_text,
        required=False,
        max_length=200,
        assume_scheme="https",
    )

    # Sourcing (meals/sourcing.py): left empty, a figure is 0 (the radius: 150 km).
    local_radius_km = forms.IntegerField(
        label=_("Local : à moins de (km)"),
        required=False,
        min_value=0,
        max_value=MAX_RADIUS_KM,
        help_text=_("Un fournisseur à cette distance de la cantine ou moins compte comme local. 150 si vide."),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    overhead_rent = AmountField(label=_("Loyer et charges, par mois"), required=False, ceiling=OVERHEAD_CEILING)
    overhead_salary = AmountField(label=_("Salaires, par mois"), required=False, ceiling=OVERHEAD_CEILING)
    overhead_energy = AmountField(
        label=_("Énergie (gaz, électricité, eau), par mois"), required=False, ceiling=OVERHEAD_CEILING
    )
    overhead_other = AmountField(label=_("Autres frais, par mois"), required=False, ceiling=OVERHEAD_CEILING)
    SOURCING = ["local_radius_km", "overhead_rent", "overhead_salary", "overhead_energy", "overhead_other"]

    class Meta:
        model = CantineSettings
        fields = [
            "name",
            "street",
            "postcode",
            "city",
            "phone",
            "email",
            "opening_days",
            "directions",
            "step_free_access",
            "toilets",
            "first_visit",
            "price_rule",
            "map_description",
            "map_link",
            "legal_name",
            "receipt_article",
            "association_object",
            "signatory_name",
            "signatory_role",
            "partner_account",
            "volunteer_hourly_rate",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in (
                "opening_days",
                "directions",
                "step_free_access",
                "toilets",
                "first_visit",
                "price_rule",
                "association_object",
            )
        } | {
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
            "postcode": forms.TextInput(attrs={"inputmode": "numeric"}),
        }
        error_messages = {"name": {"required": _("Indiquez le nom de la cantine.")}}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.SOURCING:  # not in Meta.fields: the instance does not fill them by itself
            self.initial.setdefault(name, getattr(self.instance, name))
        plan = ["map_upload", "map_remove", "map_description", "map_link"]
        if not self.instance.has_map:
            del self.fields["map_remove"]
            plan.remove("map_remove")
        # Older forms (and scripts) post neither: the defaults stand.
        self.fields["partner_account"].required = False
        signature = ["signature_upload", "signature_remove"]
        if not self.instance.signature_image_type:
            del self.fields["signature_remove"]
            signature.remove("signature_remove")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True  # the template's <form> has its token
        self.helper.layout = Layout(
            Fieldset(_("La cantine"), "name", "phone", "email"),
            Fieldset(_("L'adresse"), "street", "postcode", "city"),
            Fieldset(_("Pour venir"), "directions", "step_free_access", "toilets"),
            Fieldset(_("L'accueil"), "opening_days", "first_visit", "price_rule"),
            Fieldset(_("Le plan"), *plan),
            Fieldset(
                _("Reçus fiscaux"),
                "legal_name",
                "receipt_article",
                "association_object",
                "signatory_name",
                "signatory_role",
                *signature,
                css_id="receipts",
            ),
            Fieldset(_("Comptabilité"), "partner_account", "volunteer_hourly_rate"),
            Fieldset(_("Approvisionnement et frais du mois (le prix de revient)"), *self.SOURCING),
        )

    def clean_phone(self):
        from members.contacts import InvalidPhone, normalize_phone

        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except InvalidPhone as error:
            raise forms.ValidationError(str(error)) from error

    def clean_postcode(self):
        postcode = self.cleaned_data.get("postcode", "").strip()
        if postcode and not (postcode.isdigit() and postcode.isascii() and len(postcode) in (4, 5)):
            raise forms.ValidationError(_("Ce code postal n'est pas valable : 5 chiffres, par exemple 75019."))
        return postcode

    def clean_email(self):
        return (self.cleaned_data.get("email") or "").strip().lower()

    def clean_map_link(self):
        link = self.cleaned_data.get("map_link", "")
        if link and not link.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Le lien doit commencer par https://."))
        return link

    def clean_map_upload(self):
        upload = self.cleaned_data.get("map_upload")
        if not upload:
            return None
        if upload.size > MAP_MAX_BYTES:
            raise forms.ValidationError(_("Cette image est trop lourde : 2 Mo au plus."))
        content = upload.read()
        content_type = image_type(content[:16])
        if not content_type:
            raise forms.ValidationError(_("Ce fichier n'est pas une image PNG, JPEG, WebP ou GIF."))
        return content, content_type

    def clean_signature_upload(self):
        upload = self.cleaned_data.get("signature_upload")
        if not upload:
            return None
        if upload.size > MAP_MAX_BYTES:
            raise forms.ValidationError(_("Cette image est trop lourde : 2 Mo au plus."))
        content = upload.read()
        content_type = image_type(content[:16])
        if content_type not in ("image/png", "image/jpeg"):
            raise forms.ValidationError(_("Ce fichier n'est pas une image PNG ou JPEG."))
        return content, content_type

    def clean_volunteer_hourly_rate(self):
        rate = self.cleaned_data.get("volunteer_hourly_rate")
        return Decimal("0.00") if rate is None else rate

    def clean_partner_account(self):
        account = (self.cleaned_data.get("partner_account") or "").strip() or "706"
        if not (account.isascii() and account.isdigit() and 3 <= len(account) <= 8):
            raise forms.ValidationError(_("Un numéro de compte du plan comptable, par exemple 706."))
        return account

    def clean(self):
        data = super().clean()
        keeps_a_map = data.get("map_upload") or (self.instance.has_map and not data.get("map_remove"))
        if keeps_a_map and not data.get("map_description", "").strip():
            self.add_error(
                "map_description", _("Dites en une phrase ce que montre le plan, pour qui ne voit pas l'image.")
            )
        return data

    def values(self) -> dict:
        """What ``cantine_settings_update`` writes."""
        values = {name: self.cleaned_data[name] for name in self.Meta.fields}
        radius = self.cleaned_data.get("local_radius_km")
        values["local_radius_km"] = 150 if radius is None else radius
        for name in self.SOURCING[1:]:
            values[name] = self.cleaned_data.get(name) or Decimal("0.00")
        if self.cleaned_data.get("map_upload"):
            values["map_image"], values["map_image_type"] = self.cleaned_data["map_upload"]
        elif self.cleaned_data.get("map_remove"):
            values["map_image"], values["map_image_type"] = b"", ""
        if self.cleaned_data.get("signature_upload"):
            values["signature_image"], values["signature_image_type"] = self.cleaned_data["signature_upload"]
        elif self.cleaned_data.get("signature_remove"):
            values["signature_image"], values["signature_image_type"] = b"", ""
        return values


class AcknowledgeForm(KeyedForm):
    """A volunteer says they read the hygiene rules, or signs the charter (« Avant de venir »)."""

    kind = forms.ChoiceField(
        label=_("Prérequis"),
        choices=[
            (Prerequisite.Kind.HYGIENE, Prerequisite.Kind.HYGIENE.label),
            (Prerequisite.Kind.CHARTER, Prerequisite.Kind.CHARTER.label),
        ],
    )


class PrerequisiteForm(KeyedForm):
    """A coordinator records a prerequisite on a member's page (a trial shift done before the app knew it…)."""

    kind = forms.ChoiceField(label=_("Prérequis"), choices=Prerequisite.Kind.choices)
    note = forms.CharField(label=_("Note (facultatif)"), max_length=300, required=False)
