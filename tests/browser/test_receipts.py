"""At the door, a meal's payment and a gift in one gesture; then the gift's tax receipt, downloaded as a PDF."""

import io
from decimal import Decimal

import pytest
from pypdf import PdfReader

from meals.models import Booking, Contribution, TaxReceipt
from members.models import Member
from members.services import cantine_settings_update
from tests.browser.conftest import assert_no_axe_violations, log_in
from tests.meals.test_receipts import RECEIPT_SETTINGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_meal_contribution_plus_gift_at_the_door_then_the_receipt_pdf(page, meal, coordinator):
    cantine_settings_update(values=RECEIPT_SETTINGS)
    odile = Member.objects.create(
        name="Odile Durand", email="odile@example.org", street="3 rue des Roses", postcode="75020", city="Paris"
    )
    Booking.objects.create(meal=meal, name="Odile Durand", member=odile, party_size=1)
    meal.seats_taken = 1
    meal.save(update_fields=["seats_taken"])

    log_in(page, coordinator.email)
    page.goto(f"/accueil/repas/{meal.pk}/")
    page.get_by_role("button", name="Arrivé·e — Odile Durand").click()
    page.wait_for_url(f"**/accueil/repas/{meal.pk}/?booking=*#participation")
    page.get_by_text("Chèque", exact=True).click()
    page.get_by_label("Don en plus (facultatif)").fill("20")
    amount = page.get_by_label("Montant donné")
    amount.fill("5,50")
    amount.press("Enter")
    page.wait_for_selector("text=Participation de Odile Durand enregistrée")
    assert "Don en plus" in page.locator(".messages").inner_text()
    rows = list(Contribution.objects.order_by("pk").values_list("kind", "amount", "method", "giver_id"))
    assert rows == [("meal", Decimal("5.50"), "cheque", odile.pk), ("donation", Decimal("20.00"), "cheque", odile.pk)]

    page.goto("/dons/")
    assert_no_axe_violations(page)
    page.get_by_role("button", name="Émettre un reçu pour ce don — Odile Durand, 20,00\u202f€").click()
    page.wait_for_selector("text=Reçu n°")
    receipt = TaxReceipt.objects.get()
    with page.expect_download() as download_info:
        page.get_by_role("link", name=f"PDF — {receipt.number}").click()
    download = download_info.value
    assert download.suggested_filename == f"recu-fiscal-{receipt.number}.pdf"
    with open(download.path(), "rb") as file:
        text = " ".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(file.read())).pages)
    text = " ".join(text.replace("\u202f", " ").replace("\u00a0", " ").split())
    assert receipt.number in text
    assert "vingt euros" in text and "20,00 €" in text and "Odile Durand" in text
    assert "article 200 du code général des impôts" in text


def test_accounting_page_has_no_axe_violations(page, coordinator):
    log_in(page, coordinator.email)
    page.goto("/comptabilite/?month=2026-11")
    assert "Comptabilité" in page.locator("h1").inner_text()
    assert_no_axe_violations(page)
