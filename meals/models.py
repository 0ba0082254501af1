from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine import bounds
from cantine.bounds import within_days, within_moments
from meals.cache import WatchedQuerySet
from members.models import Member, Partner, PaymentMethod, new_token

# The 14 allergens that EU regulation 1169/2011 requires a menu to declare.
ALLERGENS = [
    ("gluten", _("Gluten")),
    ("crustaceans", _("Crustacés")),
    ("eggs", _("Œufs")),
    ("fish", _("Poisson")),
    ("peanuts", _("Arachides")),
    ("soy", _("Soja")),
    ("milk", _("Lait")),
    ("nuts", _("Fruits à coque")),
    ("celery", _("Céleri")),
    ("mustard", _("Moutarde")),
    ("sesame", _("Sésame")),
    ("sulphites", _("Sulfites")),
    ("lupin", _("Lupin")),
    ("molluscs", _("Mollusques")),
]

# What a meal is labelled as meeting, and what a guest may need (meals/allergies.py says which meets which).
# « halal » was once labelled « Sans porc »: migration 0015 turned it into ``no_pork``.
DIET_LABELS = [
    ("vegetarian", _("Végétarien")),
    ("vegan", _("Végétalien")),
    ("no_pork", _("Sans porc")),
    ("halal", _("Halal")),
    ("kosher", _("Casher")),
    ("gluten_free", _("Sans gluten")),
]


class MealSeries(models.Model):
    """Meals planned together (e.g. every Tuesday lunch until June)."""

    title = models.CharField(_("titre"), max_length=200)
    # What the series was generated from (planning); each meal keeps its own copy.
    weekdays = models.JSONField(_("jours de la semaine"), default=list, blank=True)
    starts_on = models.DateField(_("du"), null=True, blank=True)
    ends_on = models.DateField(_("au"), null=True, blank=True)
    meal_time = models.TimeField(_("heure du repas"), null=True, blank=True)
    capacity = models.PositiveIntegerField(_("nombre de places"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WatchedQuerySet.as_manager()

    class Meta:
        verbose_name = _("série de repas")
        verbose_name_plural = _("séries de repas")
        constraints = [
            models.CheckConstraint(
                condition=(Q(starts_on__isnull=True) | within_days("starts_on"))
                & (Q(ends_on__isnull=True) | within_days("ends_on")),
                name="meal_series_days_in_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(capacity__lte=bounds.MAX_SEATS),
                name="meal_series_capacity_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MealQuerySet(WatchedQuerySet):
    def scheduled(self):
        return self.filter(status=Meal.Status.SCHEDULED)

    def upcoming(self, *, days: int = 14, now=None):
        now = now or timezone.now()
        return (
            self.scheduled()
            .filter(ends_at__gte=now, starts_at__lte=now + timedelta(days=days))
            .with_held_seats(now=now)
        )

    def with_held_seats(self, *, now=None, exclude_partner=None):
        """Annotate ``held_seats``: unused seats of partner blocks not yet released (one query for a list).

        The one definition of held seats: the pages show it, and ``seats_available``
        counts it under the meal lock (``exclude_partner``: a partner draws from its own block).
        """
        from django.db.models import OuterRef, Subquery, Sum
        from django.db.models.functions import Coalesce, Greatest

        now = now or timezone.now()
        used = (
            Booking.objects.filter(meal=OuterRef("meal"), partner=OuterRef("partner"), status=Booking.Status.CONFIRMED)
            .order_by()
            .values("meal")
            .annotate(total=Sum("party_size"))
            .values("total")
        )
        blocks = SeatBlock.objects.filter(meal=OuterRef("pk"), release_at__gt=now)
        if exclude_partner is not None:
            blocks = blocks.exclude(partner=exclude_partner)
        held = (
            blocks.annotate(unused=Greatest(F("seats") - Coalesce(Subquery(used), 0), 0))
            .values("meal")
            .annotate(total=Sum("unused"))
            .values("total")
        )
        return self.annotate(held_seats=Coalesce(Subquery(held), 0))


class Meal(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Prévu")
        CANCELLED = "cancelled", _("Annulé")

    title = models.CharField(_("titre"), max_length=200, default=_("Déjeuner"))
    series = models.ForeignKey(MealSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="meals")
    cooking_starts_at = models.DateTimeField(_("début de la cuisine"))
    starts_at = models.DateTimeField(_("début du repas"), db_index=True)
    ends_at = models.DateTimeField(_("fin"))
    starter = models.CharField(_("entrée"), max_length=300, blank=True)
    main = models.CharField(_("plat"), max_length=300, blank=True)
    dessert = models.CharField(_("dessert"), max_length=300, blank=True)
    allergens = models.JSONField(_("allergènes"), default=list, blank=True)
    diet_labels = models.JSONField(_("régimes"), default=list, blank=True)
    organic_share = models.PositiveSmallIntegerField(_("part de bio (%)"), default=0)
    local_share = models.PositiveSmallIntegerField(_("part de local (%)"), default=0)
    capacity = models.PositiveIntegerField(_("nombre de places"), default=40)
    # Seats of confirmed bookings and walk-ins. Only meals.services writes it,
    # under a row lock, so the check constraint below is the last line of defence.
    seats_taken = models.PositiveIntegerField(default=0, editable=False)
    # Seats the coordinator squeezed in beyond capacity, on purpose.
    extra_seats = models.PositiveIntegerField(default=0, editable=False)
    booking_opens_at = models.DateTimeField(_("ouverture des réservations"))
    booking_closes_at = models.DateTimeField(_("clôture des réservations"))
    cost_price = models.DecimalField(
        _("prix de revient par couvert"), max_digits=6, decimal_places=2, default=Decimal("9.00")
    )
    # The typed cost price above is shown as it is when the coordinator says so (with why), or when no
    # purchase is linked to the meal; otherwise the page shows food + overheads per cover (meals/sourcing.py).
    cost_price_overridden = models.BooleanField(_("prix de revient fixé à la main"), default=False)
    cost_price_note = models.CharField(_("pourquoi ce prix"), max_length=300, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("raison de l'annulation"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MealQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("repas")
        verbose_name_plural = _("repas")
        permissions = [
            ("plan_meals", _("Peut planifier les repas")),
            ("run_door", _("Peut tenir l'accueil (pointage, participations)")),
            ("view_reports", _("Peut voir les bilans")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(seats_taken__lte=F("capacity") + F("extra_seats")),
                name="meal_seats_within_capacity",
            ),
            models.CheckConstraint(condition=Q(cost_price__gte=0), name="meal_cost_price_not_negative"),
            models.CheckConstraint(condition=Q(ends_at__gte=F("starts_at")), name="meal_ends_after_start"),
            models.CheckConstraint(
                condition=Q(organic_share__lte=100) & Q(local_share__lte=100), name="meal_shares_are_percent"
            ),
            models.CheckConstraint(
                condition=within_moments("cooking_starts_at")
                & within_moments("starts_at")
                & within_moments("ends_at")
                & within_moments("booking_opens_at")
                & within_moments("booking_closes_at"),
                name="meal_times_in_range",
            ),
            models.CheckConstraint(
                condition=Q(capacity__lte=bounds.MAX_SEATS) & Q(cost_price__lt=bounds.MAX_COST_PRICE),
                name="meal_numbers_in_range",
            ),
            models.CheckConstraint(
                condition=Q(cost_price_overridden=False) | ~Q(cost_price_note=""),
                name="meal_cost_price_override_has_note",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} — {timezone.localtime(self.starts_at):%Y-%m-%d %H:%M}"

    @property
    def seats_left(self) -> int:
        """Seats the public may still book: partner seats held until their release are not free."""
        held = self.__dict__.get("held_seats")  # annotated by with_held_seats() on lists
        if held is None:
            held = Meal.objects.with_held_seats().values_list("held_seats", flat=True).get(pk=self.pk) if self.pk else 0
        return max(self.capacity - self.seats_taken - held, 0)

    @property
    def is_full(self) -> bool:
        return self.seats_left <= 0

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED

    def is_open_for_booking(self, now=None) -> bool:
        now = now or timezone.now()
        return not self.is_cancelled and self.booking_opens_at <= now < self.booking_closes_at


class Booking(models.Model):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmée")
        WAITLISTED = "waitlisted", _("Liste d'attente")
        CANCELLED = "cancelled", _("Annulée")

    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="bookings")
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings")
    # Contact details as given for this booking; erased with the member (GDPR).
    name = models.CharField(_("nom"), max_length=200, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    party_size = models.PositiveSmallIntegerField(_("nombre de personnes"), default=1)
    notes = models.CharField(_("régime, allergies"), max_length=500, blank=True)
    # Health data (GDPR art. 9): the guest's allergens and diets (codes of ALLERGENS and DIET_LABELS), kept only
    # with their explicit consent (when it was given); erased with the member.
    allergens = models.JSONField(_("allergies"), default=list, blank=True)
    diets = models.JSONField(_("régimes"), default=list, blank=True)
    health_consent_at = models.DateTimeField(_("accord pour les allergies le"), null=True, blank=True)
    language = models.CharField(max_length=8, default="fr")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.CONFIRMED, db_index=True)
    is_walk_in = models.BooleanField(_("sans réservation"), default=False)
    over_capacity = models.BooleanField(_("en surnombre"), default=False)
    partner = models.ForeignKey(Partner, null=True, blank=True, on_delete=models.SET_NULL, related_name="bookings")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    promoted_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The help offered when booking (a shift role). A confirmed guest takes the
    # slot at once; a waitlisted one only when a seat frees up for them.
    help_with = models.CharField(_("coup de main proposé"), max_length=16, blank=True)
    # The short code of the links in its SMS (/r/<code>, /s/<code>), made with the first SMS.
    sms_code = models.CharField(max_length=10, unique=True, null=True, blank=True, editable=False)
    # Promoted on the day, with a phone only: the door desk lists them « à appeler » until ticked off.
    call_needed = models.BooleanField(_("à appeler"), default=False)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("réservation")
        verbose_name_plural = _("réservations")
        permissions = [
            ("book_on_behalf", _("Peut réserver pour quelqu'un d'autre")),
            ("book_for_partner", _("Peut réserver pour les personnes accompagnées")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(party_size__gte=1), name="booking_party_size_positive"),
            models.CheckConstraint(condition=Q(party_size__lte=bounds.MAX_PARTY), name="booking_party_size_in_range"),
            models.UniqueConstraint(
                fields=["meal", "email"],
                condition=~Q(status="cancelled") & ~Q(email=""),
                name="one_live_booking_per_email",
            ),
            models.UniqueConstraint(
                fields=["meal", "phone"],
                condition=~Q(status="cancelled") & ~Q(phone=""),
                name="one_live_booking_per_phone",
            ),
        ]
        indexes = [models.Index(fields=["meal", "status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.name or _('Sans nom')} ×{self.party_size}"

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.CANCELLED


class HasSlots:
    """Something with ``slots`` places of which ``taken`` are taken (a shift, or a row of the board)."""

    slots: int
    taken: int

    @property
    def hands_needed(self) -> int:
        return max(self.slots - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.slots


class Shift(HasSlots, models.Model):
    class Role(models.TextChoices):
        COOKING = "cooking", _("Cuisine")
        TABLE = "table", _("Mise de table")
        DISHES = "dishes", _("Vaisselle")
        WELCOME = "welcome", _("Accueil")

    meal = models.ForeignKey(Meal, on_delete=models.CASCADE, related_name="shifts")
    role = models.CharField(max_length=16, choices=Role.choices)
    starts_at = models.DateTimeField(_("début"))
    ends_at = models.DateTimeField(_("fin"))
    slots = models.PositiveSmallIntegerField(_("places"), default=4)
    # Filled slots; written only by meals.services under a row lock.
    taken = models.PositiveSmallIntegerField(default=0, editable=False)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # A newcomer (no trial shift yet) may claim these only: someone experienced shows them the ropes.
    accompanied = models.BooleanField(_("avec un·e bénévole expérimenté·e"), default=False)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "role"]
        verbose_name = _("créneau")
        verbose_name_plural = _("créneaux")
        constraints = [
            models.UniqueConstraint(fields=["meal", "role"], name="one_shift_per_role_per_meal"),
            models.CheckConstraint(condition=Q(taken__lte=F("slots")), name="shift_taken_within_slots"),
            models.CheckConstraint(
                condition=within_moments("starts_at")
                & within_moments("ends_at")
                & Q(slots__lte=bounds.MAX_SHIFT_SLOTS),
                name="shift_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} — {self.meal}"


# The shifts a guest may offer to help with when booking (the door's welcome is for volunteers).
HELP_ROLES = (Shift.Role.COOKING, Shift.Role.TABLE, Shift.Role.DISHES)


class ShiftTemplate(models.Model):
    """One row of the shifts every new meal gets (coordinators edit it; built-in default when empty)."""

    role = models.CharField(_("rôle"), max_length=16, choices=Shift.Role.choices, unique=True)
    # Minutes before the meal starts (negative: after it starts, e.g. the washing-up).
    minutes_before_meal = models.IntegerField(
        _("début, en minutes avant le repas"),
        validators=[
            MinValueValidator(-bounds.MINUTES_AROUND_MEAL),
            MaxValueValidator(bounds.MINUTES_AROUND_MEAL),
        ],
    )
    duration_minutes = models.PositiveSmallIntegerField(
        _("durée, en minutes"), validators=[MinValueValidator(1), MaxValueValidator(bounds.MAX_SHIFT_MINUTES)]
    )
    slots = models.PositiveSmallIntegerField(
        _("places"), validators=[MinValueValidator(1), MaxValueValidator(bounds.MAX_SHIFT_SLOTS)]
    )
    description = models.CharField(_("description"), max_length=300, blank=True)
    active = models.BooleanField(_("actif"), default=True)
    # What a volunteer must have done to claim this role's shifts (members.Prerequisite kinds; issue 18).
    requires = models.JSONField(_("prérequis"), default=list, blank=True)
    accompanied = models.BooleanField(_("avec un·e bénévole expérimenté·e"), default=False)

    # The board shows, per role, what a volunteer still lacks (meals/cache.py).
    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["-minutes_before_meal", "role"]
        verbose_name = _("modèle de créneau")
        verbose_name_plural = _("modèles de créneaux")
        constraints = [
            models.CheckConstraint(condition=Q(duration_minutes__gte=1), name="shift_template_duration_positive"),
            models.CheckConstraint(condition=Q(slots__gte=1), name="shift_template_slots_positive"),
            models.CheckConstraint(
                condition=Q(minutes_before_meal__gte=-bounds.MINUTES_AROUND_MEAL)
                & Q(minutes_before_meal__lte=bounds.MINUTES_AROUND_MEAL)
                & Q(duration_minutes__lte=bounds.MAX_SHIFT_MINUTES)
                & Q(slots__lte=bounds.MAX_SHIFT_SLOTS),
                name="shift_template_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class ShiftSignup(models.Model):
    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("à pointer")
        CAME = "came", _("venu·e")
        ABSENT = "absent", _("pas venu·e")

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="signups")
    member = models.ForeignKey(Member, on_delete=models.PROTECT, related_name="signups")
    # Set when a guest offered to help while booking a seat.
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="signups")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # Marked by a coordinator once the shift has started (meals.services.shifts.attendance_mark); the reports'
    # volunteer hours count the CAME ones only. Who did not come is shown to coordinators only.
    attended = models.CharField(
        _("présence"), max_length=8, choices=Attendance.choices, default=Attendance.UNKNOWN, db_index=True
    )
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The kind « everything all right? » mail after a no-show: once.
    followed_up_at = models.DateTimeField(null=True, blank=True)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("inscription à un créneau")
        verbose_name_plural = _("inscriptions aux créneaux")
        constraints = [
            models.UniqueConstraint(fields=["shift", "member"], name="one_signup_per_member_per_shift"),
            models.CheckConstraint(
                condition=Q(attended__in=["unknown", "came", "absent"]), name="shift_signup_attendance_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.shift}"


class Contribution(models.Model):
    """Money received. Never edited nor deleted: voided, then recorded again.

    Its ``kind`` says what the money is for, which is what the accounts and
    the tax office care about: a payment that buys a meal is not a gift
    (article 200 CGI), so only a ``donation`` can be on a tax receipt.
    """

    class Kind(models.TextChoices):
        MEAL = "meal", _("Participation au repas")
        DONATION = "donation", _("Don")
        MEMBERSHIP = "membership", _("Adhésion")
        PARTNER = "partner", _("Paiement d'un partenaire")

    Method = PaymentMethod

    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="contributions")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.PROTECT, related_name="contributions")
    kind = models.CharField(_("nature"), max_length=16, choices=Kind.choices, default=Kind.MEAL, db_index=True)
    # Who gave it (required for a gift that is to have a tax receipt); erased members keep their rows anonymous.
    giver = models.ForeignKey(
        Member,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contributions",
        verbose_name=_("donateur ou donatrice"),
    )
    amount = models.DecimalField(_("montant"), max_digits=8, decimal_places=2)
    method = models.CharField(_("moyen de paiement"), max_length=16, choices=PaymentMethod.choices)
    recorded_at = models.DateTimeField(default=timezone.now, db_index=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    void_reason = models.CharField(_("raison de l'annulation"), max_length=300, blank=True)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["recorded_at", "pk"]
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="contribution_amount_not_negative"),
            models.CheckConstraint(condition=Q(amount__lt=100000), name="contribution_amount_sane"),
            models.CheckConstraint(
                condition=Q(voided_at__isnull=True) | ~Q(void_reason=""),
                name="voided_contribution_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["meal", "donation", "membership", "partner"]), name="contribution_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.amount} € ({self.get_method_display()})"

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class TillClosing(models.Model):
    """The cash counted at the end of a meal. A meal with an open closing takes no contributions."""

    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="till_closings")
    counted_cash = models.DecimalField(_("espèces comptées"), max_digits=8, decimal_places=2)
    expected_cash = models.DecimalField(_("espèces attendues"), max_digits=8, decimal_places=2)
    note = models.CharField(_("note"), max_length=500, blank=True)
    closed_at = models.DateTimeField(default=timezone.now)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    reopened_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reopen_reason = models.CharField(_("raison de la réouverture"), max_length=300, blank=True)

    class Meta:
        ordering = ["closed_at", "pk"]
        verbose_name = _("clôture de caisse")
        verbose_name_plural = _("clôtures de caisse")
        constraints = [
            models.UniqueConstraint(
                fields=["meal"], condition=Q(reopened_at__isnull=True), name="one_open_closing_per_meal"
            ),
            models.CheckConstraint(condition=Q(counted_cash__gte=0), name="counted_cash_not_negative"),
            models.CheckConstraint(condition=Q(counted_cash__lt=bounds.MAX_AMOUNT), name="counted_cash_in_range"),
        ]

    def __str__(self) -> str:
        return f"{self.meal} — {self.counted_cash}"

    @property
    def difference(self) -> Decimal:
        return self.counted_cash - self.expected_cash


class SeatBlock(models.Model):
    """Seats a partner association holds on a meal until ``release_at``."""

    meal = models.ForeignKey(Meal, on_delete=models.CASCADE, related_name="seat_blocks")
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="seat_blocks")
    seats = models.PositiveSmallIntegerField(_("places réservées"))
    release_at = models.DateTimeField(_("libérées pour le public le"))

    objects = WatchedQuerySet.as_manager()

    class Meta:
        verbose_name = _("places réservées à un partenaire")
        verbose_name_plural = _("places réservées aux partenaires")
        constraints = [
            models.UniqueConstraint(fields=["meal", "partner"], name="one_seat_block_per_partner_per_meal"),
            models.CheckConstraint(condition=Q(seats__gte=1), name="seat_block_not_empty"),
            models.CheckConstraint(
                condition=Q(seats__lte=bounds.MAX_SEATS) & within_moments("release_at"), name="seat_block_in_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.partner} — {self.seats}"


class RateLimitCounter(models.Model):
    """How many requests one client sent in one window (meals/ratelimit.py).

    A row, not a cache entry: the database counts with one UPDATE under the
    row's lock, so parallel requests from one address are counted exactly,
    whichever worker serves them.
    """

    key = models.CharField(max_length=200, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return f"{self.key}: {self.count}"


class FormKey(models.Model):
    """One submission of a state-changing form, by its one-time key (meals/idempotency.py).

    Written in the same transaction as the change it guards: a replay of the
    form finds it and answers with ``result`` instead of writing again.
    """

    key = models.CharField(max_length=32)
    # Which change took the key: « contribution », « booking », « meal_create »…
    kind = models.CharField(max_length=32)
    # What the first submission produced: its row's pk, or a number (meals edited); none yet.
    result = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("clé de formulaire")
        verbose_name_plural = _("clés de formulaire")
        constraints = [models.UniqueConstraint(fields=["key", "kind"], name="one_answer_per_form_key")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.key}"


class MessageQuerySet(models.QuerySet):
    def to_show(self):
        """What the coordinator must see: waiting, being sent, or failed."""
        return self.filter(status__in=[Message.Status.PENDING, Message.Status.SENDING, Message.Status.FAILED])


class Message(models.Model):
    """One email or SMS a person must receive: the outbox (meals/outbox.py).

    Written in the same transaction as the change that causes it; sent by the
    worker (``manage.py send_queued_messages``) through Django's Tasks
    framework. Holds the address, what to say (``kind`` and a few row ids in
    ``context``: the text is made when it is sent) and the delivery state;
    the text of a pre-written message (a password reset) is dropped once sent.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        SMS = "sms", _("SMS")

    class Status(models.TextChoices):
        PENDING = "pending", _("En attente")
        SENDING = "sending", _("En cours d'envoi")
        SENT = "sent", _("Envoyé")
        FAILED = "failed", _("Échec")
        # Nothing to say any more (the booking is gone, the person opted out of SMS): never sent.
        DROPPED = "dropped", _("Sans objet")

    class Phase(models.TextChoices):
        # Claimed: the server has not got the whole message yet; a crash here is safe to retry.
        CLAIMED = "claimed", _("pris en charge")
        # The end of the message went out (SMTP « . », or the HTTP request): it may have arrived.
        HANDED = "handed", _("remis au serveur")

    channel = models.CharField(max_length=8, choices=Channel.choices)
    kind = models.CharField(max_length=40)
    to = models.CharField(_("destinataire"), max_length=254)
    language = models.CharField(max_length=8, default="fr")
    context = models.JSONField(default=dict, blank=True)
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    # Once per cause: « reminder:booking:12 », « slot-open:4:7:35 » (empty: no such rule).
    key = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING, db_index=True)
    phase = models.CharField(max_length=8, choices=Phase.choices, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # The task (django-tasks-db) that will send it next.
    task_id = models.UUIDField(null=True, blank=True)
    # Email: the Message-ID, the same on every attempt. SMS: the provider's id once sent.
    message_id = models.CharField(max_length=200, blank=True)
    last_error = models.CharField(_("dernière erreur"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        permissions = [("manage_outbox", _("Peut voir et relancer les messages en attente ou en échec"))]
        constraints = [
            models.UniqueConstraint(fields=["key"], condition=~Q(key=""), name="one_message_per_key"),
            models.CheckConstraint(
                condition=Q(channel__in=["email", "sms"])
                & Q(status__in=["pending", "sending", "sent", "failed", "dropped"]),
                name="message_channel_and_status_known",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.kind} #{self.pk}"


class ReceiptError(Exception):
    """A tax receipt cannot be changed or deleted: cancel it (with a reason) and issue another."""


class NeverDeletedQuerySet(models.QuerySet):
    def delete(self):
        raise ReceiptError("Tax receipts and their lines are never deleted: cancel the receipt.")


class TaxReceipt(models.Model):
    """A tax receipt (Cerfa 11580), numbered without gaps per year: « 2026-0001 ».

    Never changed once issued and never deleted (``save``/``delete`` refuse it,
    and database triggers refuse an UPDATE of its figures or a DELETE): a
    mistake is cancelled (status, who, when, why) and a new receipt issued,
    which names the one it replaces. Everything printed on it is copied here
    when it is issued, so the PDF made again years later says the same.
    The number is given under a lock (``meals.services.receipts``).
    """

    class Kind(models.TextChoices):
        GIFT = "gift", _("Reçu pour un don")
        ANNUAL = "annual", _("Reçu annuel")

    class Status(models.TextChoices):
        ISSUED = "issued", _("Émis")
        CANCELLED = "cancelled", _("Annulé")

    class Article(models.TextChoices):
        ART_200 = "200", _("Article 200 du CGI (dons des particuliers)")
        ART_238_BIS = "238bis", _("Article 238 bis du CGI (dons des entreprises)")

    year = models.PositiveSmallIntegerField(_("année"))
    sequence = models.PositiveIntegerField(_("numéro d'ordre"))
    number = models.CharField(_("numéro"), max_length=12, unique=True)
    kind = models.CharField(_("type"), max_length=8, choices=Kind.choices)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.ISSUED)
    member = models.ForeignKey(
        Member, null=True, on_delete=models.PROTECT, related_name="tax_receipts", verbose_name=_("donateur")
    )
    donor_name = models.CharField(_("nom du donateur"), max_length=200)
    donor_address = models.CharField(_("adresse du donateur"), max_length=400)
    amount = models.DecimalField(_("montant"), max_digits=9, decimal_places=2)
    # The gift's date (per-gift receipt), or the first and last gift of the year (annual).
    first_gift_on = models.DateField(_("date du premier don"))
    last_gift_on = models.DateField(_("date du dernier don"))
    methods = models.CharField(_("modes de versement"), max_length=200)
    article = models.CharField(_("article du CGI"), max_length=8, choices=Article.choices)
    association_name = models.CharField(max_length=200)
    association_address = models.CharField(max_length=400)
    association_object = models.TextField()
    signatory_name = models.CharField(max_length=200)
    signatory_role = models.CharField(max_length=200)
    signature_image = models.BinaryField(blank=True, default=b"")
    signature_image_type = models.CharField(max_length=20, blank=True)
    issued_at = models.DateTimeField(default=timezone.now)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+")
    replaces = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaced_by", verbose_name=_("remplace")
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancel_reason = models.CharField(_("raison de l'annulation"), max_length=300, blank=True)

    # What may change after issue: the cancellation, once.
    CANCEL_FIELDS = ("status", "cancelled_at", "cancelled_by", "cancel_reason")

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        ordering = ["year", "sequence"]
        verbose_name = _("reçu fiscal")
        verbose_name_plural = _("reçus fiscaux")
        permissions = [("manage_receipts", _("Peut voir les dons, émettre et annuler les reçus fiscaux"))]
        constraints = [
            models.UniqueConstraint(fields=["year", "sequence"], name="receipt_number_once_per_year"),
            models.CheckConstraint(condition=Q(sequence__gte=1), name="receipt_sequence_positive"),
            models.CheckConstraint(condition=Q(amount__gt=0) & Q(amount__lt=10**7), name="receipt_amount_in_range"),
            models.CheckConstraint(
                condition=Q(status="issued", cancelled_at__isnull=True)
                | (Q(status="cancelled", cancelled_at__isnull=False) & ~Q(cancel_reason="")),
                name="cancelled_receipt_has_reason",
            ),
            models.CheckConstraint(condition=~Q(donor_name="") & ~Q(donor_address=""), name="receipt_names_donor"),
        ]

    def __str__(self) -> str:
        return self.number

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            fields = kwargs.get("update_fields")
            if fields is None or not set(fields) <= set(self.CANCEL_FIELDS):
                raise ReceiptError("A tax receipt is never changed: cancel it and issue another.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReceiptError("A tax receipt is never deleted: cancel it.")

    @staticmethod
    def format_number(year: int, sequence: int) -> str:
        return f"{year}-{sequence:04d}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == self.Status.CANCELLED


class ReceiptLine(models.Model):
    """One gift on a receipt. A gift is on one live receipt at most (the partial unique index)."""

    receipt = models.ForeignKey(TaxReceipt, on_delete=models.PROTECT, related_name="lines")
    contribution = models.ForeignKey(Contribution, on_delete=models.PROTECT, related_name="receipt_lines")
    # False once its receipt is cancelled: the gift may then go on the receipt that replaces it.
    live = models.BooleanField(default=True)

    objects = NeverDeletedQuerySet.as_manager()

    class Meta:
        ordering = ["contribution__recorded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["contribution"], condition=Q(live=True), name="gift_on_one_live_receipt"),
            models.UniqueConstraint(fields=["receipt", "contribution"], name="gift_once_per_receipt"),
        ]

    def __str__(self) -> str:
        return f"{self.receipt_id} — {self.contribution_id}"

    def delete(self, *args, **kwargs):
        raise ReceiptError("A receipt's line is never deleted.")


# --- Sourcing: suppliers, purchases, what went into which meal (issue 17) --------------------


class Supplier(models.Model):
    class Kind(models.TextChoices):
        PRODUCER = "producer", _("Producteur")
        SHOP = "shop", _("Commerce")
        WHOLESALER = "wholesaler", _("Grossiste")
        ANTI_WASTE = "anti_waste", _("Banque alimentaire, anti-gaspillage")
        DONOR = "donor", _("Donateur")

    name = models.CharField(_("nom"), max_length=200, unique=True)
    kind = models.CharField(_("type"), max_length=16, choices=Kind.choices, default=Kind.PRODUCER)
    # Local by the cantine's rule: within ``CantineSettings.local_radius_km`` (meals/sourcing.py).
    distance_km = models.PositiveIntegerField(
        _("distance (km)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(bounds.MAX_DISTANCE_KM)],
        help_text=_("Depuis la cantine, à peu près. Laissez vide si vous ne savez pas."),
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("fournisseur")
        verbose_name_plural = _("fournisseurs")
        constraints = [
            models.CheckConstraint(
                condition=Q(distance_km__isnull=True) | Q(distance_km__lte=bounds.MAX_DISTANCE_KM),
                name="supplier_distance_in_range",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=["producer", "shop", "wholesaler", "anti_waste", "donor"]),
                name="supplier_kind_known",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Purchase(models.Model):
    """What was bought (or given) on one day from one supplier, in lines."""

    class PaidBy(models.TextChoices):
        CANTINE = "cantine", _("La cantine")
        VOLUNTEER = "volunteer", _("Un bénévole, à rembourser")

    date = models.DateField(_("date"), db_index=True)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="purchases")
    paid_by = models.CharField(_("payé par"), max_length=16, choices=PaidBy.choices, default=PaidBy.CANTINE)
    reimburse_to = models.CharField(_("bénévole à rembourser"), max_length=200, blank=True)
    reimbursed_on = models.DateField(_("remboursé le"), null=True, blank=True)
    receipt = models.FileField(_("photo du ticket"), upload_to="receipts/%Y/%m/", blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("achat")
        verbose_name_plural = _("achats")
        permissions = [("manage_purchases", _("Peut saisir les achats et voir l'approvisionnement"))]
        constraints = [
            models.CheckConstraint(condition=within_days("date"), name="purchase_date_in_range"),
            models.CheckConstraint(
                condition=(Q(paid_by="cantine") & Q(reimburse_to="") & Q(reimbursed_on__isnull=True))
                | (Q(paid_by="volunteer") & ~Q(reimburse_to="")),
                name="purchase_reimbursement_consistent",
            ),
            models.CheckConstraint(
                condition=Q(reimbursed_on__isnull=True) | within_days("reimbursed_on"),
                name="purchase_reimbursed_on_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.supplier} — {self.date:%Y-%m-%d}"

    @property
    def to_reimburse(self) -> bool:
        return self.paid_by == self.PaidBy.VOLUNTEER and self.reimbursed_on is None


class PurchaseLine(models.Model):
    """One product of a purchase. Its *value* is what was paid plus, for a gift in kind, its valuation."""

    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="lines")
    product = models.CharField(_("produit"), max_length=200)
    quantity = models.DecimalField(_("quantité"), max_digits=9, decimal_places=2, null=True, blank=True)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    weight_kg = models.DecimalField(_("poids (kg)"), max_digits=9, decimal_places=3, default=Decimal("0"))
    amount = models.DecimalField(_("montant payé"), max_digits=9, decimal_places=2, default=Decimal("0.00"))
    organic = models.BooleanField(_("bio"), default=False)
    local = models.BooleanField(_("local"), default=False)
    bulk = models.BooleanField(_("en vrac"), default=False)
    saved = models.BooleanField(_("sauvé du gaspillage (invendu, don)"), default=False)
    is_gift_in_kind = models.BooleanField(_("don en nature"), default=False)
    valuation = models.DecimalField(_("valeur du don"), max_digits=9, decimal_places=2, default=Decimal("0.00"))

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("ligne d'achat")
        verbose_name_plural = _("lignes d'achat")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gte=0) & Q(amount__lt=bounds.MAX_AMOUNT), name="purchase_line_amount_in_range"
            ),
            models.CheckConstraint(
                condition=Q(valuation__gte=0) & Q(valuation__lt=bounds.MAX_AMOUNT),
                name="purchase_line_valuation_in_range",
            ),
            models.CheckConstraint(
                condition=Q(weight_kg__gte=0) & Q(weight_kg__lt=bounds.MAX_WEIGHT_KG),
                name="purchase_line_weight_in_range",
            ),
            models.CheckConstraint(
                condition=Q(quantity__isnull=True) | (Q(quantity__gt=0) & Q(quantity__lt=bounds.MAX_WEIGHT_KG)),
                name="purchase_line_quantity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(is_gift_in_kind=True) | Q(valuation=0), name="purchase_line_valuation_only_for_gifts"
            ),
        ]

    def __str__(self) -> str:
        return self.product


class MealSupply(models.Model):
    """A share (in %) of a purchase that went into a meal. A purchase's shares add up to 100 % at most."""

    meal = models.ForeignKey(Meal, on_delete=models.PROTECT, related_name="supplies")
    purchase = models.ForeignKey(Purchase, on_delete=models.CASCADE, related_name="supplies")
    share = models.DecimalField(_("part de l'achat (%)"), max_digits=5, decimal_places=2, default=Decimal("100"))

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("achat utilisé pour un repas")
        verbose_name_plural = _("achats utilisés pour des repas")
        constraints = [
            models.UniqueConstraint(fields=["meal", "purchase"], name="one_supply_per_meal_and_purchase"),
            models.CheckConstraint(condition=Q(share__gt=0) & Q(share__lte=100), name="meal_supply_share_is_percent"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase} → {self.meal} ({self.share} %)"
