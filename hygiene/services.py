"""Writing the hygiene logbook: one function per kind of entry, each in one ``transaction.atomic()``.

An entry hangs from no meal, so recording one locks nothing but, for a correction, the entry it
corrects (``select_for_update()``: two people correcting the same reading at once make one
correction; the one-to-one ``corrects`` refuses a second in the database too), and for the cleaning
plan the tasks ticked (one line per task and day). A one-time form
key (``meals.idempotency``) makes a double tap write once. The rules are checked here, whatever
the form said: out of its limits, an entry needs a corrective action (``ActionRequired``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

from django.db import transaction
from django.utils import formats
from django.utils.translation import gettext as _

from hygiene.models import (
    Briefing,
    CleaningCheck,
    CleaningTask,
    ColdUnit,
    Cooling,
    Delivery,
    Entry,
    TemperatureReading,
    cooling_in_rule,
    in_limits,
)
from meals.idempotency import claim, keep
from members.models import Member, Prerequisite
from members.services import record_prerequisite


class HygieneError(Exception):
    """Something the logbook cannot record; the message is for the kitchen (French source)."""

    field: str | None = None


class ActionRequired(HygieneError):
    field = "corrective_action"


class AlreadyCorrected(HygieneError):
    pass


class ReasonRequired(HygieneError):
    field = "correction_reason"


class BadTimes(HygieneError):
    field = "ended_at"


def _correction(model: type[Entry], corrects: Entry | None, reason: str) -> dict:
    """Lock the entry being corrected; the fields that say so on the new one."""
    if corrects is None:
        return {}
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired(_("Dites pourquoi vous corrigez cette ligne."))
    locked = model.objects.select_for_update().get(pk=corrects.pk)
    if model.objects.filter(corrects=locked).exists():
        raise AlreadyCorrected(_("Cette ligne a déjà été corrigée : corrigez plutôt la correction."))
    return {"corrects": locked, "correction_reason": reason}


def reading_record(
    *,
    unit: ColdUnit,
    temperature: Decimal,
    taken_at: datetime,
    corrective_action: str = "",
    by,
    corrects: TemperatureReading | None = None,
    reason: str = "",
    key: str = "",
) -> TemperatureReading:
    """A fridge's or freezer's temperature. Out of the unit's limits, it needs a corrective action."""
    action = (corrective_action or "").strip()
    if not action and not in_limits(temperature, unit.min_c, unit.max_c):
        raise ActionRequired(
            _("%(temperature)s °C : hors des limites de « %(unit)s ». Dites ce que vous avez fait (action corrective).")
            % {"temperature": _number(temperature), "unit": unit.name}
        )
    with transaction.atomic():
        if (first := claim(key, "hygiene_reading", TemperatureReading)) is not None:
            return first
        reading = TemperatureReading.objects.create(
            unit=unit,
            temperature=temperature,
            taken_at=taken_at,
            min_c=unit.min_c,
            max_c=unit.max_c,
            corrective_action=action,
            recorded_by=by,
            **_correction(TemperatureReading, corrects, reason),
        )
        return keep(key, "hygiene_reading", reading)


def delivery_record(
    *,
    received_on: date,
    supplier=None,
    supplier_name: str = "",
    product: str,
    lot: str = "",
    use_by: date | None = None,
    storage: str,
    temperature: Decimal | None = None,
    accepted: bool = True,
    corrective_action: str = "",
    purchase_line=None,
    by,
    corrects: Delivery | None = None,
    reason: str = "",
    key: str = "",
) -> Delivery:
    """Goods received. Chilled or frozen, with the temperature at reception; too warm, past its use-by
    date or refused, it needs a corrective action (or the reason of the refusal)."""
    limit = Delivery.LIMITS.get(storage)
    if limit is not None and temperature is None:
        raise HygieneError(_("Prenez la température à la réception d'un produit frais ou surgelé."))
    if limit is None:
        temperature = None
    delivery = Delivery(
        received_on=received_on,
        supplier=supplier,
        supplier_name=(supplier_name or "").strip(),
        product=product.strip(),
        lot=(lot or "").strip(),
        use_by=use_by,
        storage=storage,
        temperature=temperature,
        limit_c=limit,
        accepted=accepted,
        corrective_action=(corrective_action or "").strip(),
        purchase_line=purchase_line,
        recorded_by=by,
    )
    if not delivery.supplier_label:
        raise HygieneError(_("Indiquez le fournisseur."))
    if delivery.out_of_rule and not delivery.corrective_action:
        if not accepted:
            raise ActionRequired(_("Dites pourquoi la livraison est refusée."))
        raise ActionRequired(
            _("Trop chaud ou DLC dépassée : dites ce que vous avez fait (refusée, jetée, fournisseur prévenu…).")
        )
    with transaction.atomic():
        if (first := claim(key, "hygiene_delivery", Delivery)) is not None:
            return first
        for name, value in _correction(Delivery, corrects, reason).items():
            setattr(delivery, name, value)
        delivery.save()
        return keep(key, "hygiene_delivery", delivery)


def cooling_record(
    *,
    dish: str,
    meal=None,
    started_at: datetime,
    start_c: Decimal,
    ended_at: datetime,
    end_c: Decimal,
    corrective_action: str = "",
    by,
    corrects: Cooling | None = None,
    reason: str = "",
    key: str = "",
) -> Cooling:
    """A cooked dish cooled: 63 °C or more, then below 10 °C within 2 hours; otherwise a corrective action."""
    if ended_at < started_at:
        raise BadTimes(_("La fin du refroidissement vient après son début."))
    if (ended_at - started_at).days >= 1:
        raise BadTimes(_("Un refroidissement dure moins d'une journée : vérifiez les heures."))
    action = (corrective_action or "").strip()
    if not action and not cooling_in_rule(started_at=started_at, start_c=start_c, ended_at=ended_at, end_c=end_c):
        raise ActionRequired(
            _(
                "Refroidissement hors de la règle (de 63 °C ou plus à moins de 10 °C en 2 heures au plus) : "
                "dites ce que vous avez fait (plat jeté, servi chaud…)."
            )
        )
    with transaction.atomic():
        if (first := claim(key, "hygiene_cooling", Cooling)) is not None:
            return first
        cooling = Cooling.objects.create(
            dish=dish.strip(),
            meal=meal,
            started_at=started_at,
            start_c=start_c,
            ended_at=ended_at,
            end_c=end_c,
            corrective_action=action,
            recorded_by=by,
            **_correction(Cooling, corrects, reason),
        )
        return keep(key, "hygiene_cooling", cooling)


def cleaning_checks_record(*, tasks: Iterable[CleaningTask], day: date, by, key: str = "") -> list[CleaningCheck]:
    """The tasks of the cleaning plan done on ``day``, signed. A task already ticked that day stays one line."""
    tasks = list(tasks)
    if not tasks:
        raise HygieneError(_("Cochez au moins une tâche faite."))
    with transaction.atomic():
        # The tasks' rows, locked in pk order: two phones ticking the same task at once make one line.
        tasks = list(CleaningTask.objects.select_for_update().filter(pk__in=[task.pk for task in tasks]).order_by("pk"))
        if claim(key, "hygiene_cleaning") is not None:
            return []
        done = set(
            CleaningCheck.objects.filter(task__in=tasks, day=day, corrected_by__isnull=True).values_list(
                "task_id", flat=True
            )
        )
        checks = [
            CleaningCheck.objects.create(task=task, day=day, done=True, recorded_by=by)
            for task in tasks
            if task.pk not in done
        ]
        keep(key, "hygiene_cleaning", len(checks))
        return checks


def cleaning_check_correct(
    *, corrects: CleaningCheck, done: bool, note: str = "", by, reason: str, key: str = ""
) -> CleaningCheck:
    """Say a task was not done after all (or add a remark): a new line that corrects the old one."""
    with transaction.atomic():
        if (first := claim(key, "hygiene_cleaning_fix", CleaningCheck)) is not None:
            return first
        check = CleaningCheck.objects.create(
            task_id=corrects.task_id,
            day=corrects.day,
            done=done,
            note=(note or "").strip(),
            recorded_by=by,
            **_correction(CleaningCheck, corrects, reason),
        )
        return keep(key, "hygiene_cleaning_fix", check)


def briefing_record(
    *,
    day: date,
    given_by: Member,
    attendees: Iterable[Member],
    meal=None,
    by,
    corrects: Briefing | None = None,
    reason: str = "",
    key: str = "",
) -> Briefing:
    """Who attended the morning hygiene briefing; each attendee meets the « consignes d'hygiène » prerequisite."""
    attendees = list(attendees)
    if not attendees:
        raise HygieneError(_("Cochez au moins une personne présente."))
    with transaction.atomic():
        if (first := claim(key, "hygiene_briefing", Briefing)) is not None:
            return first
        briefing = Briefing.objects.create(
            day=day, meal=meal, given_by=given_by, recorded_by=by, **_correction(Briefing, corrects, reason)
        )
        briefing.attendees.set(attendees)
        # Attending is the volunteer's « consignes d'hygiène » prerequisite (meals/readiness.py).
        note = _("Briefing d'hygiène du %(day)s") % {"day": formats.date_format(day, "SHORT_DATE_FORMAT")}
        for member in attendees:
            if member.erased_at is None:
                record_prerequisite(member=member, kind=Prerequisite.Kind.HYGIENE, by=by, note=str(note))
        return keep(key, "hygiene_briefing", briefing)


def briefings_move(*, keep: Member, drop: Member) -> None:
    """Two records of one person merged (``members.services.member_merge``): the briefings ``drop`` gave or
    attended are ``keep``'s, so the logbook still names who was there (inside the merge's transaction)."""
    Briefing.objects.filter(given_by=drop).update(given_by=keep)
    attended = Briefing.attendees.through.objects
    attended.filter(member=drop, briefing__attendees=keep).delete()  # the same briefing: once is enough
    attended.filter(member=drop).update(member=keep)


def cold_unit_create(*, name: str, kind: str, min_c: Decimal | None = None, max_c: Decimal | None = None) -> ColdUnit:
    default_min, default_max = ColdUnit.default_limits(kind)
    return ColdUnit.objects.create(
        name=name.strip(),
        kind=kind,
        min_c=min_c if max_c is not None else default_min,
        max_c=max_c if max_c is not None else default_max,
    )


def _number(value: Decimal) -> str:
    """« 6,5 » in French, « 6.5 » in English."""
    return formats.number_format(value.normalize(), use_l10n=True)
