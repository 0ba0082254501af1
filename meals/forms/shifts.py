from django import forms
from django.utils.translation import gettext_lazy as _

from meals.idempotency import KeyedForm
from meals.models import ShiftSignup, ShiftTemplate
from members.models import Member, Prerequisite
from members.roles import VOLUNTEER


class AssignVolunteerForm(KeyedForm):
    """The coordinator puts a volunteer on a shift."""

    member = forms.ModelChoiceField(
        label=_("Bénévole"),
        queryset=Member.objects.none(),
        empty_label=_("Choisir un·e bénévole…"),
    )
    # A volunteer who lacks a prerequisite of the role (meals/readiness.py): the coordinator was warned.
    override = forms.BooleanField(label=_("Inscrire quand même"), required=False)

    def __init__(self, *args, volunteers=None, **kwargs):
        super().__init__(*args, **kwargs)
        if volunteers is not None:
            # Already loaded by the page: reuse the list instead of one query per select.
            self.fields["member"].queryset = Member.objects.filter(pk__in=[v.pk for v in volunteers])
            self.fields["member"].choices = [("", self.fields["member"].empty_label)] + [
                (v.pk, v.name) for v in volunteers
            ]
        else:
            self.fields["member"].queryset = Member.objects.active().filter(
                user__is_active=True, user__groups__name=VOLUNTEER
            )


class ShiftTemplateForm(forms.ModelForm):
    requires = forms.MultipleChoiceField(
        label=_("Prérequis pour ce rôle"),
        choices=Prerequisite.Kind.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_(
            "Sans la charte ou les consignes d'hygiène, pas de créneau de ce rôle ; "
            "sans créneau d'essai, seulement ceux « avec un·e bénévole expérimenté·e »."
        ),
    )

    class Meta:
        model = ShiftTemplate
        fields = [
            "role",
            "minutes_before_meal",
            "duration_minutes",
            "slots",
            "description",
            "active",
            "requires",
            "accompanied",
        ]
        help_texts = {
            "minutes_before_meal": _(
                "Par exemple 180 pour 9 h 30 si le repas est à 12 h 30 ; négatif : après le début."
            ),
        }


class AttendanceForm(KeyedForm):
    """One tap on the attendance page: this person came, or did not."""

    attended = forms.ChoiceField(
        label=_("Présence"),
        choices=[(ShiftSignup.Attendance.CAME, _("venu·e")), (ShiftSignup.Attendance.ABSENT, _("pas venu·e"))],
    )
