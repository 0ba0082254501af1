"""The hygiene logbook (plan de maîtrise sanitaire) of a cooking day: cold units' temperatures, deliveries,
cooling of cooked dishes, the cleaning plan's checks, the morning briefing's attendance (issue 18).

Every entry is signed (``recorded_by``, ``recorded_at``) and never deleted nor edited, like a
contribution: a mistake is corrected by a new entry that ``corrects`` the old one, with a reason;
the old one stays (struck through in the logbook). ``delete()`` refuses, on a row and on a queryset.
The rules (a temperature out of its limits needs a corrective action…) are in the database too.
"""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.bounds import within_days, within_moments
from members.models import Member

# Degrees Celsius a thermometer in a kitchen may show; beyond, a typo.
LOWEST_C = Decimal("-60")
HIGHEST_C = Decimal("150")
FRIDGE_MAX_C = Decimal("4")
FRIDGE_MIN_C = Decimal("0")
FREEZER_MAX_C = Decimal("-18")
# Cooling of a cooked dish (arrêté du 21 décembre 2009): from 63 °C or more to below 10 °C within 2 hours.
COOLING_START_C = Decimal("63")
COOLING_END_C = Decimal("10")
COOLING_WITHIN = timedelta(hours=2)


class NeverDeleted(Exception):
    """A logbook entry is never deleted: correct it with a new entry and a reason."""


class EntryQuerySet(models.QuerySet):
    def delete(self):
        raise NeverDeleted("Hygiene logbook entries are never deleted: correct them.")

    def with_corrected(self):
        """Each entry with ``is_corrected``: a later entry corrects it (one query, whatever the rows)."""
        return self.annotate(is_corrected=models.Exists(self.model.objects.filter(corrects=models.OuterRef("pk"))))


def _degrees(label) -> models.DecimalField:
    return models.DecimalField(label, max_digits=4, decimal_places=1)


def _in_degrees(field: str) -> Q:
    return Q(**{f"{field}__gte": LOWEST_C, f"{field}__lte": HIGHEST_C})


class Entry(models.Model):
    """What every entry of the logbook has: its signature and what it corrects."""

    recorded_at = models.DateTimeField(_("enregistré le"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("signé par")
    )
    corrects = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="corrected_by", verbose_name=_("corrige")
    )
    correction_reason = models.CharField(_("raison de la correction"), max_length=300, blank=True)

    objects = EntryQuerySet.as_manager()

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(corrects__isnull=True) | ~Q(correction_reason=""), name="%(class)s_correction_has_reason"
            ),
            models.CheckConstraint(condition=within_moments("recorded_at"), name="%(class)s_recorded_at_in_range"),
        ]

    def delete(self, *args, **kwargs):
        raise NeverDeleted("A hygiene logbook entry is never deleted: correct it.")

    @property
    def signed_by(self) -> str:
        user = self.recorded_by
        member = getattr(user, "member", None)
        return (member.name if member else "") or user.get_full_name() or user.get_username()


class ColdUnit(models.Model):
    """A fridge or a freezer, with its limits (a fridge 0 to 4 °C by default, a freezer −18 °C or colder)."""

    class Kind(models.TextChoices):
        FRIDGE = "fridge", _("Réfrigérateur")
        FREEZER = "freezer", _("Congélateur")

    name = models.CharField(_("nom"), max_length=100, unique=True)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices, default=Kind.FRIDGE)
    min_c = models.DecimalField(_("minimum (°C)"), max_digits=4, decimal_places=1, null=True, blank=True)
    max_c = _degrees(_("maximum (°C)"))
    active = models.BooleanField(_("en service"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("enceinte froide")
        verbose_name_plural = _("enceintes froides")
        permissions = [("manage_hygiene", _("Peut gérer les enceintes froides et le plan de nettoyage"))]
        constraints = [
            models.CheckConstraint(condition=_in_degrees("max_c"), name="cold_unit_max_in_range"),
            models.CheckConstraint(
                condition=Q(min_c__isnull=True) | (_in_degrees("min_c") & Q(min_c__lte=F("max_c"))),
                name="cold_unit_min_below_max",
            ),
            models.CheckConstraint(condition=Q(kind__in=["fridge", "freezer"]), name="cold_unit_kind_known"),
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def default_limits(cls, kind: str) -> tuple[Decimal | None, Decimal]:
        return (None, FREEZER_MAX_C) if kind == cls.Kind.FREEZER else (FRIDGE_MIN_C, FRIDGE_MAX_C)


def in_limits(value: Decimal, low: Decimal | None, high: Decimal | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


class TemperatureReading(Entry):
    """A cold unit's temperature, with the limits it had then (a unit's limits may change later)."""

    unit = models.ForeignKey(ColdUnit, on_delete=models.PROTECT, related_name="readings", verbose_name=_("enceinte"))
    temperature = _degrees(_("température (°C)"))
    taken_at = models.DateTimeField(_("relevée le"), db_index=True)
    min_c = models.DecimalField(_("minimum (°C)"), max_digits=4, decimal_places=1, null=True, blank=True)
    max_c = _degrees(_("maximum (°C)"))
    corrective_action = models.CharField(_("action corrective"), max_length=500, blank=True)

    class Meta:
        ordering = ["taken_at", "pk"]
        verbose_name = _("relevé de température")
        verbose_name_plural = _("relevés de température")
        permissions = [
            ("record_hygiene", _("Peut remplir le cahier d'hygiène")),
            ("view_logbook", _("Peut lire le cahier d'hygiène du mois")),
        ]
        constraints = [
            *Entry.Meta.constraints,
            models.CheckConstraint(condition=_in_degrees("temperature"), name="reading_temperature_in_range"),
            models.CheckConstraint(condition=within_moments("taken_at"), name="reading_taken_at_in_range"),
            # Out of its limits, a reading says what was done.
            models.CheckConstraint(
                condition=~Q(corrective_action="")
                | (
                    (Q(min_c__isnull=True) | Q(temperature__gte=F("min_c")))
                    & (Q(max_c__isnull=True) | Q(temperature__lte=F("max_c")))
                ),
                name="reading_out_of_range_has_action",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.temperature} °C"

    @property
    def out_of_range(self) -> bool:
        return not in_limits(self.temperature, self.min_c, self.max_c)


class Delivery(Entry):
    """Goods received: who from, what, its lot and use-by date, its temperature if chilled or frozen."""

    class Storage(models.TextChoices):
        AMBIENT = "ambient", _("Ambiant (épicerie)")
        CHILLED = "chilled", _("Frais (réfrigéré)")
        FROZEN = "frozen", _("Surgelé")

    # The limit at reception, per storage (°C, at most).
    LIMITS = {Storage.CHILLED: FRIDGE_MAX_C, Storage.FROZEN: FREEZER_MAX_C}

    received_on = models.DateField(_("reçue le"), db_index=True)
    supplier = models.ForeignKey(
        "meals.Supplier",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("fournisseur"),
    )
    supplier_name = models.CharField(_("fournisseur (nom)"), max_length=200, blank=True)
    product = models.CharField(_("produit"), max_length=200)
    lot = models.CharField(_("numéro de lot"), max_length=100, blank=True)
    use_by = models.DateField(_("DLC"), null=True, blank=True)
    storage = models.CharField(_("conservation"), max_length=8, choices=Storage.choices, default=Storage.CHILLED)
    temperature = models.DecimalField(_("température (°C)"), max_digits=4, decimal_places=1, null=True, blank=True)
    limit_c = models.DecimalField(_("limite (°C)"), max_digits=4, decimal_places=1, null=True, blank=True)
    accepted = models.BooleanField(_("acceptée"), default=True)
    corrective_action = models.CharField(_("action corrective ou motif du refus"), max_length=500, blank=True)
    purchase_line = models.ForeignKey(
        "meals.PurchaseLine",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
        verbose_name=_("ligne d'achat"),
    )

    class Meta:
        ordering = ["received_on", "recorded_at", "pk"]
        verbose_name = _("réception de marchandise")
        verbose_name_plural = _("réceptions de marchandises")
        constraints = [
            *Entry.Meta.constraints,
            models.CheckConstraint(condition=within_days("received_on"), name="delivery_received_on_in_range"),
            models.CheckConstraint(
                condition=Q(use_by__isnull=True) | within_days("use_by"), name="delivery_use_by_in_range"
            ),
            models.CheckConstraint(
                condition=Q(supplier__isnull=False) | ~Q(supplier_name=""), name="delivery_names_its_supplier"
            ),
            models.CheckConstraint(
                condition=Q(storage="ambient") | (Q(temperature__isnull=False) & Q(limit_c__isnull=False)),
                name="delivery_chilled_has_temperature",
            ),
            models.CheckConstraint(
                condition=Q(temperature__isnull=True) | _in_degrees("temperature"),
                name="delivery_temperature_in_range",
            ),
            models.CheckConstraint(
                condition=~Q(corrective_action="")
                | (
                    Q(accepted=True)
                    & (Q(temperature__isnull=True) | Q(temperature__lte=F("limit_c")))
                    & (Q(use_by__isnull=True) | Q(use_by__gte=F("received_on")))
                ),
                name="delivery_out_of_rule_has_action",
            ),
            models.CheckConstraint(
                condition=Q(storage__in=["ambient", "chilled", "frozen"]), name="delivery_storage_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.product} ({self.received_on:%Y-%m-%d})"

    @property
    def supplier_label(self) -> str:
        return self.supplier.name if self.supplier_id else self.supplier_name

    @property
    def too_warm(self) -> bool:
        return self.temperature is not None and self.limit_c is not None and self.temperature > self.limit_c

    @property
    def past_use_by(self) -> bool:
        return self.use_by is not None and self.use_by < self.received_on

    @property
    def out_of_rule(self) -> bool:
        return self.too_warm or self.past_use_by or not self.accepted


def cooling_in_rule(*, started_at, start_c: Decimal, ended_at, end_c: Decimal) -> bool:
    """63 °C or more at the start, below 10 °C at the end, within 2 hours."""
    return start_c >= COOLING_START_C and end_c < COOLING_END_C and ended_at - started_at <= COOLING_WITHIN


class Cooling(Entry):
    """A cooked dish cooled fast: from 63 °C or more to below 10 °C within 2 hours (core temperatures)."""

    dish = models.CharField(_("plat"), max_length=200)
    meal = models.ForeignKey(
        "meals.Meal", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("repas")
    )
    started_at = models.DateTimeField(_("début"), db_index=True)
    start_c = _degrees(_("température au début (°C)"))
    ended_at = models.DateTimeField(_("fin"))
    end_c = _degrees(_("température à la fin (°C)"))
    corrective_action = models.CharField(_("action corrective"), max_length=500, blank=True)

    class Meta:
        ordering = ["started_at", "pk"]
        verbose_name = _("refroidissement")
        verbose_name_plural = _("refroidissements")
        constraints = [
            *Entry.Meta.constraints,
            models.CheckConstraint(condition=within_moments("started_at"), name="cooling_started_at_in_range"),
            models.CheckConstraint(condition=Q(ended_at__gte=F("started_at")), name="cooling_ends_after_start"),
            models.CheckConstraint(condition=_in_degrees("start_c") & _in_degrees("end_c"), name="cooling_in_degrees"),
            # The temperatures' half of the rule (the 2 hours are the service's: a date sum in a SQLite
            # check constraint would call one of Django's own functions, unknown to any other client).
            models.CheckConstraint(
                condition=~Q(corrective_action="") | (Q(start_c__gte=COOLING_START_C) & Q(end_c__lt=COOLING_END_C)),
                name="cooling_out_of_rule_has_action",
            ),
        ]

    def __str__(self) -> str:
        return self.dish

    @property
    def out_of_rule(self) -> bool:
        return not cooling_in_rule(
            started_at=self.started_at, start_c=self.start_c, ended_at=self.ended_at, end_c=self.end_c
        )

    @property
    def minutes(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds() // 60)


class CleaningTask(models.Model):
    """A line of the cleaning plan: what, where, how often."""

    class Frequency(models.TextChoices):
        DAILY = "daily", _("Chaque jour de cuisine")
        WEEKLY = "weekly", _("Chaque semaine")

    area = models.CharField(_("zone"), max_length=100)
    name = models.CharField(_("tâche"), max_length=200)
    frequency = models.CharField(_("fréquence"), max_length=8, choices=Frequency.choices, default=Frequency.DAILY)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["frequency", "area", "name", "pk"]
        verbose_name = _("tâche de nettoyage")
        verbose_name_plural = _("plan de nettoyage")
        constraints = [
            models.UniqueConstraint(fields=["area", "name"], name="cleaning_task_once_per_area"),
            models.CheckConstraint(condition=Q(frequency__in=["daily", "weekly"]), name="cleaning_frequency_known"),
        ]

    def __str__(self) -> str:
        return f"{self.area} — {self.name}"


class CleaningCheck(Entry):
    """A task of the cleaning plan done (or, as a correction, not done after all) on a day, signed."""

    task = models.ForeignKey(CleaningTask, on_delete=models.PROTECT, related_name="checks", verbose_name=_("tâche"))
    day = models.DateField(_("jour"), db_index=True)
    done = models.BooleanField(_("fait"), default=True)
    note = models.CharField(_("remarque"), max_length=300, blank=True)

    class Meta:
        ordering = ["day", "recorded_at", "pk"]
        verbose_name = _("nettoyage fait")
        verbose_name_plural = _("nettoyages faits")
        constraints = [
            *Entry.Meta.constraints,
            models.CheckConstraint(condition=within_days("day"), name="cleaning_check_day_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.task_id} {self.day:%Y-%m-%d}"


class Briefing(Entry):
    """The morning hygiene briefing: who gave it, who attended (the people who cooked)."""

    day = models.DateField(_("jour"), db_index=True)
    meal = models.ForeignKey(
        "meals.Meal", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("repas")
    )
    given_by = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="briefings_given", verbose_name=_("donné par")
    )
    attendees = models.ManyToManyField(Member, related_name="briefings_attended", verbose_name=_("présents"))

    class Meta:
        ordering = ["day", "recorded_at", "pk"]
        verbose_name = _("consignes d'hygiène du matin")
        verbose_name_plural = _("consignes d'hygiène du matin")
        constraints = [
            *Entry.Meta.constraints,
            models.CheckConstraint(condition=within_days("day"), name="briefing_day_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d}"
