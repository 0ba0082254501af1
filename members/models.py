import secrets
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine import bounds


class PaymentMethod(models.TextChoices):
    CASH = "cash", _("Espèces")
    CARD = "card", _("Carte bancaire")
    CHEQUE = "cheque", _("Chèque")
    VOUCHER = "voucher", _("Titre-restaurant")
    TRANSFER = "transfer", _("Virement")
    OTHER = "other", _("Autre")


# 24 random bytes: 32 characters of URL-safe base64 (the URL converter matches exactly these).
TOKEN_BYTES = 24
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

    class Meta:
        ordering = ["name"]
        verbose_name = _("association partenaire")
        verbose_name_plural = _("associations partenaires")

    def __str__(self) -> str:
        return self.name


class MemberQuerySet(models.QuerySet):
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
