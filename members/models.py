import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine import bounds
from meals.cache import WatchedQuerySet


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Espèces")
    CARD = "card", _("Carte bancaire")
    CHEQUE = "cheque", _("Chèque")
    VOUCHER = "voucher", _("Titre-restaurant")
    TRANSFER = "transfer", _("Virement")
    OTHER = "other", _("Autre")


# 24 random bytes: 32 characters of URL-safe base64 (the URL converter matches exactly these).
TOKEN_BYTES = 24
# The cantine's sourcing settings: a radius beyond the Earth's, a month's bill of a million euros, are typos.
MAX_RADIUS_KM = 40_000
MAX_OVERHEAD = 1_000_000
TOKEN_LENGTH = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class Partner(models.Model):
    """A partner association that sends people who would otherwise stay home."""

    name = models.CharField(_("nom"), max_length=200, unique=True)
    contact_name = models.CharField(_("personne à contacter"), max_length=200, blank=True)
    contact_email = models.EmailField(_("e-mail"), blank=True)
    contact_phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    referents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="partners", verbose_name=_("référents")
    )
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)

    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("association partenaire")
        verbose_name_plural = _("associations partenaires")

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(WatchedQuerySet):
    def active(self):
        return self.filter(erased_at__isnull=True)


class Member(models.Model):
    """A person: a guest, a volunteer, or both.

    Guests have no account (``user`` is empty); volunteers, partner referents
    and coordinators log in through their linked ``User``.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
        verbose_name=_("compte"),
    )
    name = models.CharField(_("nom"), max_length=200)
    email = models.EmailField(_("e-mail"), blank=True, db_index=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True, db_index=True)
    notes = models.TextField(_("notes"), blank=True)
    # The remembered allergy and diet profile (GDPR art. 9), only when the guest asked for it
    # (« Se souvenir pour mes prochaines réservations »); erased with the member.
    allergens = models.JSONField(_("allergies"), default=list, blank=True)
    diets = models.JSONField(_("régimes"), default=list, blank=True)
    health_consent_at = models.DateTimeField(_("accord pour les allergies le"), null=True, blank=True)
    language = models.CharField(_("langue"), max_length=8, choices=settings.LANGUAGES, default="fr")
    partner = models.ForeignKey(
        Partner,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="accompanied",
        verbose_name=_("accompagné par"),
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now)
    erased_at = models.DateTimeField(_("effacé le"), null=True, blank=True)
    # A volunteer who signed up: the address was confirmed through the emailed
    # link, then the coordination approved them (at once unless VOLUNTEERS_NEED_APPROVAL).
    email_confirmed_at = models.DateTimeField(_("adresse confirmée le"), null=True, blank=True)
    approved_at = models.DateTimeField(_("bénévole validé·e le"), null=True, blank=True)
    # « STOP »: no more SMS for this person (the link in each SMS, or a reply); emails are not concerned.
    sms_opt_out = models.BooleanField(_("ne veut plus de SMS"), default=False)
    # The postal address a tax receipt needs (Cerfa 11580); optional otherwise.
    street = models.CharField(_("adresse"), max_length=200, blank=True)
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("membre")
        verbose_name_plural = _("membres")

    def __str__(self) -> str:
        return self.name or _("(anonyme)")

    @property
    def first_name(self) -> str:
        return (self.name or "").split(" ")[0]

    @property
    def awaits_approval(self) -> bool:
        return self.email_confirmed_at is not None and self.approved_at is None

    @property
    def postal_address(self) -> str:
        """« 12 rue des Lilas, 75019 Paris », or empty when a part is missing (no receipt then)."""
        parts = [self.street.strip(), self.postcode.strip(), self.city.strip()]
        if not all(parts):
            return ""
        return f"{parts[0]}, {parts[1]} {parts[2]}"


class Membership(models.Model):
    """The association's yearly membership, at a free price (0 is fine)."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="memberships")
    year = models.PositiveSmallIntegerField(
        _("année"), validators=[MinValueValidator(bounds.FIRST_YEAR), MaxValueValidator(bounds.LAST_YEAR)]
    )
    joined_on = models.DateField(
        _("date"),
        default=timezone.localdate,
        validators=[MinValueValidator(bounds.FIRST_DAY), MaxValueValidator(bounds.LAST_DAY)],
    )
    amount = models.DecimalField(
        _("montant"), max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    method = models.CharField(_("moyen de paiement"), max_length=16, choices=PaymentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-year", "member__name"]
        verbose_name = _("adhésion")
        verbose_name_plural = _("adhésions")
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], name="one_membership_per_year"),
            models.CheckConstraint(condition=Q(amount__gte=0), name="membership_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(year__gte=bounds.FIRST_YEAR)
                & Q(year__lte=bounds.LAST_YEAR)
                & bounds.within_days("joined_on")
                & Q(amount__lt=bounds.MAX_AMOUNT),
                name="membership_values_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} {self.year}"


class CantineSettings(models.Model):
    """The cantine's name, address and welcome, as a coordinator writes them: one row.

    Read on every page through ``cantine_settings()``, kept in Django's cache
    under the ``cantine`` generation (meals/cache.py), which a save of this row
    changes once it commits; the public pages kept whole are kept under it too.

    SMS do not exist yet: when they do, sign each with ``name`` and ``phone``
    like the emails (templates/includes/email_footer.txt).
    """

    PK = 1
    DEFAULT_NAME = "La Cantine"

    name = models.CharField(_("nom de la cantine"), max_length=60, default=DEFAULT_NAME)
    street = models.CharField(
        _("adresse"), max_length=200, blank=True, help_text=_("Le numéro et la rue, par exemple 12 rue des Lilas.")
    )
    postcode = models.CharField(_("code postal"), max_length=10, blank=True)
    city = models.CharField(_("ville"), max_length=100, blank=True)
    directions = models.TextField(
        _("comment venir"),
        blank=True,
        help_text=_("Les transports en commun (arrêts, lignes), le vélo, la voiture : ce qui est le plus proche."),
    )
    step_free_access = models.TextField(
        _("accès sans marche"),
        blank=True,
        help_text=_(
            "Y a-t-il des marches ? Une rampe, un ascenseur ? Par où entrer en fauteuil ou avec une poussette ?"
        ),
    )
    toilets = models.TextField(
        _("toilettes"), blank=True, help_text=_("Où elles sont, et si l'on y entre en fauteuil.")
    )
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    opening_days = models.TextField(
        _("jours d'ouverture"), blank=True, help_text=_("Par exemple : le mardi et le jeudi, de 9 h 30 à 15 h.")
    )
    first_visit = models.TextField(
        _("votre première visite"),
        blank=True,
        help_text=_(
            "Quelques phrases pour qui vient pour la première fois : qui l'accueille, comment se passe le repas."
        ),
    )
    price_rule = models.TextField(
        _("le prix, avec vos mots"),
        blank=True,
        help_text=_("Par exemple : le repas coûte 9 € à la cantine ; chacun donne ce qu'il peut, même rien."),
    )
    map_image = models.BinaryField(_("plan"), blank=True, default=b"")
    map_image_type = models.CharField(max_length=20, blank=True, editable=False)
    map_description = models.CharField(
        _("ce que montre le plan"),
        max_length=300,
        blank=True,
        help_text=_("Pour qui ne voit pas l'image, par exemple : la cantine est au fond de la cour, porte verte."),
    )
    map_link = models.URLField(
        _("lien vers un plan"), blank=True, help_text=_("Facultatif : la page de la cantine sur un site de cartes.")
    )
    # Tax receipts (Cerfa 11580): none can be issued until these are set (``receipts_missing``).
    legal_name = models.CharField(
        _("nom de l'association"),
        max_length=200,
        blank=True,
        help_text=_("Tel qu'il est déclaré, s'il diffère du nom de la cantine."),
    )
    receipt_article = models.CharField(
        _("les dons ouvrent droit à la réduction d'impôt de"),
        max_length=8,
        blank=True,
        choices=[
            ("200", _("l'article 200 du CGI (dons des particuliers)")),
            ("238bis", _("l'article 238 bis du CGI (dons des entreprises)")),
        ],
        help_text=_("Laissez vide si l'association n'est pas d'intérêt général : aucun reçu ne sera émis."),
    )
    association_object = models.TextField(
        _("objet de l'association"), blank=True, help_text=_("Comme dans les statuts.")
    )
    signatory_name = models.CharField(_("nom du signataire des reçus"), max_length=200, blank=True)
    signatory_role = models.CharField(
        _("qualité du signataire"), max_length=200, blank=True, help_text=_("Par exemple : trésorière.")
    )
    signature_image = models.BinaryField(_("signature"), blank=True, default=b"")
    signature_image_type = models.CharField(max_length=20, blank=True, editable=False)
    # The accountant's export.
    partner_account = models.CharField(
        _("compte des paiements des partenaires"),
        max_length=10,
        default="706",
        help_text=_("Par exemple 706 (prestations) ou 7588 (autres produits)."),
    )
    volunteer_hourly_rate = models.DecimalField(
        _("valeur d'une heure de bénévolat"),
        max_digits=6,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("999.99"))],
        help_text=_("En euros, par exemple 11,88 (le SMIC horaire brut). 0 : pas de contributions en nature."),
    )
    # Sourcing (meals/sourcing.py): what « local » means, and the month's overheads shared by its covers.
    local_radius_km = models.PositiveIntegerField(
        _("local : à moins de (km)"),
        default=150,
        validators=[MaxValueValidator(MAX_RADIUS_KM)],
        help_text=_("Un fournisseur à cette distance de la cantine ou moins compte comme local."),
    )
    overhead_rent = models.DecimalField(
        _("loyer et charges, par mois"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    overhead_salary = models.DecimalField(
        _("salaires, par mois"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    overhead_energy = models.DecimalField(
        _("énergie (gaz, électricité, eau), par mois"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    overhead_other = models.DecimalField(
        _("autres frais, par mois"), max_digits=9, decimal_places=2, default=Decimal("0.00")
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    objects = WatchedQuerySet.as_manager()

    class Meta:
        verbose_name = _("réglages de la cantine")
        verbose_name_plural = _("réglages de la cantine")
        constraints = [
            models.CheckConstraint(condition=Q(id=1), name="cantine_settings_single_row"),
            models.CheckConstraint(
                condition=Q(local_radius_km__lte=MAX_RADIUS_KM)
                & Q(overhead_rent__gte=0)
                & Q(overhead_salary__gte=0)
                & Q(overhead_energy__gte=0)
                & Q(overhead_other__gte=0)
                & Q(overhead_rent__lt=MAX_OVERHEAD)
                & Q(overhead_salary__lt=MAX_OVERHEAD)
                & Q(overhead_energy__lt=MAX_OVERHEAD)
                & Q(overhead_other__lt=MAX_OVERHEAD),
                name="cantine_settings_overheads_in_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def monthly_overheads(self) -> Decimal:
        return self.overhead_rent + self.overhead_salary + self.overhead_energy + self.overhead_other

    @classmethod
    def defaults(cls) -> "CantineSettings":
        """What the pages show before a coordinator has saved anything: the environment's first values."""
        from members.contacts import InvalidPhone, normalize_phone

        phone = getattr(settings, "COORDINATION_PHONE", "") or ""
        try:
            phone = normalize_phone(phone)
        except InvalidPhone:
            pass
        return cls(pk=cls.PK, phone=phone)

    @property
    def address_lines(self) -> list[str]:
        town = f"{self.postcode} {self.city}".strip()
        return [line for line in (self.street.strip(), town) if line]

    @property
    def address(self) -> str:
        """« 12 rue des Lilas, 75019 Paris » (empty when no address is set)."""
        return ", ".join(self.address_lines)

    @property
    def location(self) -> str:
        """The name and the address on one line, for a calendar's LOCATION."""
        return ", ".join([self.name, *self.address_lines])

    @property
    def tel(self) -> str:
        """The phone number for a ``tel:`` link: « tel:+33123456789 »."""
        digits = "".join(ch for ch in self.phone if ch.isdigit())
        if not digits:
            return ""
        if self.phone.strip().startswith("+"):
            return f"tel:+{digits}"
        if digits.startswith("0") and len(digits) == 10:
            return f"tel:+33{digits[1:]}"
        return f"tel:{digits}"

    @property
    def association(self) -> str:
        return (self.legal_name or "").strip() or self.name

    @property
    def receipts_missing(self) -> list[str]:
        """What the settings lack before a tax receipt can be issued (empty: receipts are possible)."""
        missing = []
        if not self.receipt_article:
            missing.append(_("l'article du CGI"))
        if not (self.street.strip() and self.postcode.strip() and self.city.strip()):
            missing.append(_("l'adresse de l'association"))
        if not self.association_object.strip():
            missing.append(_("l'objet de l'association"))
        if not (self.signatory_name.strip() and self.signatory_role.strip()):
            missing.append(_("le nom et la qualité du signataire"))
        return missing

    @property
    def has_map(self) -> bool:
        return bool(self.map_image_type)

    @property
    def map_version(self) -> str:
        """Changes with every save, so a new plan is never hidden behind a browser's copy of the old one."""
        return str(int(self.updated_at.timestamp())) if self.updated_at else "0"


# The last settings this process read, for pages that must never fail (cantine_settings_safe()).
_last_read: list[CantineSettings] = []


def cantine_settings() -> CantineSettings:
    """The cantine's settings (or their defaults), kept under the ``cantine`` generation (meals/cache.py).

    The plan's bytes are not read here (``members:cantine_map`` serves them).
    """
    from meals import cache

    def build() -> CantineSettings | None:
        return CantineSettings.objects.defer("map_image", "signature_image").filter(pk=CantineSettings.PK).first()

    current = cache.kept_value("cantine-settings", kinds=("cantine",), build=build) or CantineSettings.defaults()
    _last_read[:] = [current]
    return current


def cantine_settings_safe() -> CantineSettings:
    """For pages that must show even when the database is down (error pages). Never raises.

    The last settings this process read (one change behind at worst), else a
    fresh read, else the defaults from the environment (``COORDINATION_PHONE``).
    """
    if _last_read:
        return _last_read[0]
    try:
        return cantine_settings()
    except Exception:  # noqa: BLE001 - an error page must show, whatever is broken
        return CantineSettings.defaults()


class Prerequisite(models.Model):
    """One thing a volunteer did before a role may count on them (issue 18): a dated fact, never edited.

    The hygiene rules read and the charter signed are acknowledged by the
    volunteer on « Avant de venir » or recorded by a coordinator on the
    member's page; the trial shift is met when a coordinator marks the
    volunteer present on a shift (``meals.services.shifts.attendance_mark``)
    or records it. Which role needs which: ``meals.ShiftTemplate.requires``.
    Written only through ``members.services.record_prerequisite``.
    """

    class Kind(models.TextChoices):
        HYGIENE = "hygiene", _("consignes d'hygiène lues")
        CHARTER = "charter", _("charte signée")
        TRIAL = "trial", _("créneau d'essai fait")

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="prerequisites")
    kind = models.CharField(_("prérequis"), max_length=16, choices=Kind.choices)
    met_at = models.DateTimeField(_("date"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    # The shift board shows, per volunteer, why a shift cannot be claimed yet (meals/cache.py).
    objects = WatchedQuerySet.as_manager()

    class Meta:
        ordering = ["member", "kind"]
        verbose_name = _("prérequis de bénévole")
        verbose_name_plural = _("prérequis de bénévoles")
        constraints = [
            models.UniqueConstraint(fields=["member", "kind"], name="one_prerequisite_per_member_and_kind"),
            models.CheckConstraint(
                condition=Q(kind__in=["hygiene", "charter", "trial"]), name="prerequisite_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member} — {self.get_kind_display()}"
