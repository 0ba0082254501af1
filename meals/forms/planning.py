"""Forms of the planning pages: one meal, a series, a cancellation, a seat block."""

from datetime import time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.bounds import DayField, MomentField
from meals.idempotency import KeyedForm
from meals.models import ALLERGENS, DIET_LABELS, Meal
from meals.services.planning import MealTimes

WEEKDAYS = [
    (0, _("Lundi")),
    (1, _("Mardi")),
    (2, _("Mercredi")),
    (3, _("Jeudi")),
    (4, _("Vendredi")),
    (5, _("Samedi")),
    (6, _("Dimanche")),
]

CLOSES_ON = [
    ("day", _("le jour du repas")),
    ("day_before", _("la veille")),
]


class TimeInput(forms.TimeInput):
    input_type = "time"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


class MenuFields(KeyedForm):
    """What is on the plate and how many seats: shared by one meal and a series."""

    title = forms.CharField(label=_("Titre"), max_length=200, initial=_("Déjeuner partagé"))
    starter = forms.CharField(label=_("Entrée"), max_length=300, required=False)
    main = forms.CharField(label=_("Plat"), max_length=300, required=False)
    dessert = forms.CharField(label=_("Dessert"), max_length=300, required=False)
    allergens = forms.MultipleChoiceField(
        label=_("Allergènes"), choices=ALLERGENS, required=False, widget=forms.CheckboxSelectMultiple
    )
    diet_labels = forms.MultipleChoiceField(
        label=_("Régimes"), choices=DIET_LABELS, required=False, widget=forms.CheckboxSelectMultiple
    )
    organic_share = forms.IntegerField(label=_("Part de bio (%)"), min_value=0, max_value=100, initial=0)
    local_share = forms.IntegerField(label=_("Part de local (%)"), min_value=0, max_value=100, initial=0)
    capacity = forms.IntegerField(label=_("Nombre de places"), min_value=1, max_value=500, initial=40)
    cost_price = forms.DecimalField(
        label=_("Prix de revient par couvert (€)"),
        min_value=0,
        max_digits=6,
        decimal_places=2,
        initial="9.00",
    )
    cooking_time = forms.TimeField(label=_("Début de la cuisine"), initial=time(9, 30), widget=TimeInput)
    meal_time = forms.TimeField(label=_("Heure du repas"), initial=time(12, 30), widget=TimeInput)
    end_time = forms.TimeField(label=_("Fin"), initial=time(14, 30), widget=TimeInput)
    opens_days_before = forms.IntegerField(
        label=_("Ouverture des réservations (jours avant le repas)"), min_value=0, max_value=120, initial=14
    )
    closes_time = forms.TimeField(label=_("Clôture des réservations à"), initial=time(10, 0), widget=TimeInput)
    closes_on = forms.ChoiceField(
        label=_("Jour de clôture"), choices=CLOSES_ON, initial="day", widget=forms.RadioSelect
    )

    menu_fields = ("title", "starter", "main", "dessert", "allergens", "diet_labels")
    value_fields = menu_fields + ("organic_share", "local_share", "capacity", "cost_price")

    def clean(self):
        data = super().clean()
        cooking, start, end = data.get("cooking_time"), data.get("meal_time"), data.get("end_time")
        if start and end and end <= start:
            self.add_error("end_time", _("La fin du repas doit être après son début."))
        if cooking and start and cooking > start:
            self.add_error("cooking_time", _("La cuisine doit commencer avant le repas."))
        return data

    def meal_values(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.value_fields}

    def meal_times(self) -> MealTimes:
        data = self.cleaned_data
        return MealTimes(
            cooking_time=data["cooking_time"],
            meal_time=data["meal_time"],
            end_time=data["end_time"],
            opens_days_before=data["opens_days_before"],
            closes_time=data["closes_time"],
            closes_day_before=data["closes_on"] == "day_before",
        )


class MealForm(MenuFields):
    day = DayField(label=_("Date"), widget=DateInput)

    field_order = ["day", "title"]

    @classmethod
    def initial_for(cls, meal: Meal) -> dict:
        times = MealTimes.of(meal)
        initial = {name: getattr(meal, name) for name in cls.value_fields}
        initial.update(
            day=timezone.localtime(meal.starts_at).date(),
            cooking_time=times.cooking_time,
            meal_time=times.meal_time,
            end_time=times.end_time,
            opens_days_before=times.opens_days_before,
            closes_time=times.closes_time,
            closes_on="day_before" if times.closes_day_before else "day",
        )
        return initial


class MealEditForm(MealForm):
    SCOPE_ONE = "one"
    SCOPE_FUTURE = "future"
    scope = forms.ChoiceField(
        label=_("Modifier"),
        choices=[
            (SCOPE_ONE, _("ce repas seulement")),
            (SCOPE_FUTURE, _("tous les repas à venir de la série servis à cette heure-là")),
        ],
        initial=SCOPE_ONE,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, meal: Meal, **kwargs):
        super().__init__(*args, **kwargs)
        self.meal = meal
        if meal.series_id is None:
            del self.fields["scope"]
        else:
            self.order_fields(["scope"])

    def clean(self):
        data = super().clean()
        if data.get("scope") == self.SCOPE_FUTURE and data.get("day") and self.meal.starts_at:
            if data["day"] != timezone.localtime(self.meal.starts_at).date():
                self.add_error("day", _("Pour toute la série, on ne change pas la date : modifiez ce repas seul."))
        return data


class SeriesForm(MenuFields):
    weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours de la semaine"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = DayField(label=_("Du"), widget=DateInput)
    ends_on = DayField(label=_("Au (inclus)"), widget=DateInput)
    dinner_weekdays = forms.TypedMultipleChoiceField(
        label=_("Jours avec un dîner (facultatif)"),
        choices=WEEKDAYS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    dinner_title = forms.CharField(
        label=_("Titre du dîner"), max_length=200, required=False, initial=_("Dîner partagé")
    )
    dinner_cooking_time = forms.TimeField(
        required=False, label=_("Début de la cuisine du dîner"), initial=time(16, 30), widget=TimeInput
    )
    dinner_time = forms.TimeField(required=False, label=_("Heure du dîner"), initial=time(19, 30), widget=TimeInput)
    dinner_end_time = forms.TimeField(required=False, label=_("Fin du dîner"), initial=time(21, 30), widget=TimeInput)

    field_order = [
        "title",
        "weekdays",
        "starts_on",
        "ends_on",
        *MenuFields.value_fields[1:],
        "cooking_time",
        "meal_time",
        "end_time",
        "dinner_weekdays",
        "dinner_title",
        "dinner_cooking_time",
        "dinner_time",
        "dinner_end_time",
    ]

    def clean(self):
        data = super().clean()
        if not data.get("weekdays") and not data.get("dinner_weekdays"):
            self.add_error("weekdays", _("Choisissez au moins un jour de la semaine."))
        cooking, start, end = (data.get(f"dinner_{name}") for name in ("cooking_time", "time", "end_time"))
        if data.get("dinner_weekdays") and not (cooking and start and end):
            self.add_error("dinner_time", _("Indiquez les heures du dîner."))
        if start and end and end <= start:
            self.add_error("dinner_end_time", _("La fin du repas doit être après son début."))
        if cooking and start and cooking > start:
            self.add_error("dinner_cooking_time", _("La cuisine doit commencer avant le repas."))
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on:
            if ends_on < starts_on:
                self.add_error("ends_on", _("La date de fin doit être après la date de début."))
            elif ends_on - starts_on > timedelta(days=366):
                self.add_error("ends_on", _("Une série dure au plus un an."))
        return data

    def dinner(self):
        from dataclasses import replace

        from meals.services.planning import SeriesDinner

        data = self.cleaned_data
        if not data.get("dinner_weekdays"):
            return None
        times = replace(
            self.meal_times(),
            cooking_time=data["dinner_cooking_time"],
            meal_time=data["dinner_time"],
            end_time=data["dinner_end_time"],
        )
        title = data.get("dinner_title") or str(_("Dîner partagé"))
        return SeriesDinner(weekdays=data["dinner_weekdays"], times=times, title=title)


class CancelMealForm(KeyedForm):
    reason = forms.CharField(
        label=_("Raison (elle figure dans le message envoyé)"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class SeatBlockForm(KeyedForm):
    partner = forms.ModelChoiceField(label=_("Association partenaire"), queryset=None)
    seats = forms.IntegerField(label=_("Places réservées"), min_value=1, max_value=500)
    release_at = MomentField(
        label=_("Libérées pour le public le"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args, **kwargs):
        from members.models import Partner

        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = Partner.objects.all()
