"""Rules about people: volunteers' sign-up, merging records, memberships, export and erasure (GDPR), referents."""

import hashlib
import logging
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core import signing
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meals.ratelimit import is_limited
from members.models import CantineSettings, Member, Membership, Partner, Prerequisite
from members.roles import PARTNER, VOLUNTEER

logger = logging.getLogger(__name__)


class MemberError(Exception):
    """A change to a member that cannot be done; the message is for the coordinator."""


class MergeConflict(MemberError):
    pass


class MembershipExists(MemberError):
    pass


class ReferentExists(MemberError):
    pass


class ErasureRefused(MemberError):
    pass


class AccountExists(MemberError):
    pass


class SignupLinkInvalid(MemberError):
    pass


class SignupLinkExpired(SignupLinkInvalid):
    pass


# Mails about accounts ------------------------------------------------------------


def account_exists(email: str) -> bool:
    User = get_user_model()
    return User.objects.filter(Q(email__iexact=email) | Q(username__iexact=email)).exists()


def account_mail_limited(request, *, scope: str, email: str, ip_rate: str = "off") -> bool:
    """Count a request for a mail about an account; True when its IP (over ``ip_rate``) or its address asked too often.

    The address is counted by a digest, so the counters hold no address.
    """
    address = hashlib.sha256(email.strip().lower().encode()).hexdigest()[:32]
    by_ip = is_limited(request, scope=scope, rate=ip_rate)
    by_address = is_limited(request, scope=f"{scope}-address", rate=settings.ACCOUNT_EMAIL_RATE_LIMIT, key=address)
    return by_ip or by_address


def _mail(*, to: str, subject: str, template: str, context: dict, member: Member | None = None) -> bool:
    """Queue a plain-text mail in the active language (meals/outbox.py): a mail server down loses nothing."""
    from meals.emails import queue_account_mail

    body = render_to_string(template, {"site_url": settings.SITE_URL, **context})
    language = translation.get_language() or "fr"
    return queue_account_mail(to=to, subject=subject, body=body, member=member, language=language) is not None


# Volunteers' sign-up ---------------------------------------------------------------
#
# A sign-up writes nothing: it mails a signed link holding the name and the
# address. Only whoever reads that mailbox can open it, choose a password and
# so make the account: nobody can take an address that is not theirs, nor
# leave accounts waiting on someone else's address.

SIGNUP_LINK_MAX_AGE = timedelta(hours=48)
_SIGNUP_SALT = "members.volunteer_signup"


def signup_link(*, name: str, email: str) -> str:
    token = signing.dumps({"name": name, "email": email}, salt=_SIGNUP_SALT, compress=True)
    return settings.SITE_URL + reverse("members:volunteer_confirm", args=[token])


def signup_from_token(token: str) -> dict[str, str]:
    """The name and address a sign-up link was made for; raises when it is forged or older than 48 hours."""
    invalid = _("Ce lien n'est pas valable. Vérifiez qu'il est complet, ou inscrivez-vous à nouveau.")
    try:
        data = signing.loads(token, salt=_SIGNUP_SALT, max_age=SIGNUP_LINK_MAX_AGE)
    except signing.SignatureExpired as error:
        raise SignupLinkExpired(
            _("Ce lien a expiré : il est valable 48 heures. Inscrivez-vous à nouveau pour en recevoir un autre.")
        ) from error
    except signing.BadSignature as error:
        raise SignupLinkInvalid(invalid) from error
    if not isinstance(data, dict) or not all(isinstance(data.get(key), str) and data[key] for key in ("name", "email")):
        raise SignupLinkInvalid(invalid)
    return {"name": data["name"], "email": data["email"]}


def volunteer_signup_request(*, name: str, email: str) -> None:
    """Mail the sign-up link to the address, or, when it already has an account, tell its owner.

    Whoever signed up sees the same answer either way: the page says nothing
    of which addresses have an account.
    """
    if account_exists(email):
        _mail(
            to=email,
            subject=_("Votre compte à la Cantine"),
            template="members/emails/account_exists.txt",
            context={
                "login_url": settings.SITE_URL + reverse("login"),
                "reset_url": settings.SITE_URL + reverse("password_reset"),
            },
        )
    else:
        _mail(
            to=email,
            subject=_("Confirmez votre adresse pour devenir bénévole"),
            template="members/emails/signup_link.txt",
            context={"name": name, "url": signup_link(name=name, email=email)},
        )


def volunteer_create(*, name: str, email: str, password: str, now: datetime | None = None):
    """The account behind an opened sign-up link: its address is confirmed.

    It is a volunteer at once, or, when ``VOLUNTEERS_NEED_APPROVAL``, once a
    coordinator approves it (``volunteer_approve``): until then it has no
    role, so the shift views refuse it.
    """
    now = now or timezone.now()
    approved = not settings.VOLUNTEERS_NEED_APPROVAL
    first, _sep, last = name.partition(" ")
    language = translation.get_language() if translation.get_language() in dict(settings.LANGUAGES) else "fr"
    if account_exists(email):
        raise AccountExists(_("Un compte existe déjà avec cette adresse : connectez-vous."))
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(
                username=email, email=email, password=password, first_name=first[:150], last_name=last[:150]
            )
            if approved:
                user.groups.add(Group.objects.get(name=VOLUNTEER))
            Member.objects.create(
                user=user,
                name=name,
                email=email,
                language=language,
                email_confirmed_at=now,
                approved_at=now if approved else None,
            )
    except IntegrityError as error:
        # The same link opened twice at once: the second lands here.
        raise AccountExists(_("Un compte existe déjà avec cette adresse : connectez-vous.")) from error
    return user


def volunteer_approve(*, member: Member, by=None, now: datetime | None = None) -> Member:
    """Make a confirmed sign-up a volunteer, and tell them (idempotent)."""
    now = now or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        user = member.user
        if member.erased_at or user is None or not user.is_active or member.email_confirmed_at is None:
            raise MemberError(_("Ce compte ne peut pas être validé."))
        if member.approved_at is not None:
            return member
        member.approved_at = now
        member.save(update_fields=["approved_at"])
        user.groups.add(Group.objects.get(name=VOLUNTEER))
        with translation.override(member.language):
            _mail(
                to=user.email,
                subject=_("Votre compte de bénévole est validé"),
                template="members/emails/volunteer_approved.txt",
                context={"member": member, "url": settings.SITE_URL + reverse("meals:shifts")},
                member=member,
            )
    return member


# Prerequisites of a role (issue 18) --------------------------------------------


def record_prerequisite(
    *, member: Member, kind: str, by=None, met_at: datetime | None = None, note: str = ""
) -> tuple[Prerequisite, bool]:
    """Record that ``member`` met ``kind`` (hygiene rules read, charter signed, trial shift done).

    Idempotent: the first record stays (its date, who recorded it), a second
    call returns it with ``False``. Callers: the volunteer's « Avant de venir »
    page, a coordinator on the member's page, the attendance of a shift, the
    hygiene logbook's morning briefing. Refused for an unknown kind or an
    erased record.
    """
    if kind not in Prerequisite.Kind.values:
        raise MemberError(_("Ce prérequis n'existe pas."))
    if member.erased_at is not None:
        raise MemberError(_("Cette fiche est effacée."))
    with transaction.atomic():
        return Prerequisite.objects.get_or_create(
            member=member,
            kind=kind,
            defaults={"met_at": met_at or timezone.now(), "recorded_by": by, "note": note[:300]},
        )


# History ---------------------------------------------------------------------


def member_history(*, member: Member, now: datetime | None = None) -> dict:
    """The figures of a member's page, in a fixed number of queries whatever their history."""
    from meals.models import Booking, Contribution, ShiftSignup

    now = now or timezone.now()
    bookings = Booking.objects.filter(member=member)
    figures = bookings.aggregate(
        booked=Count("pk", filter=~Q(status=Booking.Status.CANCELLED)),
        attended=Count("pk", filter=Q(checked_in_at__isnull=False)),
        first_visit=Min("meal__starts_at", filter=Q(checked_in_at__isnull=False)),
    )
    figures |= ShiftSignup.objects.filter(member=member, shift__ends_at__lt=now).aggregate(
        shifts_done=Count("pk"), no_shows=Count("pk", filter=Q(attended=ShiftSignup.Attendance.ABSENT))
    )
    figures["contributions_total"] = Contribution.objects.filter(
        booking__member=member, voided_at__isnull=True
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return figures


def _lock_meals_of(*members: Member) -> None:
    """Lock the meals the members booked or help at, before their own rows (meals.services.locks)."""
    from meals.models import Booking, ShiftSignup
    from meals.services.locks import lock_meals

    booked = Booking.objects.filter(member__in=members).values_list("meal_id", flat=True)
    helping = ShiftSignup.objects.filter(member__in=members).values_list("shift__meal_id", flat=True)
    lock_meals([*booked, *helping])


# Merge -------------------------------------------------------------------------


def member_merge(*, keep: Member, drop: Member, by=None) -> Member:
    """Move everything of ``drop`` onto ``keep`` (same person, two records), then delete ``drop``.

    Refused, with nothing written, when both are on the same shift, both hold a
    live booking for the same meal, both joined the same year, or both log in.
    """
    from hygiene.services import briefings_move
    from meals.models import Booking, Message, ShiftSignup

    if keep.pk == drop.pk:
        raise MergeConflict(_("Choisissez deux fiches différentes."))
    with transaction.atomic():
        # The meals of their bookings first (the one lock order: meal, ... then
        # the member, as a booking does), then both rows in a fixed order.
        _lock_meals_of(keep, drop)
        locked = {m.pk: m for m in Member.objects.select_for_update().filter(pk__in=[keep.pk, drop.pk]).order_by("pk")}
        keep, drop = locked[keep.pk], locked[drop.pk]
        if keep.erased_at or drop.erased_at:
            raise MergeConflict(_("Une fiche effacée ne peut pas être fusionnée."))
        same_shift = ShiftSignup.objects.filter(member=keep, shift__signups__member=drop).exists()
        if same_shift:
            raise MergeConflict(_("Les deux fiches sont inscrites sur le même créneau : désinscrivez l'une d'elles."))
        live = ~Q(status=Booking.Status.CANCELLED)
        keep_meals = Booking.objects.filter(live, member=keep).values("meal")
        if Booking.objects.filter(live, member=drop, meal__in=keep_meals).exists():
            raise MergeConflict(_("Les deux fiches ont réservé le même repas : annulez l'une des réservations."))
        keep_years = Membership.objects.filter(member=keep).values("year")
        if Membership.objects.filter(member=drop, year__in=keep_years).exists():
            raise MergeConflict(_("Les deux fiches ont une adhésion pour la même année."))
        if keep.user_id and drop.user_id:
            raise MergeConflict(_("Les deux fiches ont un compte : impossible de les fusionner ici."))
        if drop.tax_receipts.exists():
            # A receipt names its donor for good: the record it names stays.
            raise MergeConflict(_("Cette fiche a des reçus fiscaux : gardez-la, et fusionnez l'autre dans celle-ci."))

        Booking.objects.filter(member=drop).update(member=keep)
        drop.contributions.update(giver=keep)
        ShiftSignup.objects.filter(member=drop).update(member=keep)
        Message.objects.filter(member=drop).update(member=keep)
        Membership.objects.filter(member=drop).update(member=keep)
        # What the dropped record met and the kept one not yet (the rest goes with ``drop``).
        Prerequisite.objects.filter(member=drop).exclude(kind__in=keep.prerequisites.values("kind")).update(member=keep)
        briefings_move(keep=keep, drop=drop)
        if not keep.postal_address:
            keep.street, keep.postcode, keep.city = drop.street, drop.postcode, drop.city
        for name in ("email", "phone"):
            if not getattr(keep, name):
                setattr(keep, name, getattr(drop, name))
        if drop.notes:
            keep.notes = f"{keep.notes}\n{drop.notes}".strip()
        if not keep.partner_id:
            keep.partner_id = drop.partner_id
        if keep.health_consent_at is None and drop.health_consent_at is not None:
            # The remembered allergies and diets, with the consent they were given under.
            keep.allergens, keep.diets, keep.health_consent_at = drop.allergens, drop.diets, drop.health_consent_at
        user_id = drop.user_id
        drop.delete()
        if user_id and not keep.user_id:
            keep.user_id = user_id
        keep.save()
    return keep


# Membership --------------------------------------------------------------------


def membership_record(
    *, member: Member, joined_on: date, amount: Decimal, method: str, by=None, year: int | None = None
) -> Membership:
    """Record a member's yearly membership (free price: 0 is fine)."""
    if amount < 0:
        raise MemberError(_("Le montant ne peut pas être négatif."))
    year = year or joined_on.year
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        if Membership.objects.filter(member=member, year=year).exists():
            raise MembershipExists(_("%(name)s est déjà adhérent·e pour %(year)s.") % {"name": member, "year": year})
        return Membership.objects.create(
            member=member, year=year, joined_on=joined_on, amount=amount, method=method, recorded_by=by
        )


# Partners ----------------------------------------------------------------------


def referent_create(*, partner: Partner, name: str, email: str, password: str, by=None):
    """Give a partner association a referent account (group ``partner``)."""
    User = get_user_model()
    email = email.strip().lower()
    if User.objects.filter(Q(username__iexact=email) | Q(email__iexact=email)).exists():
        raise ReferentExists(_("Un compte existe déjà avec cette adresse e-mail."))
    first, _sep, last = name.strip().partition(" ")
    with transaction.atomic():
        user = User.objects.create_user(
            username=email, email=email, password=password, first_name=first, last_name=last
        )
        user.groups.add(Group.objects.get(name=PARTNER))
        member = Member.objects.filter(user__isnull=True, email__iexact=email, erased_at__isnull=True).first()
        if member:
            member.user = user
            member.save(update_fields=["user"])
        else:
            Member.objects.create(user=user, name=name.strip(), email=email, partner=partner)
        partner.referents.add(user)
    return user


# GDPR --------------------------------------------------------------------------


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def member_export(*, member: Member) -> dict:
    """Everything the canteen holds about one person, as plain JSON-ready data."""
    from meals.models import Booking, Contribution, ShiftSignup

    user = member.user
    bookings = Booking.objects.filter(member=member).select_related("meal", "partner").order_by("created_at")
    signups = ShiftSignup.objects.filter(member=member).select_related("shift__meal").order_by("created_at")
    contributions = Contribution.objects.filter(booking__member=member).select_related("meal").order_by("recorded_at")
    return {
        "exported_at": timezone.now().isoformat(),
        "member": {
            "id": member.pk,
            "name": member.name,
            "email": member.email,
            "phone": member.phone,
            "postal_address": member.postal_address,
            "notes": member.notes,
            # The remembered allergy and diet profile (GDPR art. 9), with when they consented.
            "allergens": list(member.allergens or []),
            "diets": list(member.diets or []),
            "health_consent_at": _iso(member.health_consent_at),
            "language": member.language,
            "partner": member.partner.name if member.partner_id else None,
            "created_at": _iso(member.created_at),
            "erased_at": _iso(member.erased_at),
        },
        "account": None
        if user is None
        else {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "groups": sorted(user.groups.values_list("name", flat=True)),
        },
        "bookings": [
            {
                "meal": _iso(b.meal.starts_at),
                "meal_title": b.meal.title,
                "name": b.name,
                "email": b.email,
                "phone": b.phone,
                "party_size": b.party_size,
                "notes": b.notes,
                "allergens": list(b.allergens or []),
                "diets": list(b.diets or []),
                "health_consent_at": _iso(b.health_consent_at),
                "status": b.status,
                "partner": b.partner.name if b.partner_id else None,
                "created_at": _iso(b.created_at),
                "cancelled_at": _iso(b.cancelled_at),
                "checked_in_at": _iso(b.checked_in_at),
            }
            for b in bookings
        ],
        "shifts": [
            {"meal": _iso(s.shift.meal.starts_at), "role": s.shift.role, "starts_at": _iso(s.shift.starts_at)}
            for s in signups
        ],
        "memberships": [
            {"year": m.year, "joined_on": _iso(m.joined_on), "amount": str(m.amount), "method": m.method}
            for m in member.memberships.order_by("year")
        ],
        "prerequisites": [
            {"kind": p.kind, "met_at": _iso(p.met_at), "note": p.note} for p in member.prerequisites.order_by("kind")
        ],
        # The hygiene logbook names who gave and who attended the morning briefing.
        "hygiene_briefings": [
            {"day": b.day.isoformat(), "gave_it": b.given_by_id == member.pk}
            for b in (member.briefings_attended.all() | member.briefings_given.all()).distinct().order_by("day", "pk")
        ],
        "contributions": [
            {
                "meal": _iso(c.meal.starts_at),
                "amount": str(c.amount),
                "method": c.method,
                "recorded_at": _iso(c.recorded_at),
                "voided": c.voided_at is not None,
            }
            for c in contributions
        ],
    }


def erasure_refusal(member: Member) -> str | None:
    """Why this record may not be erased from the members' pages, or None.

    An account with rights above a volunteer's (staff, superuser, a group
    other than ``volunteer``, a permission of its own) would lose its
    password and its access: a coordinator could lock out another
    coordinator or the site's administrator.
    """
    user = member.user
    if user is None:
        return None
    if (
        user.is_staff
        or user.is_superuser
        or user.user_permissions.exists()
        or user.groups.exclude(name=VOLUNTEER).exists()
    ):
        return _(
            "Ce compte ne peut pas être effacé ici : il a des droits en plus de ceux d'un·e bénévole "
            "(coordination, partenaire ou administration). L'administrateur du site doit d'abord les lui retirer."
        )
    return None


def member_erase(*, member: Member, by=None, now: datetime | None = None) -> Member:
    """Remove a person's identity everywhere; keep their bookings, shifts and contributions anonymous.

    Refused (``ErasureRefused``, nothing written) for an account with rights above a volunteer's.
    """
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from meals.models import Booking

    now = now or timezone.now()
    with transaction.atomic():
        _lock_meals_of(member)  # before the member, as a booking does: no deadlock with one
        member = Member.objects.select_for_update().get(pk=member.pk)
        refusal = erasure_refusal(member)
        if refusal:
            raise ErasureRefused(refusal)
        from meals import outbox

        outbox.forget_member(member)  # before the bookings lose their link to the messages' rows
        # Health data goes with the identity (GDPR art. 9): the kitchen's counts lose these people.
        Booking.objects.filter(member=member).update(
            name="", email="", phone="", notes="", allergens=[], diets=[], health_consent_at=None
        )
        if member.user_id:
            user = member.user
            user.username = f"effacé-{member.pk}-{now:%Y%m%d%H%M%S}"
            user.email = ""
            user.first_name = ""
            user.last_name = ""
            user.is_active = False
            user.set_unusable_password()
            user.save()
            user.partners.clear()
        # The admin's history may have copied the name into object_repr.
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Member), object_id=str(member.pk)
        ).update(object_repr="")
        Prerequisite.objects.filter(member=member).update(note="")  # the dated facts stay, anonymous
        member.name = ""
        member.email = ""
        member.phone = ""
        member.notes = ""
        # The postal address too; a tax receipt already issued keeps its own copy (kept six years, LPF L102 B).
        member.street = member.postcode = member.city = ""
        member.allergens, member.diets, member.health_consent_at = [], [], None
        member.erased_at = now
        member.save(
            update_fields=[
                "name", "email", "phone", "notes", "street", "postcode", "city", "erased_at",
                "allergens", "diets", "health_consent_at",
            ]
        )  # fmt: skip
    return member


def inactive_guests(*, months: int, now: datetime | None = None):
    """Guests (no account) with no booking, shift or membership in the last ``months`` months."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=round(months * 365.25 / 12))
    return (
        Member.objects.active()
        .filter(user__isnull=True, created_at__lt=cutoff)
        .exclude(bookings__meal__starts_at__gte=cutoff)
        .exclude(bookings__created_at__gte=cutoff)
        .exclude(signups__shift__starts_at__gte=cutoff)
        .exclude(memberships__joined_on__gte=cutoff.date())
        .distinct()
    )


def members_purge_inactive(*, months: int, apply: bool = False, now: datetime | None = None) -> int:
    """Anonymise inactive guests (only when ``apply``); returns how many are concerned."""
    now = now or timezone.now()
    members = list(inactive_guests(months=months, now=now))
    if apply:
        for member in members:
            member_erase(member=member, now=now)
    return len(members)


# The cantine's settings ----------------------------------------------------------


def cantine_settings_update(*, values: dict, by=None) -> CantineSettings:
    """Write the coordinator's settings on the one row (created on the first save).

    ``values`` maps field names to values (the form's, plus ``map_image`` and
    ``map_image_type`` when the plan changes). The row is locked so that two
    coordinators saving at once write one after the other; the change counters'
    triggers make every page show the new values from the next request on.
    """
    with transaction.atomic():
        row, _created = CantineSettings.objects.select_for_update().get_or_create(
            pk=CantineSettings.PK, defaults={"phone": CantineSettings.defaults().phone}
        )
        for name, value in values.items():
            setattr(row, name, value)
        row.updated_by = by
        row.save()
    return row
