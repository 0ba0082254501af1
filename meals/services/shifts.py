"""Shift rules: creating a meal's shifts, claiming and releasing slots, reminders."""

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from meals.cache import bump
from meals.idempotency import claim, keep
from meals.models import Meal, Shift, ShiftSignup, ShiftTemplate
from meals.services.locks import lock_shift

logger = logging.getLogger(__name__)

# Volunteers may release a shift online until this long before it starts;
# after that the coordination must know, so they are asked to phone.
RELEASE_CUTOFF = timedelta(hours=24)


@dataclass(frozen=True)
class ShiftTemplateRow:
    role: str
    # Offsets from the meal's start (lunch at 12:30: cooking from 9:30).
    starts_before_meal: timedelta
    duration: timedelta
    slots: int
    description: str = ""
    accompanied: bool = False


DEFAULT_SHIFT_TEMPLATE = [
    ShiftTemplateRow(Shift.Role.COOKING, timedelta(hours=3), timedelta(hours=2, minutes=30), 10),
    ShiftTemplateRow(Shift.Role.TABLE, timedelta(minutes=30), timedelta(minutes=30), 3),
    ShiftTemplateRow(Shift.Role.DISHES, -timedelta(hours=1, minutes=15), timedelta(hours=1), 4),
]


def shift_template_rows() -> list[ShiftTemplateRow]:
    """The coordinator's template when one was saved (its active rows), else the built-in one."""
    saved = list(ShiftTemplate.objects.all())
    if not saved:
        return list(DEFAULT_SHIFT_TEMPLATE)
    return [
        ShiftTemplateRow(
            role=row.role,
            starts_before_meal=timedelta(minutes=row.minutes_before_meal),
            duration=timedelta(minutes=row.duration_minutes),
            slots=row.slots,
            description=row.description,
            accompanied=row.accompanied,
        )
        for row in saved
        if row.active
    ]


def shifts_for(*, meal: Meal, template) -> list[Shift]:
    """The meal's shifts from a template, not saved yet (bulk creation of many meals)."""
    return [
        Shift(
            meal=meal,
            role=row.role,
            starts_at=meal.starts_at - row.starts_before_meal,
            ends_at=meal.starts_at - row.starts_before_meal + row.duration,
            slots=row.slots,
            description=row.description,
            accompanied=row.accompanied,
        )
        for row in template
    ]


def shifts_create_default(*, meal: Meal, template=None) -> list[Shift]:
    """Give a new meal its cooking, table and washing-up shifts."""
    shifts = Shift.objects.bulk_create(shifts_for(meal=meal, template=template or shift_template_rows()))
    bump("meals", "board")  # bulk_create() sends no signal (meals/cache.py)
    return shifts


class ShiftError(Exception):
    """A claim or release that cannot be done; the message is for the person."""


class ShiftFull(ShiftError):
    pass


class AlreadyOnShift(ShiftError):
    pass


class ShiftClosed(ShiftError):
    """The shift is over, or its meal was cancelled."""


class NotOnShift(ShiftError):
    """The sign-up to release is already gone."""


class ReleaseTooLate(ShiftError):
    """Less than ``RELEASE_CUTOFF`` before the shift: only the coordination may release it."""


class NotReady(ShiftError):
    """The volunteer lacks a prerequisite of the role (meals/readiness.py); the message says which and where."""


def shift_claim(
    *, shift: Shift, member, booking=None, by=None, now=None, key: str = "", override: bool = False
) -> ShiftSignup:
    """Put ``member`` on ``shift``. Must hold under concurrency: lock the shift, count, write.

    Returns the new ``ShiftSignup``. Raises ``ShiftFull``, ``AlreadyOnShift``,
    ``ShiftClosed`` or ``NotReady``. Call it inside an outer
    ``transaction.atomic()`` to take the slot in the same transaction as
    something else (a booking).

    Readiness (meals/readiness.py) is checked for a person's claim (``by``: the
    volunteer, or a coordinator assigning them) unless ``override`` (the
    coordinator saw the warning and went on). Not for a guest who offers a hand
    with a booking (``booking``; the kitchen briefs them on the day), nor for
    the app's own writes (no ``by``: the demo data, a merge).
    """
    now = now or timezone.now()
    with transaction.atomic():
        # The meal, then the shift (meals.services.locks): two volunteers racing
        # for the last slot queue there, the second one sees ``taken`` already
        # incremented, and a guest booking with help (meal, then shift) never
        # waits on us while we wait on her.
        locked = lock_shift(shift)
        if (first := claim(key, "shift_claim", ShiftSignup)) is not None:
            return first
        if locked.meal.is_cancelled:
            raise ShiftClosed(_("Ce repas est annulé."))
        if locked.starts_at <= now:
            raise ShiftClosed(_("Ce créneau est déjà commencé ou passé."))
        if ShiftSignup.objects.filter(shift=locked, member=member).exists():
            raise AlreadyOnShift(_("Vous êtes déjà inscrit·e sur ce créneau."))
        if locked.taken >= locked.slots:
            raise ShiftFull(_("Ce créneau est complet."))
        if by is not None and booking is None and not override:
            from meals.readiness import refusal_for

            if (refused := refusal_for(member=member, shift=locked)) is not None:
                raise NotReady(refused.message)
        signup = ShiftSignup.objects.create(shift=locked, member=member, booking=booking, created_by=by)
        Shift.objects.filter(pk=locked.pk).update(taken=F("taken") + 1)
        keep(key, "shift_claim", signup)
    shift.taken = locked.taken + 1
    return signup


def can_release_late(user) -> bool:
    """Coordinators may take someone off a shift at any time."""
    return user is not None and user.has_perm("meals.delete_shiftsignup")


def release_is_late(shift: Shift, now=None) -> bool:
    now = now or timezone.now()
    return shift.starts_at - now < RELEASE_CUTOFF


def too_late_message() -> str:
    from members.models import cantine_settings

    phone = cantine_settings().phone
    if phone:
        return _(
            "Le créneau commence dans moins de 24 heures : vous ne pouvez plus vous désinscrire en ligne. "
            "Appelez la coordination au %(phone)s."
        ) % {"phone": phone}
    return _(
        "Le créneau commence dans moins de 24 heures : vous ne pouvez plus vous désinscrire en ligne. "
        "Appelez la coordination."
    )


def shift_release(*, signup: ShiftSignup, by=None, now=None, force: bool = False, key: str = "") -> None:
    """Take a sign-up off its shift and free the slot.

    Volunteers may do it until ``RELEASE_CUTOFF`` before the shift; a
    coordinator (``meals.delete_shiftsignup``) at any time. ``force`` skips the
    cut-off for callers that decide for themselves (a guest cancelling the
    booking the sign-up came with). Raises ``NotOnShift``, ``ShiftClosed`` or
    ``ReleaseTooLate``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Same locks as shift_claim (meal, then shift), so ``taken`` and the sign-ups never disagree.
        locked = lock_shift(signup.shift_id)
        if claim(key, "shift_release") is not None:
            return  # a replay: not a later sign-up of the same person
        if not ShiftSignup.objects.filter(pk=signup.pk, shift=locked).exists():
            raise NotOnShift(_("Vous n'êtes plus inscrit·e sur ce créneau."))
        if not force and not can_release_late(by):
            if locked.starts_at <= now:
                raise ShiftClosed(_("Ce créneau est déjà commencé ou passé."))
            if release_is_late(locked, now):
                raise ReleaseTooLate(too_late_message())
        ShiftSignup.objects.filter(pk=signup.pk).delete()
        Shift.objects.filter(pk=locked.pk).update(taken=F("taken") - 1)
        if locked.starts_at > now and release_is_late(locked, now):
            slot_open_alert(shift=locked, released=signup, now=now)
        keep(key, "shift_release", signup.pk)


# Attendance (issue 18) ------------------------------------------------------------

Attendance = ShiftSignup.Attendance


def attendance_mark(*, signup: ShiftSignup, attended: str, by, now=None, key: str = "") -> ShiftSignup:
    """A coordinator says whether ``signup``'s person came (``CAME``) or not (``ABSENT``); marking again changes it.

    Only once the shift has started. Coming counts as the trial shift
    (``members.Prerequisite``). Locks as a claim does (meal, then shift), then the sign-up.
    """
    from meals.templatetags.cantine import when
    from members.models import Prerequisite
    from members.services import record_prerequisite

    now = now or timezone.now()
    if attended not in (Attendance.CAME, Attendance.ABSENT):
        raise ShiftError(_("Choisissez « venu·e » ou « pas venu·e »."))
    with transaction.atomic():
        locked = lock_shift(signup.shift_id)
        if (first := claim(key, "attendance_mark", ShiftSignup)) is not None:
            return first
        row = (
            ShiftSignup.objects.select_for_update(of=("self",))
            .select_related("member")
            .filter(pk=signup.pk, shift=locked)
            .first()
        )
        if row is None:
            raise NotOnShift(_("Cette personne n'est plus inscrite sur ce créneau."))
        if locked.meal.is_cancelled:
            raise ShiftClosed(_("Ce repas est annulé."))
        if locked.starts_at > now:
            raise ShiftClosed(_("Ce créneau n'a pas encore commencé : les présences se notent le jour même."))
        row.attended, row.attendance_marked_at, row.attendance_marked_by = attended, now, by
        row.save(update_fields=["attended", "attendance_marked_at", "attendance_marked_by"])
        if attended == Attendance.CAME and row.member.erased_at is None:
            record_prerequisite(
                member=row.member,
                kind=Prerequisite.Kind.TRIAL,
                by=by,
                met_at=now,
                note=_("Présent·e au créneau du %(when)s") % {"when": when(locked.starts_at)},
            )
        keep(key, "attendance_mark", row)
    return row


class AlreadyFollowedUp(ShiftError):
    pass


def no_show_follow_up(*, signup: ShiftSignup, by, now=None) -> bool:
    """Queue the kind « we missed you, is everything all right? » mail to someone who did not come: once.

    Returns whether a mail was queued (False: no address). Raises ``ShiftError``
    when the person came or was not marked absent, ``AlreadyFollowedUp`` the second time.
    """
    from meals import outbox
    from meals.models import Message

    now = now or timezone.now()
    with transaction.atomic():
        locked = lock_shift(signup.shift_id)
        row = (
            ShiftSignup.objects.select_for_update(of=("self",))
            .select_related("member__user")
            .filter(pk=signup.pk, shift=locked)
            .first()
        )
        if row is None or row.attended != Attendance.ABSENT:
            raise ShiftError(_("Cette personne n'est pas notée absente sur ce créneau."))
        if row.followed_up_at is not None:
            raise AlreadyFollowedUp(_("Un message lui a déjà été envoyé."))
        member = row.member
        email = member.email or (member.user.email if member.user else "")
        if member.erased_at is not None or not email:
            return False
        ShiftSignup.objects.filter(pk=row.pk).update(followed_up_at=now)
        outbox.enqueue(
            channel=Message.Channel.EMAIL,
            kind="volunteer_follow_up",
            to=email,
            language=member.language or "fr",
            member=member,
            context={"signup": row.pk},
            key=f"follow-up:{row.pk}",
        )
    return True


# The volunteers who already helped in a role, for « a slot opened »: the last year, at most this many.
ALERT_POOL_DAYS = 365
ALERT_POOL_SIZE = 40


def slot_open_alert(*, shift: Shift, released: ShiftSignup, now) -> int:
    """Tell the role's pool, by email, that a slot opened less than 24 h before: once per release.

    The pool: volunteers (an active account in the ``volunteer`` group) who
    took a slot of this role themselves in the last year, not already on
    this shift. Queued in the releasing transaction; each message's key
    (the released sign-up and the person) makes it once, whatever happens.
    """
    from meals import outbox
    from meals.models import Message
    from members.models import Member
    from members.roles import VOLUNTEER

    pool = (
        Member.objects.active()
        .filter(
            user__is_active=True,
            user__groups__name=VOLUNTEER,
            signups__booking__isnull=True,
            signups__shift__role=shift.role,
            signups__shift__starts_at__gte=now - timedelta(days=ALERT_POOL_DAYS),
        )
        .exclude(signups__shift=shift)
        .exclude(pk=released.member_id)
        .exclude(email="")
        .distinct()
        .order_by("pk")[:ALERT_POOL_SIZE]
    )
    queued = 0
    for member in pool:
        if outbox.enqueue(
            channel=Message.Channel.EMAIL,
            kind="slot_open",
            to=member.email,
            language=member.language,
            member=member,
            context={"shift": shift.pk},
            key=f"slot-open:{released.pk}:{member.pk}",
        ):
            queued += 1
    return queued


def shift_reminders_send(*, now=None, day: date | None = None) -> int:
    """Queue for each volunteer, the day before, a mail of the shifts they hold tomorrow (or on ``day``).

    Returns the mails queued (the outbox's worker sends them).

    Idempotent: each sign-up remembers ``reminder_sent_at``; a second run the
    same day sends nothing. Guests who help through a booking get the booking's
    own reminder, so they are left out here.
    """
    now = now or timezone.now()
    tomorrow = day or timezone.localdate(now) + timedelta(days=1)
    due = (
        ShiftSignup.objects.filter(
            reminder_sent_at__isnull=True,
            booking__isnull=True,
            shift__starts_at__date=tomorrow,
            shift__starts_at__gt=now,
            shift__meal__status=Meal.Status.SCHEDULED,
            member__erased_at__isnull=True,
        )
        .select_related("member__user")
        .order_by("member_id", "shift__starts_at")
    )
    by_member: dict[int, list[int]] = {}
    members = {}
    for signup in due:
        by_member.setdefault(signup.member_id, []).append(signup.pk)
        members[signup.member_id] = signup.member
    sent = 0
    for member_id, pks in by_member.items():
        member = members[member_id]
        email = member.email or (member.user.email if member.user else "")
        if not email:
            continue
        with transaction.atomic():
            # Lock and re-check, so two runs at once never queue twice.
            todo = list(
                ShiftSignup.objects.select_for_update(of=("self",))  # not the joined shift and meal rows
                .filter(pk__in=pks, reminder_sent_at__isnull=True)
                .order_by("shift__starts_at")
            )
            if not todo:
                continue
            ShiftSignup.objects.filter(pk__in=[s.pk for s in todo]).update(reminder_sent_at=now)
            from meals import outbox
            from meals.models import Message

            outbox.enqueue(
                channel=Message.Channel.EMAIL,
                kind="shift_reminder",
                to=email,
                language=member.language or "fr",
                member=member,
                context={"signups": [signup.pk for signup in todo]},
            )
        sent += 1
    logger.info("shift reminders queued: %s", sent)
    return sent
