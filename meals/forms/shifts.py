from django import forms
from django.utils.translation import gettext_lazy as _

from meals.idempotency import KeyedForm
from meals.models import ShiftTemplate
from members.models import Member
from members.roles import VOLUNTEER


class AssignVolunteerForm(KeyedForm):
    """The coordinator puts a volunteer on a shift."""

    member = forms.ModelChoiceField(
        label=_("Bénévole"),
        queryset=Member.objects.none(),
        empty_label=_("Choisir un·e bénévole…"),
    )

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
    class Meta:
        model = ShiftTemplate
        fields = ["role", "minutes_before_meal", "duration_minutes", "slots", "description", "active"]
        help_texts = {
            "minutes_before_meal": _(
                "Par exemple 180 pour 9 h 30 si le repas est à 12 h 30 ; négatif : après le début."
            ),
        }
