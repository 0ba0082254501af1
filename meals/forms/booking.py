"""The guest's booking form and the coordinator's "someone phoned" form."""

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout, Submit
from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from meals.idempotency import KeyedForm
from meals.models import ALLERGENS, DIET_LABELS, Shift
from members.contacts import InvalidPhone, normalize_phone

HELP_CHOICES = [
    ("", _("Non merci, je viens seulement manger")),
    (Shift.Role.COOKING, _("Je viens aider en cuisine (le matin)")),
    (Shift.Role.TABLE, _("Je viens mettre la table")),
    (Shift.Role.DISHES, _("Je fais la vaisselle après le repas")),
]


HEALTH_FIELDS = ("allergens", "diets", "health_consent", "remember_health")
HEALTH_LEGEND = _("Allergies et régime")


class HealthFields(forms.Form):
    """The 14 allergens, the diets and the explicit consent (GDPR art. 9): the booking forms' fieldset.

    An allergy or a diet without the consent box ticked is an error of the form: nothing is written.
    """

    allergens = forms.MultipleChoiceField(
        label=_("Allergies (pour vous et les personnes avec vous)"),
        required=False,
        choices=ALLERGENS,
        widget=forms.CheckboxSelectMultiple,
    )
    diets = forms.MultipleChoiceField(
        label=_("Régime"), required=False, choices=DIET_LABELS, widget=forms.CheckboxSelectMultiple
    )
    health_consent = forms.BooleanField(
        label=_("J'accepte que la cantine garde ces informations pour préparer le repas"),
        required=False,
        help_text=_("Elles ne servent qu'à la cuisine et à l'accueil, et sont effacées avec vos données."),
    )
    remember_health = forms.BooleanField(label=_("Se souvenir pour mes prochaines réservations"), required=False)

    def clean(self):
        cleaned = super().clean()
        wants = cleaned.get("allergens") or cleaned.get("diets")
        if wants and not cleaned.get("health_consent") and "health_consent" not in self.errors:
            self.add_error("health_consent", self.consent_message)
        return cleaned

    consent_message = _(
        "Pour noter une allergie ou un régime, cochez la case d'accord (ou décochez les allergies et le régime)."
    )

    def health_layout(self) -> Layout:
        """Every field in order, the health ones in their fieldset after ``party_size`` (or at the end)."""
        names = [name for name in self.fields if name not in HEALTH_FIELDS]
        at = names.index("party_size") + 1 if "party_size" in names else len(names)
        fieldset = Fieldset(HEALTH_LEGEND, *[n for n in HEALTH_FIELDS if n in self.fields], css_class="health-fieldset")
        return Layout(*names[:at], fieldset, *names[at:])


class BookingForm(HealthFields, KeyedForm):
    name = forms.CharField(
        label=_("Votre nom"),
        max_length=200,
        help_text=_("Votre prénom suffit."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    email = forms.EmailField(
        label=_("Votre e-mail"),
        required=False,
        max_length=254,
        help_text=_("Pour recevoir la confirmation. Facultatif si vous donnez un téléphone."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label=_("Votre téléphone"),
        required=False,
        max_length=30,
        help_text=_(
            "Par exemple 06 12 34 56 78. Facultatif si vous donnez un e-mail. Sans e-mail, nous vous écrivons "
            "à ce numéro par SMS, seulement pour cette réservation (confirmation, place libérée, rappel, repas "
            "annulé), jamais de publicité ; un lien dans chaque SMS les arrête."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    party_size = forms.TypedChoiceField(
        label=_("Combien de personnes ?"),
        coerce=int,
        initial=1,
    )
    notes = forms.CharField(
        label=_("Autre chose à nous dire sur un régime ou une allergie ? (facultatif)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    help_with = forms.ChoiceField(
        label=_("Voulez-vous nous donner un coup de main ?"),
        required=False,
        choices=HELP_CHOICES,
        widget=forms.RadioSelect,
    )

    submit_label = _("Je réserve")
    require_contact = True

    def __init__(self, *args, meal=None, **kwargs):
        super().__init__(*args, **kwargs)
        maximum = settings.MAX_PARTY_SIZE
        self.fields["party_size"].choices = [
            (n, _("1 personne (moi)") if n == 1 else _("%(n)s personnes") % {"n": n}) for n in range(1, maximum + 1)
        ]
        self.fields["party_size"].error_messages["invalid_choice"] = _(
            "Choisissez un nombre de personnes entre 1 et %(max)s."
        ) % {"max": maximum}
        if "help_with" in self.fields:
            self.fields["help_with"].initial = ""
        # The template writes the <form> tag (``action``): crispy's own would also put its
        # ``action`` on the radio buttons' <div>, which is not valid HTML.
        self.action = self.action_url(meal) if meal is not None else ""
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_tag = False
        self.helper.layout = self.health_layout()
        self.helper.add_input(Submit("submit", self.submit_label, css_class="btn-primary btn-lg btn-book"))

    def action_url(self, meal) -> str:
        return reverse("meals:book", args=[meal.pk])

    def error_summary(self) -> list[tuple[str, str]]:
        """(link, message) for each error, the form's own first: the summary at the top of the page.

        Each links to its field's input (a radio group: its first button), the missing contact to
        the e-mail; an error of the whole form that no field can fix (the meal is full) has no link.
        """
        items = []
        for error in self.errors.as_data().get(NON_FIELD_ERRORS, []):
            link = f"#{self['email'].auto_id}" if error.code == "missing_contact" else ""
            items += [(link, message) for message in error.messages]
        for name, field in self.fields.items():
            bound = self[name]
            if field.widget.is_hidden:
                continue  # the one-time key: its error is the form's
            link = f"#{bound.auto_id}_0" if isinstance(field.widget, forms.RadioSelect) else f"#{bound.auto_id}"
            items += [(link, message) for message in bound.errors]
        return items

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Indiquez votre nom."))
        return name

    def clean_phone(self) -> str:
        try:
            return normalize_phone(self.cleaned_data.get("phone", ""))
        except InvalidPhone as exc:
            raise forms.ValidationError(str(exc)) from exc

    def clean(self):
        cleaned = super().clean()
        if (
            self.require_contact
            and not cleaned.get("email")
            and not cleaned.get("phone")
            and not self.errors.get("email")
            and not self.errors.get("phone")
        ):
            raise forms.ValidationError(
                _("Laissez-nous un e-mail ou un numéro de téléphone, pour vous prévenir si besoin."),
                code="missing_contact",
            )
        return cleaned


class OnBehalfForm(BookingForm):
    """A coordinator books for someone who phoned: a name is enough."""

    override_capacity = forms.BooleanField(
        label=_("Ajouter même si le repas est complet (place en plus)"),
        required=False,
    )

    submit_label = _("Enregistrer la réservation")
    require_contact = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Nom de la personne")
        self.fields["name"].help_text = ""
        self.fields["email"].label = _("Son e-mail (facultatif)")
        self.fields["email"].help_text = ""
        self.fields["phone"].label = _("Son téléphone (facultatif)")
        self.fields["phone"].help_text = ""
        self.fields["party_size"].label = _("Nombre de personnes")
        self.fields["party_size"].choices = [(n, str(n)) for n in range(1, 21)]
        self.fields["party_size"].error_messages["invalid_choice"] = _(
            "Choisissez un nombre de personnes entre 1 et %(max)s."
        ) % {"max": 20}
        self.fields["notes"].label = _("Régime, allergies, remarque (facultatif)")
        del self.fields["help_with"]
        self._on_the_phone(self)
        self.helper.layout = self.health_layout()

    @staticmethod
    def _on_the_phone(form) -> None:
        """Consent given on the phone: the coordinator (or a partner's referent) ticks it for the person."""
        form.fields["allergens"].label = _("Ses allergies (et celles des personnes avec elle)")
        form.fields["diets"].label = _("Son régime")
        form.fields["health_consent"].label = _(
            "La personne est d'accord pour que la cantine garde ces informations pour préparer le repas"
        )
        form.fields["health_consent"].help_text = _("Demandez-le-lui avant de cocher une allergie ou un régime.")
        if "remember_health" in form.fields:
            form.fields["remember_health"].label = _("Se souvenir pour ses prochaines réservations")

    def action_url(self, meal) -> str:
        return reverse("meals:book_on_behalf", args=[meal.pk])
