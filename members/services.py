"""Rules about people: merge two records, record a membership, export and erase (GDPR), referents."""

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Count, Min, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from members.models import CantineSettings, Member, Membership, Partner
from members.roles import PARTNER


class MemberError(Exception):
    """A change to a member that cannot be done; the message is for the coordinator."""


class MergeConflict(MemberError):
    pass


class MembershipExists(MemberError):
    pass


class ReferentExists(MemberError):
    pass


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
    figures["shifts_done"] = ShiftSignup.objects.filter(member=member, shift__ends_at__lt=now).count()
    figures["contributions_total"] = Contribution.objects.filter(
        booking__member=member, voided_at__isnull=True
    ).aggregate(total=Sum("amount"))["total"] or Decimal("0")
    return figures


# Merge -------------------------------------------------------------------------


def member_merge(*, keep: Member, drop: Member, by=None) -> Member:
    """Move everything of ``drop`` onto ``keep`` (same person, two records), then delete ``drop``.

    Refused, with nothing written, when both are on the same shift, both hold a
    live booking for the same meal, both joined the same year, or both log in.
    """
    from meals.models import Booking, ShiftSignup

    if keep.pk == drop.pk:
        raise MergeConflict(_("Choisissez deux fiches différentes."))
    with transaction.atomic():
        # Lock both rows in a fixed order so two merges never deadlock.
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

        Booking.objects.filter(member=drop).update(member=keep)
        ShiftSignup.objects.filter(member=drop).update(member=keep)
        Membership.objects.filter(member=drop).update(member=keep)
        for name in ("email", "phone"):
            if not getattr(keep, name):
                setattr(keep, name, getattr(drop, name))
        if drop.notes:
            keep.notes = f"{keep.notes}\n{drop.notes}".strip()
        if not keep.partner_id:
            keep.partner_id = drop.partner_id
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
            "notes": member.notes,
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


def member_erase(*, member: Member, by=None, now: datetime | None = None) -> Member:
    """Remove a person's identity everywhere; keep their bookings, shifts and contributions anonymous."""
    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType

    from meals.models import Booking

    now = now or timezone.now()
    with transaction.atomic():
        member = Member.objects.select_for_update().get(pk=member.pk)
        Booking.objects.filter(member=member).update(name="", email="", phone="", notes="")
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
        member.name = ""
        member.email = ""
        member.phone = ""
        member.notes = ""
        member.erased_at = now
        member.save(update_fields=["name", "email", "phone", "notes", "erased_at"])
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
