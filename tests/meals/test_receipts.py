"""Tax receipts (issue 16): numbered without gaps per year, never changed nor deleted; the PDF and its mentions."""

import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.urls import reverse
from pypdf import PdfReader

from meals.idempotency import new_key
from meals.models import Contribution, Message, ReceiptError, ReceiptLine, TaxReceipt
from meals.receipts_pdf import amount_in_words, receipt_pdf
from meals.services import door
from meals.services import receipts as service
from members.models import Member
from members.services import cantine_settings_update

PARIS = ZoneInfo("Europe/Paris")

RECEIPT_SETTINGS = {
    "name": "La Cantine des Lilas",
    "legal_name": "Association La Cantine des Lilas",
    "street": "12 rue des Lilas",
    "postcode": "75019",
    "city": "Paris",
    "receipt_article": "200",
    "association_object": "Cuisiner et partager des repas entre voisins, contre l'isolement.",
    "signatory_name": "Martine Roux",
    "signatory_role": "trésorière",
}


@pytest.fixture
def receipt_settings(db):
    return cantine_settings_update(values=RECEIPT_SETTINGS)


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def donor(db) -> Member:
    return Member.objects.create(
        name="Odile Durand", email="odile@example.org", street="3 rue des Roses", postcode="75020", city="Paris"
    )


def gift(meal, by, member, amount="20", method="cheque", when=None) -> Contribution:
    row = door.contribution_record(
        meal=meal, amount=Decimal(amount), method=method, kind="donation", giver=member, by=by, now=when
    )
    return row


def pdf_text(data: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


# --- Settings and donors ------------------------------------------------------------


def test_no_receipt_without_the_receipt_settings(meal, coordinator, donor):
    row = gift(meal, coordinator, donor)
    with pytest.raises(service.ReceiptRefused, match="réglages"):
        service.receipt_issue_gift(contribution=row, by=coordinator)
    assert not TaxReceipt.objects.exists()


def test_the_page_says_receipts_need_the_settings(coordinator_client, db):
    page = coordinator_client.get(reverse("meals:receipts")).content.decode()
    assert "Aucun reçu fiscal ne peut être émis" in page
    assert "l'article du CGI" in page.replace("&#x27;", "'")


def test_no_receipt_for_a_meal_contribution(receipt_settings, meal, coordinator, donor):
    row = door.contribution_record(meal=meal, amount=Decimal("9"), method="cash", giver=donor, by=coordinator)
    with pytest.raises(service.ReceiptRefused, match="Seul un don"):
        service.receipt_issue_gift(contribution=row, by=coordinator)


def test_no_receipt_without_the_donors_postal_address(receipt_settings, meal, coordinator, guest):
    row = gift(meal, coordinator, guest)
    with pytest.raises(service.ReceiptRefused, match="adresse postale"):
        service.receipt_issue_gift(contribution=row, by=coordinator)


def test_no_receipt_for_a_voided_gift(receipt_settings, meal, coordinator, donor):
    row = gift(meal, coordinator, donor)
    door.contribution_void(contribution=row, by=coordinator, reason="erreur")
    with pytest.raises(service.ReceiptRefused, match="annulé"):
        service.receipt_issue_gift(contribution=row, by=coordinator)


# --- Numbers --------------------------------------------------------------------------


def test_receipts_are_numbered_without_gaps_and_start_again_each_year(receipt_settings, meal, coordinator, donor):
    first = service.receipt_issue_gift(
        contribution=gift(meal, coordinator, donor), by=coordinator, now=datetime(2026, 3, 1, 10, tzinfo=PARIS)
    )
    second = service.receipt_issue_gift(
        contribution=gift(meal, coordinator, donor), by=coordinator, now=datetime(2026, 12, 31, 23, tzinfo=PARIS)
    )
    # 31 December, 23:30 in Paris is still 2026 there (22:30 UTC).
    third = service.receipt_issue_gift(
        contribution=gift(meal, coordinator, donor), by=coordinator, now=datetime(2027, 1, 1, 0, 30, tzinfo=PARIS)
    )
    assert [first.number, second.number, third.number] == ["2026-0001", "2026-0002", "2027-0001"]


def test_a_gift_gets_one_live_receipt_only(receipt_settings, meal, coordinator, donor):
    row = gift(meal, coordinator, donor)
    service.receipt_issue_gift(contribution=row, by=coordinator)
    with pytest.raises(service.ReceiptRefused, match="déjà un reçu"):
        service.receipt_issue_gift(contribution=row, by=coordinator)
    receipt = TaxReceipt.objects.get()
    # The database refuses it too (partial unique index).
    with pytest.raises(IntegrityError), transaction.atomic():
        ReceiptLine.objects.create(receipt=receipt, contribution=row)


def test_the_same_number_twice_is_refused_by_the_database(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    copy = {f.attname: getattr(receipt, f.attname) for f in TaxReceipt._meta.concrete_fields if f.attname != "id"}
    copy["number"] = "2026-9999"
    with pytest.raises(IntegrityError), transaction.atomic():
        TaxReceipt.objects.create(**copy)


# --- Never changed, never deleted ---------------------------------------------------


def test_a_receipt_is_never_deleted(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    with pytest.raises(ReceiptError):
        receipt.delete()
    with pytest.raises(ReceiptError):
        TaxReceipt.objects.all().delete()
    with pytest.raises(ReceiptError):
        ReceiptLine.objects.all().delete()
    # The gift and the donor it names cannot go either.
    with pytest.raises(Exception, match="protected|FOREIGN KEY|foreign key"), transaction.atomic():
        donor.delete()
    assert TaxReceipt.objects.count() == 1


@pytest.mark.postgres
def test_postgresql_refuses_a_raw_delete_of_a_receipt(receipt_settings, meal, coordinator, donor):
    service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    with pytest.raises(DatabaseError, match="never deleted"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM meals_taxreceipt")
    assert TaxReceipt.objects.count() == 1


def test_the_database_refuses_to_change_a_receipts_figures(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    for statement in (
        "UPDATE meals_taxreceipt SET amount = 1",
        "UPDATE meals_taxreceipt SET sequence = 7, number = '2026-0007'",
        "UPDATE meals_taxreceipt SET donor_name = 'Quelqu''un d''autre'",
    ):
        with pytest.raises(DatabaseError, match="never changed"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    receipt.amount = Decimal("1")
    with pytest.raises(ReceiptError):
        receipt.save()
    receipt.refresh_from_db()
    assert receipt.amount == Decimal("20.00") and receipt.number.endswith("-0001")


def test_a_cancelled_receipt_is_not_brought_back(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    service.receipt_cancel(receipt=receipt, by=coordinator, reason="mauvaise adresse")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE meals_taxreceipt SET status = 'issued', cancelled_at = NULL, cancel_reason = ''")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE meals_receiptline SET live = TRUE")
    with pytest.raises(service.ReceiptRefused, match="déjà annulé"):
        service.receipt_cancel(receipt=receipt, by=coordinator, reason="encore")


def test_cancel_and_reissue_keeps_both_with_a_new_number(receipt_settings, meal, coordinator, donor):
    row = gift(meal, coordinator, donor)
    old = service.receipt_issue_gift(contribution=row, by=coordinator)
    Member.objects.filter(pk=donor.pk).update(street="5 rue des Roses")
    new = service.receipt_cancel(receipt=old, by=coordinator, reason="numéro de rue faux", reissue=True)
    old.refresh_from_db()
    assert old.is_cancelled and old.cancel_reason == "numéro de rue faux" and old.donor_address.startswith("3 ")
    assert new.number == TaxReceipt.format_number(old.year, old.sequence + 1)
    assert new.replaces == old and new.donor_address.startswith("5 ") and new.amount == old.amount
    assert list(ReceiptLine.objects.filter(live=True).values_list("receipt_id", flat=True)) == [new.pk]
    assert service.declaration(year=old.year) == {"year": old.year, "count": 1, "total": Decimal("20.00")}


def test_a_gift_on_a_receipt_is_not_voided_before_the_receipt_is_cancelled(receipt_settings, meal, coordinator, donor):
    row = gift(meal, coordinator, donor)
    receipt = service.receipt_issue_gift(contribution=row, by=coordinator)
    with pytest.raises(door.OnReceipt):
        door.contribution_void(contribution=row, by=coordinator, reason="erreur")
    service.receipt_cancel(receipt=receipt, by=coordinator, reason="don saisi deux fois")
    door.contribution_void(contribution=row, by=coordinator, reason="don saisi deux fois")
    assert Contribution.objects.get(pk=row.pk).voided_at is not None


# --- Annual receipt, PDF, email ------------------------------------------------------


def test_annual_receipt_takes_every_gift_of_the_year_without_a_receipt(receipt_settings, make_meal, coordinator, donor):
    meal = make_meal()
    may = datetime(2026, 5, 12, 12, tzinfo=PARIS)
    gift(meal, coordinator, donor, "15", "cash", when=datetime(2026, 2, 3, 12, tzinfo=PARIS))
    gift(meal, coordinator, donor, "35.50", "transfer", when=may)
    gift(meal, coordinator, donor, "100", "cheque", when=datetime(2025, 12, 20, 12, tzinfo=PARIS))
    receipt = service.receipt_issue_annual(
        member=donor, year=2026, by=coordinator, now=datetime(2027, 1, 15, 10, tzinfo=PARIS)
    )
    assert receipt.number == "2027-0001"
    assert receipt.kind == TaxReceipt.Kind.ANNUAL
    assert receipt.amount == Decimal("50.50")
    assert (receipt.first_gift_on.isoformat(), receipt.last_gift_on.isoformat()) == ("2026-02-03", "2026-05-12")
    assert receipt.methods == "Remise d'espèces, Virement"
    with pytest.raises(service.ReceiptRefused, match="Aucun don sans reçu"):
        service.receipt_issue_annual(member=donor, year=2026, by=coordinator)


def test_amounts_in_french_words():
    assert amount_in_words(Decimal("20")) == "vingt euros"
    assert amount_in_words(Decimal("1")) == "un euro"
    assert amount_in_words(Decimal("80")) == "quatre-vingts euros"
    assert amount_in_words(Decimal("123.45")) == "cent vingt-trois euros et quarante-cinq centimes"
    assert amount_in_words(Decimal("0.01")) == "zéro euros et un centime"


def test_the_pdf_holds_the_cerfa_mentions(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(
        contribution=gift(meal, coordinator, donor, "123.45", when=datetime(2026, 11, 24, 12, 40, tzinfo=PARIS)),
        by=coordinator,
        now=datetime(2026, 11, 25, 9, tzinfo=PARIS),
    )
    text = pdf_text(receipt_pdf(receipt))
    for mention in [
        "Reçu au titre des dons à certains organismes d'intérêt général",
        "11580",
        "Numéro d'ordre du reçu : 2026-0001",
        "Association La Cantine des Lilas",
        "12 rue des Lilas, 75019 Paris",
        "Cuisiner et partager des repas entre voisins",
        "Odile Durand",
        "3 rue des Roses, 75020 Paris",
        "123,45 €",
        "cent vingt-trois euros et quarante-cinq centimes",
        "24 novembre 2026",
        "article 200 du code général des impôts",
        "Déclaration de don manuel",
        "Numéraire",
        "Chèque",
        "Fait à Paris, le 25 novembre 2026",
        "Martine Roux, trésorière",
        "Œuvre ou organisme d'intérêt général",
    ]:
        assert mention in text.replace("\u202f", " ").replace("\u00a0", " "), mention
    assert "ANNULÉ" not in text


def test_a_cancelled_receipts_pdf_says_so(receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    new = service.receipt_cancel(receipt=receipt, by=coordinator, reason="erreur de nom", reissue=True)
    receipt.refresh_from_db()
    assert "REÇU ANNULÉ" in pdf_text(receipt_pdf(receipt))
    assert f"remplace le reçu n° {receipt.number}" in pdf_text(receipt_pdf(new))


def test_the_receipt_is_emailed_with_its_pdf_through_the_outbox(receipt_settings, meal, coordinator, donor, mailoutbox):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator, send=True)
    message = Message.objects.get(kind="tax_receipt")
    assert message.to == "odile@example.org" and message.context == {"receipt": receipt.pk}
    from django.core import mail

    sent = [m for m in mail.outbox if receipt.number in m.subject]
    assert len(sent) == 1
    name, content, mimetype = sent[0].attachments[0]
    assert name == f"recu-fiscal-{receipt.number}.pdf" and mimetype == "application/pdf"
    assert receipt.number in pdf_text(content)


# --- Views ------------------------------------------------------------------------------


def test_issue_from_the_page_once_per_form_key_and_download_the_pdf(
    coordinator_client, receipt_settings, meal, coordinator, donor
):
    row = gift(meal, coordinator, donor)
    page = coordinator_client.get(reverse("meals:receipts")).content.decode()
    assert "Émettre un reçu pour ce don" in page
    data = {"contribution": row.pk, "form_key": new_key()}
    assert coordinator_client.post(reverse("meals:receipt_issue"), data).status_code == 302
    assert coordinator_client.post(reverse("meals:receipt_issue"), data).status_code == 302
    receipt = TaxReceipt.objects.get()
    response = coordinator_client.get(reverse("meals:receipt_pdf", args=[receipt.pk]))
    assert response["Content-Type"] == "application/pdf"
    assert receipt.number in pdf_text(response.content)
    page = coordinator_client.get(reverse("meals:receipts") + f"?year={receipt.year}").content.decode()
    assert receipt.number in page and "Odile Durand" in page


def test_cancel_from_the_page_once_per_form_key(coordinator_client, receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    data = {"reason": "mauvais nom", "reissue": "on", "form_key": new_key()}
    url = reverse("meals:receipt_cancel", args=[receipt.pk])
    assert coordinator_client.post(url, data).status_code == 302
    assert coordinator_client.post(url, data).status_code == 302
    assert TaxReceipt.objects.count() == 2
    assert TaxReceipt.objects.filter(status="issued").count() == 1


def test_a_refused_issue_says_why_and_writes_nothing(coordinator_client, receipt_settings, meal, coordinator, guest):
    row = gift(meal, coordinator, guest)
    response = coordinator_client.post(reverse("meals:receipt_issue"), {"contribution": row.pk}, follow=True)
    assert "adresse postale" in response.content.decode()
    assert not TaxReceipt.objects.exists()
    response = coordinator_client.post(reverse("meals:receipt_issue"), {"contribution": "abc"}, follow=True)
    assert response.status_code == 200
    assert not TaxReceipt.objects.exists()


def test_a_volunteer_sees_no_money_and_no_donor(client, volunteer, receipt_settings, meal, coordinator, donor):
    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    client.force_login(volunteer)
    for url in (
        reverse("meals:receipts"),
        reverse("meals:receipt_pdf", args=[receipt.pk]),
        reverse("meals:receipts_csv"),
        reverse("meals:accounting"),
        reverse("meals:accounting_csv"),
    ):
        response = client.get(url)
        assert response.status_code == 403, url
        assert b"Odile" not in response.content


def _fill(meal, coordinator, count):
    for n in range(count):
        member = Member.objects.create(name=f"Donateur {n}", street=f"{n} rue Haute", postcode="75011", city="Paris")
        service.receipt_issue_gift(contribution=gift(meal, coordinator, member, "10"), by=coordinator)
        gift(meal, coordinator, member, "5")  # and one gift without a receipt yet


def test_receipts_page_query_count_is_the_same_with_2_and_20_donors(
    coordinator_client, receipt_settings, make_meal, coordinator, django_assert_num_queries
):
    from django.db import connection as db
    from django.test.utils import CaptureQueriesContext

    meal = make_meal()
    _fill(meal, coordinator, 2)
    url = reverse("meals:receipts")
    assert (
        coordinator_client.get(url).status_code == 200
    )  # keeps the session and the cantine's settings, as a warm worker
    with CaptureQueriesContext(db) as baseline:
        assert coordinator_client.get(url).status_code == 200
    _fill(meal, coordinator, 18)
    with django_assert_num_queries(len(baseline)):
        page = coordinator_client.get(url)
    assert len(page.context["register"]) == 20 and len(page.context["gifts"]) == 20


def test_a_treasurer_sees_the_money_pages_and_nothing_of_the_door(client, receipt_settings, meal, coordinator, donor):
    from members.roles import TREASURER
    from tests.conftest import make_user

    receipt = service.receipt_issue_gift(contribution=gift(meal, coordinator, donor), by=coordinator)
    client.force_login(make_user("tresor@example.org", group=TREASURER, name="Martine Roux"))
    for url in (
        reverse("meals:receipts"),
        reverse("meals:receipt_pdf", args=[receipt.pk]),
        reverse("meals:receipts_csv"),
        reverse("meals:accounting"),
        reverse("meals:accounting_csv"),
    ):
        assert client.get(url).status_code == 200, url
    assert "Dons et reçus fiscaux" in client.get(reverse("members:home")).content.decode()
    for url in (reverse("meals:door", args=[meal.pk]), reverse("meals:reports"), reverse("members:directory")):
        assert client.get(url).status_code == 403, url
