"""A month of money computed by hand (issue 16): the receipts register, the yearly figures, the accountant's export.

November 2026, two meals; the volunteers' hour is valued at 12 €.

- 10 Nov (meal A): Odile 9 € cash for the meal, and a 50 € gift by cheque; Paul 6 € cash; the partner pays
  45 € by transfer; Odile's membership 10 € cash; 4 € cash recorded by mistake, voided at once. Cash expected
  9 + 6 + 10 = 25 €, counted 24,50 €: 0,50 € short. Volunteers: 2 × 2,5 h + 1 h = 6 h, 72 €.
- 24 Nov (meal B): Paul 12 € by card and a 20 € gift by card; Odile gives 30 € cash; 7 € by card, voided on
  25 Nov (the card was refused). Cash expected 30 €, counted 31 €: 1 € over.

Receipts: Odile's 50 € (2026-0001, 26 Nov), cancelled and reissued (2026-0002); Paul's annual receipt for his
20 € (2026-0003, 5 Dec). Odile's 30 € gift has none yet. Declared for 2026: 2 receipts, 70 €.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from meals import accounting
from meals.models import Contribution, Shift, ShiftSignup
from meals.services import door
from meals.services import receipts as service
from members.models import Member
from members.services import cantine_settings_update
from tests.meals.test_receipts import RECEIPT_SETTINGS

PARIS = ZoneInfo("Europe/Paris")


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def month(db, make_meal, coordinator):
    cantine_settings_update(values={**RECEIPT_SETTINGS, "volunteer_hourly_rate": Decimal("12.00")})
    odile = Member.objects.create(
        name="Odile Durand", email="odile@example.org", street="3 rue des Roses", postcode="75020", city="Paris"
    )
    paul = Member.objects.create(name="Paul Petit", street="8 allée Verte", postcode="93100", city="Montreuil")
    a = make_meal(day=date(2026, 11, 10), shifts=False)
    b = make_meal(day=date(2026, 11, 24), shifts=False)

    def pay(meal, amount, method, when, **kw):
        return door.contribution_record(
            meal=meal, amount=Decimal(amount), method=method, by=coordinator, now=when, **kw
        )

    pay(a, "9", "cash", at(10, 12, 31), giver=odile)
    pay(a, "50", "cheque", at(10, 12, 31), kind="donation", giver=odile)
    pay(a, "6", "cash", at(10, 12, 32))
    pay(a, "45", "transfer", at(10, 12, 33), kind="partner")
    pay(a, "10", "cash", at(10, 12, 34), kind="membership", giver=odile)
    wrong = pay(a, "4", "cash", at(10, 12, 35))
    door.contribution_void(contribution=wrong, by=coordinator, reason="erreur de saisie", now=at(10, 12, 36))
    door.till_close(meal=a, counted_cash=Decimal("24.50"), by=coordinator, now=at(10, 15))

    pay(b, "12", "card", at(24, 12, 31), giver=paul, donation=Decimal("20"))
    pay(b, "30", "cash", at(24, 12, 32), kind="donation", giver=odile)
    card = pay(b, "7", "card", at(24, 12, 33))
    door.contribution_void(contribution=card, by=coordinator, reason="carte refusée", now=at(25, 9))
    door.till_close(meal=b, counted_cash=Decimal("31"), by=coordinator, now=at(24, 15))

    # Meal A: cooking 9:30–12:00 (2,5 h) × 2 people, dishes 14:00–15:00 (1 h) × 1, all marked as come;
    # Rémi signed up to wash up too and did not come, Sam to cook and nobody marked him: neither is valued.
    cooking = Shift.objects.create(meal=a, role="cooking", slots=4, starts_at=at(10, 9, 30), ends_at=at(10, 12))
    dishes = Shift.objects.create(meal=a, role="dishes", slots=2, starts_at=at(10, 14), ends_at=at(10, 15))
    for member, shift in ((odile, cooking), (paul, cooking), (paul, dishes)):
        ShiftSignup.objects.create(shift=shift, member=member, attended=ShiftSignup.Attendance.CAME)
    remi, sam = Member.objects.create(name="Rémi Roux"), Member.objects.create(name="Sam Simon")
    ShiftSignup.objects.create(shift=dishes, member=remi, attended=ShiftSignup.Attendance.ABSENT)
    ShiftSignup.objects.create(shift=cooking, member=sam)

    gift_a = Contribution.objects.get(kind="donation", meal=a)
    first = service.receipt_issue_gift(contribution=gift_a, by=coordinator, now=at(26, 10))
    service.receipt_cancel(receipt=first, by=coordinator, reason="adresse incomplète", reissue=True, now=at(26, 11))
    service.receipt_issue_annual(member=paul, year=2026, by=coordinator, now=at(5, 10, month=12))
    return {"a": a, "b": b, "odile": odile, "paul": paul}


def test_yearly_declaration_figures(month):
    assert service.declaration(year=2026) == {"year": 2026, "count": 2, "total": Decimal("70.00")}
    assert service.declaration(year=2025)["count"] == 0


def test_receipts_register_csv_line_by_line(client, coordinator, month):
    client.force_login(coordinator)
    response = client.get(reverse("meals:receipts_csv") + "?year=2026")
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    lines = text[1:].split("\r\n")
    assert lines[0].startswith("Numéro;Émis le;Type;Donateur;Adresse;Montant;")
    assert lines[1:4] == [
        "2026-0001;26/11/2026;Reçu pour un don;Odile Durand;3 rue des Roses, 75020 Paris;50,00;10/11/2026;10/11/2026;"
        "Chèque;200;Annulé;26/11/2026;adresse incomplète;",
        "2026-0002;26/11/2026;Reçu pour un don;Odile Durand;3 rue des Roses, 75020 Paris;50,00;10/11/2026;10/11/2026;"
        "Chèque;200;Émis;;;2026-0001",
        "2026-0003;05/12/2026;Reçu annuel;Paul Petit;8 allée Verte, 93100 Montreuil;20,00;24/11/2026;24/11/2026;"
        "Carte bancaire;200;Émis;;;",
    ]
    assert lines[5:8] == [
        "Déclaration (article 222 bis du CGI);2026",
        "Nombre de reçus;2",
        "Montant total des reçus;70,00",
    ]


def test_the_receipts_page_shows_the_figures_and_the_gift_without_receipt(client, coordinator, month):
    client.force_login(coordinator)
    page = client.get(reverse("meals:receipts") + "?year=2026").content.decode()
    assert "data-receipt-count>2<" in page
    assert "70,00" in page
    assert "2026-0001" in page and "2026-0003" in page
    assert "Émettre le reçu annuel" in page  # Odile's 30 € gift of 24 Nov


def entries(lines):
    return [
        (
            line.journal,
            line.number,
            line.day.isoformat(),
            line.account,
            line.piece.split("-")[0][0] + ("-A" if line.piece.endswith("-A") else ""),
            accounting.decimal_comma(line.debit),
            accounting.decimal_comma(line.credit),
        )
        for line in lines
    ]


def test_accountants_export_line_by_line(month):
    lines = accounting.export_lines(start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert entries(lines) == [
        # 10 Nov: the money rows in the order recorded, then the till, then the volunteers.
        ("RE", 1, "2026-11-10", "530", "P", "9,00", "0,00"),
        ("RE", 1, "2026-11-10", "706", "P", "0,00", "9,00"),
        ("RE", 2, "2026-11-10", "5112", "P", "50,00", "0,00"),
        ("RE", 2, "2026-11-10", "754", "P", "0,00", "50,00"),
        ("RE", 3, "2026-11-10", "530", "P", "6,00", "0,00"),
        ("RE", 3, "2026-11-10", "706", "P", "0,00", "6,00"),
        ("RE", 4, "2026-11-10", "512", "P", "45,00", "0,00"),
        ("RE", 4, "2026-11-10", "706", "P", "0,00", "45,00"),
        ("RE", 5, "2026-11-10", "530", "P", "10,00", "0,00"),
        ("RE", 5, "2026-11-10", "756", "P", "0,00", "10,00"),
        ("RE", 6, "2026-11-10", "530", "P", "4,00", "0,00"),
        ("RE", 6, "2026-11-10", "706", "P", "0,00", "4,00"),
        # The same row, voided the same day: the reversal.
        ("RE", 7, "2026-11-10", "706", "P-A", "4,00", "0,00"),
        ("RE", 7, "2026-11-10", "530", "P-A", "0,00", "4,00"),
        ("OD", 8, "2026-11-10", "658", "C", "0,50", "0,00"),
        ("OD", 8, "2026-11-10", "530", "C", "0,00", "0,50"),
        ("BEN", 9, "2026-11-10", "864", "B", "72,00", "0,00"),
        ("BEN", 9, "2026-11-10", "875", "B", "0,00", "72,00"),
        # 24 Nov.
        ("RE", 10, "2026-11-24", "512", "P", "12,00", "0,00"),
        ("RE", 10, "2026-11-24", "706", "P", "0,00", "12,00"),
        ("RE", 11, "2026-11-24", "512", "P", "20,00", "0,00"),
        ("RE", 11, "2026-11-24", "754", "P", "0,00", "20,00"),
        ("RE", 12, "2026-11-24", "530", "P", "30,00", "0,00"),
        ("RE", 12, "2026-11-24", "754", "P", "0,00", "30,00"),
        ("RE", 13, "2026-11-24", "512", "P", "7,00", "0,00"),
        ("RE", 13, "2026-11-24", "706", "P", "0,00", "7,00"),
        ("OD", 14, "2026-11-24", "530", "C", "1,00", "0,00"),
        ("OD", 14, "2026-11-24", "758", "C", "0,00", "1,00"),
        # 25 Nov: the card row voided the next morning.
        ("RE", 15, "2026-11-25", "706", "P-A", "7,00", "0,00"),
        ("RE", 15, "2026-11-25", "512", "P-A", "0,00", "7,00"),
    ]
    # Every entry balances, and the products are what was really received.
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines)
    net = {}
    for line in lines:
        net[line.account] = net.get(line.account, Decimal("0")) + line.credit - line.debit
    assert net["706"] == Decimal("9") + Decimal("6") + Decimal("45") + Decimal("12")  # the partner's account is 706
    assert net["754"] == Decimal("100")
    assert net["756"] == Decimal("10")
    assert net["530"] == -(Decimal("24.50") + Decimal("31"))  # the cash counted in the box


def test_partner_payments_go_to_the_configured_account(month):
    cantine_settings_update(values={"partner_account": "7588"})
    lines = accounting.export_lines(start=date(2026, 11, 10), end=date(2026, 11, 10))
    assert [(line.account, line.credit) for line in lines if line.piece == lines[6].piece] == [
        ("512", Decimal("0")),
        ("7588", Decimal("45.00")),
    ]


def test_accountants_csv_for_french_excel(client, coordinator, month):
    client.force_login(coordinator)
    response = client.get(reverse("meals:accounting_csv") + "?month=2026-11")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeffJournalCode;JournalLib;EcritureNum;EcritureDate;CompteNum;CompteLib;")
    rows = text[1:].split("\r\n")
    assert rows[1] == (
        "RE;Recettes;1;20261110;530;Caisse;P{pk};20261110;"
        "Participation au repas — repas du 10/11/2026;9,00;0,00;Espèces"
    ).format(pk=Contribution.objects.order_by("pk").first().pk)
    assert len([row for row in rows if row]) == 1 + 30
    page = client.get(reverse("meals:accounting") + "?month=2026-11").content.decode()
    assert "15 écritures" in page


def test_nothing_outside_the_period(month):
    assert accounting.export_lines(start=date(2026, 10, 1), end=date(2026, 10, 31)) == []
    only_25 = accounting.export_lines(start=date(2026, 11, 25), end=date(2026, 11, 25) + timedelta(days=0))
    assert [line.piece.endswith("-A") for line in only_25] == [True, True]


def test_reports_split_meal_money_gifts_and_memberships_against_the_cost_price(month, coordinator, client):
    from meals.models import Booking
    from meals.reports import Period, compute

    # Meal A served 3 people, meal B 2 (cost price 9 € a cover: 27 € and 18 €).
    for meal, people in ((month["a"], 3), (month["b"], 2)):
        Booking.objects.create(meal=meal, name="x", party_size=people, checked_in_at=meal.starts_at)
    figures = compute(Period(2026), now=datetime(2027, 1, 1, tzinfo=PARIS))
    # Not voided: meal money 9 + 6 + 45 (partner) + 12 = 72 €; gifts 50 + 20 + 30 = 100 €; membership 10 €.
    assert figures["contributions_total"] == Decimal("182.00")
    assert figures["meal_contributions_total"] == Decimal("72.00")
    assert figures["donations_total"] == Decimal("100.00")
    assert figures["memberships_total"] == Decimal("10.00")
    assert figures["average_per_cover"] == Decimal("14.40")  # 72 € for 5 covers, gifts left out
    assert figures["cost_of_covers"] == Decimal("45.00")
    [november] = figures["rows"]
    assert (november["meal_contributions"], november["donations"], november["memberships"], november["cost"]) == (
        Decimal("72.00"),
        Decimal("100.00"),
        Decimal("10.00"),
        Decimal("45.00"),
    )
    client.force_login(coordinator)
    page = client.get(reverse("meals:reports") + "?year=2026").content.decode()
    assert "Par nature, mois par mois" in page and "dont dons" in page


def test_memberships_recorded_on_a_members_record_are_in_the_export(month):
    from members.services import membership_record

    membership_record(member=month["paul"], joined_on=date(2026, 11, 24), amount=Decimal("15"), method="cheque")
    membership_record(member=month["odile"], joined_on=date(2026, 11, 24), amount=Decimal("0"), method="cash")
    lines = [line for line in accounting.export_lines(start=date(2026, 11, 24), end=date(2026, 11, 24))]
    membership = [line for line in lines if line.piece.startswith("M")]
    assert [(line.account, line.debit, line.credit, line.label) for line in membership] == [
        ("5112", Decimal("15"), Decimal("0"), "Adhésion 2026"),
        ("756", Decimal("0"), Decimal("15"), "Adhésion 2026"),
    ]
    # After the day's contributions, before its till closing; a free membership (0 €) writes nothing.
    assert [line.piece[0] for line in lines] == ["P"] * 8 + ["M", "M", "C", "C"]
