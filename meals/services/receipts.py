"""Tax receipts (Cerfa 11580): issue one per gift or one a year per donor, cancel and reissue.

A receipt number is given without gaps per year (« 2026-0001 », « 2026-0002 »…):
the number is the year's highest plus one, read and written under the lock of
the cantine's settings row (one row, which must exist since a receipt needs
its settings), so two coordinators issuing at once queue there and get
consecutive numbers; the unique constraint on (year, sequence) would refuse a
duplicate anyway. A receipt is never deleted, so a number once given stays.

Lock order: the settings row, then the gifts (``Contribution`` rows). A void
(``contribution_void``) locks the meal, then the gift, and refuses a gift that
is on a live receipt: both lock the gift row, so one waits for the other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from meals.idempotency import claim, keep
from meals.models import Contribution, Message, ReceiptLine, TaxReceipt
from members.models import CantineSettings, Member, PaymentMethod


class ReceiptRefused(Exception):
    """Why no receipt can be issued or cancelled (French source, for the page)."""


# Cerfa 11580: « mode de versement du don » (a voucher buys a meal: never a gift).
RECEIPT_METHODS = {
    PaymentMethod.CASH: "Remise d'espèces",
    PaymentMethod.CHEQUE: "Chèque",
    PaymentMethod.CARD: "Carte bancaire",
    PaymentMethod.TRANSFER: "Virement",
    PaymentMethod.OTHER: "Autre",
}


def settings_missing() -> list[str]:
    row = CantineSettings.objects.filter(pk=CantineSettings.PK).first()
    return (row or CantineSettings.defaults()).receipts_missing


def _locked_settings() -> CantineSettings:
    row = CantineSettings.objects.select_for_update().filter(pk=CantineSettings.PK).first()
    missing = (row or CantineSettings.defaults()).receipts_missing
    if row is None or missing:
        raise ReceiptRefused(
            _("Aucun reçu fiscal ne peut être émis : les réglages de la cantine n'indiquent pas %(missing)s.")
            % {"missing": ", ".join(str(item) for item in missing)}
        )
    return row


def _donor(member: Member | None) -> tuple[str, str]:
    if member is None or member.erased_at is not None:
        raise ReceiptRefused(_("Ce don n'a pas de donateur ou donatrice : pas de reçu possible."))
    name, address = member.name.strip(), member.postal_address
    if not name or not address:
        raise ReceiptRefused(
            _("Il faut le nom et l'adresse postale complète de %(name)s (fiche du membre) pour émettre un reçu.")
            % {"name": name or _("cette personne")}
        )
    return name, address


def _check_gifts(gifts: list[Contribution]) -> None:
    if not gifts:
        raise ReceiptRefused(_("Aucun don sans reçu pour cette personne et cette année."))
    for gift in gifts:
        if gift.kind != Contribution.Kind.DONATION:
            raise ReceiptRefused(_("Seul un don ouvre droit à un reçu fiscal, pas une participation à un repas."))
        if gift.voided_at is not None:
            raise ReceiptRefused(_("Ce don est annulé : pas de reçu."))
        if gift.method not in RECEIPT_METHODS:
            raise ReceiptRefused(_("Un titre-restaurant n'est pas un don : pas de reçu."))
    if ReceiptLine.objects.filter(contribution__in=gifts, live=True).exists():
        raise ReceiptRefused(_("Ce don a déjà un reçu fiscal."))
    if sum((gift.amount for gift in gifts), Decimal("0")) <= 0:
        raise ReceiptRefused(_("Un reçu porte sur un montant de plus de 0 €."))


def _issue(
    *,
    cantine: CantineSettings,
    kind: str,
    member: Member,
    gifts: list[Contribution],
    by,
    now: datetime,
    replaces: TaxReceipt | None = None,
    send: bool = False,
) -> TaxReceipt:
    name, address = _donor(member)
    _check_gifts(gifts)
    year = timezone.localtime(now).year
    last = TaxReceipt.objects.filter(year=year).aggregate(last=Max("sequence"))["last"] or 0
    dates = sorted(timezone.localtime(gift.recorded_at).date() for gift in gifts)
    methods = [RECEIPT_METHODS[value] for value in RECEIPT_METHODS if any(g.method == value for g in gifts)]
    receipt = TaxReceipt.objects.create(
        year=year,
        sequence=last + 1,
        number=TaxReceipt.format_number(year, last + 1),
        kind=kind,
        member=member,
        donor_name=name,
        donor_address=address,
        amount=sum((gift.amount for gift in gifts), Decimal("0.00")),
        first_gift_on=dates[0],
        last_gift_on=dates[-1],
        methods=", ".join(methods),
        article=cantine.receipt_article,
        association_name=cantine.association,
        association_address=cantine.address,
        association_object=cantine.association_object.strip(),
        signatory_name=cantine.signatory_name.strip(),
        signatory_role=cantine.signatory_role.strip(),
        signature_image=bytes(cantine.signature_image or b""),
        signature_image_type=cantine.signature_image_type,
        issued_at=now,
        issued_by=by,
        replaces=replaces,
    )
    ReceiptLine.objects.bulk_create([ReceiptLine(receipt=receipt, contribution=gift) for gift in gifts])
    if send:
        receipt_send(receipt=receipt)
    return receipt


def receipt_send(*, receipt: TaxReceipt) -> Message | None:
    """Queue the receipt (its PDF attached when sent) to the donor's email; None without an email."""
    from meals import outbox

    member = receipt.member
    if member is None or not member.email:
        return None
    return outbox.enqueue(
        channel=Message.Channel.EMAIL,
        kind="tax_receipt",
        to=member.email,
        language=member.language,
        member=member,
        context={"receipt": receipt.pk},
    )


def receipt_issue_gift(
    *, contribution: Contribution, by, send: bool = False, now: datetime | None = None, key: str = ""
) -> TaxReceipt:
    """A receipt for one gift (``contribution``, a donation that names its giver)."""
    now = now or timezone.now()
    with transaction.atomic(), translation.override("fr"):
        cantine = _locked_settings()
        if (first := claim(key, "receipt_issue", TaxReceipt)) is not None:
            return first
        gift = Contribution.objects.select_for_update(of=("self",)).select_related("giver").get(pk=contribution.pk)
        receipt = _issue(
            cantine=cantine, kind=TaxReceipt.Kind.GIFT, member=gift.giver, gifts=[gift], by=by, now=now, send=send
        )
        return keep(key, "receipt_issue", receipt)


def gifts_without_receipt(*, member: Member, year: int):
    """The member's gifts of ``year`` (by the day they were given) that are on no live receipt."""
    return (
        Contribution.objects.filter(
            kind=Contribution.Kind.DONATION, giver=member, voided_at__isnull=True, recorded_at__year=year
        )
        .exclude(receipt_lines__live=True)
        .order_by("recorded_at", "pk")
    )


def receipt_issue_annual(
    *, member: Member, year: int, by, send: bool = False, now: datetime | None = None, key: str = ""
) -> TaxReceipt:
    """One receipt for all the gifts of ``member`` in ``year`` that have none yet."""
    now = now or timezone.now()
    with transaction.atomic(), translation.override("fr"):
        cantine = _locked_settings()
        if (first := claim(key, "receipt_issue", TaxReceipt)) is not None:
            return first
        gifts = list(gifts_without_receipt(member=member, year=year).select_for_update(of=("self",)))
        member = Member.objects.get(pk=member.pk)
        receipt = _issue(
            cantine=cantine, kind=TaxReceipt.Kind.ANNUAL, member=member, gifts=gifts, by=by, now=now, send=send
        )
        return keep(key, "receipt_issue", receipt)


def receipt_cancel(
    *,
    receipt: TaxReceipt,
    by,
    reason: str,
    reissue: bool = False,
    send: bool = False,
    now: datetime | None = None,
    key: str = "",
) -> TaxReceipt:
    """Cancel a receipt (kept, with who, when, why); with ``reissue``, a new number for the same gifts.

    Returns the new receipt when reissued, else the cancelled one. The reissue
    reads the donor's name and address as they are now (the usual mistake).
    """
    reason = (reason or "").strip()[:300]
    if not reason:
        raise ReceiptRefused(_("Dites pourquoi vous annulez ce reçu."))
    now = now or timezone.now()
    with transaction.atomic(), translation.override("fr"):
        # The settings row first, as an issue takes it (a reissue needs them complete; a cancel does not).
        if reissue:
            cantine = _locked_settings()
        else:
            CantineSettings.objects.select_for_update().filter(pk=CantineSettings.PK).first()
        if (first := claim(key, "receipt_cancel", TaxReceipt)) is not None:
            return first
        locked = TaxReceipt.objects.select_for_update(of=("self",)).get(pk=receipt.pk)
        if locked.is_cancelled:
            raise ReceiptRefused(_("Ce reçu est déjà annulé."))
        gifts = list(
            Contribution.objects.select_for_update(of=("self",))
            .filter(receipt_lines__receipt=locked)
            .order_by("recorded_at", "pk")
        )
        locked.status = TaxReceipt.Status.CANCELLED
        locked.cancelled_at = now
        locked.cancelled_by = by
        locked.cancel_reason = reason
        locked.save(update_fields=list(TaxReceipt.CANCEL_FIELDS))
        ReceiptLine.objects.filter(receipt=locked).update(live=False)
        result = locked
        if reissue:
            member = Member.objects.get(pk=locked.member_id) if locked.member_id else None
            result = _issue(
                cantine=cantine,
                kind=locked.kind,
                member=member,
                gifts=gifts,
                by=by,
                now=now,
                replaces=locked,
                send=send,
            )
        return keep(key, "receipt_cancel", result)


def declaration(*, year: int) -> dict:
    """The yearly figures of article 222 bis CGI: the total of the receipts issued in ``year``, and their number.

    Cancelled receipts are left out (their reissue counts once).
    """
    receipts = TaxReceipt.objects.filter(year=year, status=TaxReceipt.Status.ISSUED)
    amounts = list(receipts.values_list("amount", flat=True))
    return {"year": year, "count": len(amounts), "total": sum(amounts, Decimal("0.00"))}
