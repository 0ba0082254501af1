"""The accountant's export: the money of a period as balanced journal entries (a FEC-like layout).

Each entry is two lines (debit, credit) sharing ``EcritureNum``:

- a sum received: debit the treasury account of its method (530 cash, 5112
  cheques, 5113 meal vouchers, 512 bank for card, transfer and the rest),
  credit the account of its kind (706 meal contributions, 754 donations, 756
  membership fees, the configured account for partners' payments);
- a void, on the day it was voided: the same lines reversed;
- a membership recorded on a member's record (``members.Membership``), on the day
  joined: treasury / 756;
- a till closing that did not balance (the last closing of a meal, not a
  reopened one): a surplus is debit 530 / credit 758, a shortfall debit 658 /
  credit 530;
- the volunteers' hours of each meal (shift length × volunteers marked as
  come by a coordinator: attendance, not sign-ups), valued at
  the configured hourly rate: debit 864 / credit 875 (contributions in kind,
  ANC 2018-06), when the rate is above 0.

The columns are documented in README.md (« Comptabilité »).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from meals.models import Contribution, Meal, ShiftSignup, TillClosing
from members.models import CantineSettings, Membership, PaymentMethod

CENT = Decimal("0.01")
COLUMNS = [
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "ModeReglement",
]
TREASURY = {
    PaymentMethod.CASH: ("530", "Caisse"),
    PaymentMethod.CHEQUE: ("5112", "Chèques à encaisser"),
    PaymentMethod.VOUCHER: ("5113", "Titres-restaurant à encaisser"),
}
BANK = ("512", "Banque")
PRODUCTS = {
    Contribution.Kind.MEAL: ("706", "Participations aux repas"),
    Contribution.Kind.DONATION: ("754", "Dons manuels"),
    Contribution.Kind.MEMBERSHIP: ("756", "Cotisations"),
}
JOURNALS = {"RE": "Recettes", "OD": "Opérations diverses", "BEN": "Contributions volontaires en nature"}


@dataclass
class Line:
    journal: str
    number: int
    day: date
    account: str
    account_label: str
    piece: str
    piece_day: date
    label: str
    debit: Decimal
    credit: Decimal
    method: str = ""

    def cells(self) -> list[str]:
        return [
            self.journal,
            JOURNALS[self.journal],
            str(self.number),
            self.day.strftime("%Y%m%d"),
            self.account,
            self.account_label,
            self.piece,
            self.piece_day.strftime("%Y%m%d"),
            self.label,
            decimal_comma(self.debit),
            decimal_comma(self.credit),
            self.method,
        ]


def decimal_comma(amount: Decimal) -> str:
    """« 5,50 »: what a French Excel reads as a number (no thousands separator)."""
    return f"{amount.quantize(CENT):.2f}".replace(".", ",")


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return datetime.combine(start, time.min, tzinfo=zone), datetime.combine(
        end + timedelta(days=1), time.min, tzinfo=zone
    )


def _local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def export_lines(*, start: date, end: date, cantine: CantineSettings | None = None) -> list[Line]:
    """The entries of ``start`` … ``end`` (both included, Paris days), in date order."""
    cantine = cantine or CantineSettings.objects.filter(pk=CantineSettings.PK).first() or CantineSettings.defaults()
    products = {
        **PRODUCTS,
        Contribution.Kind.PARTNER: (cantine.partner_account or "706", "Paiements des partenaires"),
    }
    methods = dict(PaymentMethod.choices)
    low, high = _bounds(start, end)
    entries: list[tuple] = []  # (day, order, piece number, [lines without their entry number])

    rows = Contribution.objects.filter(recorded_at__gte=low, recorded_at__lt=high).select_related("meal")
    voided = Contribution.objects.filter(voided_at__gte=low, voided_at__lt=high).select_related("meal")
    for row, reversal in [(row, False) for row in rows] + [(row, True) for row in voided]:
        moment = row.voided_at if reversal else row.recorded_at
        treasury = TREASURY.get(row.method, BANK)
        product = products[row.kind]
        label = f"{Contribution.Kind(row.kind).label} — repas du {_local_day(row.meal.starts_at):%d/%m/%Y}"
        if reversal:
            label = f"Annulation ({row.void_reason}) — {label}"
        debit, credit = (product, treasury) if reversal else (treasury, product)
        piece = f"P{row.pk}" + ("-A" if reversal else "")
        method = str(methods.get(row.method, row.method))
        entries.append(
            (
                _local_day(moment),
                0,
                row.pk,
                [
                    ("RE", debit, piece, _local_day(row.recorded_at), label, row.amount, Decimal("0"), method),
                    ("RE", credit, piece, _local_day(row.recorded_at), label, Decimal("0"), row.amount, method),
                ],
            )
        )

    # Memberships recorded on a member's record (members.Membership, not at the door): 756, on the day joined.
    for membership in Membership.objects.filter(joined_on__gte=start, joined_on__lte=end).order_by("pk"):
        if not membership.amount:
            continue
        treasury = TREASURY.get(membership.method, BANK)
        product = PRODUCTS[Contribution.Kind.MEMBERSHIP]
        label = f"Adhésion {membership.year}"
        piece, day = f"M{membership.pk}", membership.joined_on
        method = str(methods.get(membership.method, membership.method))
        entries.append(
            (
                day,
                0,
                10**12 + membership.pk,  # after the day's contributions
                [
                    ("RE", treasury, piece, day, label, membership.amount, Decimal("0"), method),
                    ("RE", product, piece, day, label, Decimal("0"), membership.amount, method),
                ],
            )
        )

    closings = TillClosing.objects.filter(closed_at__gte=low, closed_at__lt=high, reopened_at__isnull=True)
    for closing in closings.select_related("meal"):
        difference = closing.difference
        if not difference:
            continue
        label = (
            f"Écart de caisse du repas du {_local_day(closing.meal.starts_at):%d/%m/%Y} "
            f"(compté {decimal_comma(closing.counted_cash)}, attendu {decimal_comma(closing.expected_cash)})"
        )
        cash = TREASURY[PaymentMethod.CASH]
        if difference > 0:
            debit, credit = cash, ("758", "Produits divers de gestion courante")
        else:
            debit, credit = ("658", "Charges diverses de gestion courante"), cash
        amount, day, piece = abs(difference), _local_day(closing.closed_at), f"C{closing.pk}"
        entries.append(
            (
                day,
                1,
                closing.pk,
                [
                    ("OD", debit, piece, day, label, amount, Decimal("0"), ""),
                    ("OD", credit, piece, day, label, Decimal("0"), amount, ""),
                ],
            )
        )

    rate = cantine.volunteer_hourly_rate or Decimal("0")
    if rate > 0:
        seconds: dict[int, float] = {}
        signups = ShiftSignup.objects.filter(
            shift__meal__starts_at__gte=low,
            shift__meal__starts_at__lt=high,
            shift__meal__status=Meal.Status.SCHEDULED,
            attended=ShiftSignup.Attendance.CAME,
        ).values_list("shift__meal_id", "shift__starts_at", "shift__ends_at")
        for meal_id, starts, ends in signups:
            seconds[meal_id] = seconds.get(meal_id, 0) + max((ends - starts).total_seconds(), 0)
        meals = {meal.pk: meal for meal in Meal.objects.filter(pk__in=seconds)}
        for meal_id, total in seconds.items():
            hours = (Decimal(total) / 3600).quantize(CENT, rounding=ROUND_HALF_UP)
            amount = (hours * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            if not amount:
                continue
            day = _local_day(meals[meal_id].starts_at)
            label = f"Bénévolat du repas du {day:%d/%m/%Y} : {decimal_comma(hours)} h × {decimal_comma(rate)}"
            piece = f"B{meal_id}"
            entries.append(
                (
                    day,
                    2,
                    meal_id,
                    [
                        ("BEN", ("864", "Personnel bénévole"), piece, day, label, amount, Decimal("0"), ""),
                        ("BEN", ("875", "Bénévolat"), piece, day, label, Decimal("0"), amount, ""),
                    ],
                )
            )

    entries.sort(key=lambda entry: entry[:3])
    lines = []
    for number, (day, _order, _pk, parts) in enumerate(entries, start=1):
        for journal, (account, account_label), piece, piece_day, label, debit, credit, method in parts:
            lines.append(
                Line(journal, number, day, account, account_label, piece, piece_day, label, debit, credit, method)
            )
    return lines


def export_rows(*, start: date, end: date) -> list[list[str]]:
    return [COLUMNS] + [line.cells() for line in export_lines(start=start, end=end)]
