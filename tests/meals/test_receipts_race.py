"""Tax receipts issued at the same instant, on PostgreSQL (row locks are real there): consecutive numbers, no gap."""

from decimal import Decimal

import pytest

from meals.models import ReceiptLine, TaxReceipt
from meals.services import door
from meals.services import receipts as service
from members.models import Member
from members.services import cantine_settings_update
from tests.conftest import all_at_once
from tests.meals.test_receipts import RECEIPT_SETTINGS


def _issue(gift, by):
    try:
        return service.receipt_issue_gift(contribution=gift, by=by).number
    except service.ReceiptRefused as error:
        return str(error)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_receipts_get_consecutive_numbers(make_meal, coordinator):
    cantine_settings_update(values=RECEIPT_SETTINGS)
    meal = make_meal()
    gifts = []
    for n in range(8):
        donor = Member.objects.create(name=f"Donatrice {n}", street=f"{n} rue Haute", postcode="75011", city="Paris")
        gifts.append(
            door.contribution_record(
                meal=meal, amount=Decimal("10") + n, method="cheque", kind="donation", giver=donor, by=coordinator
            )
        )
    numbers = all_at_once(8, lambda n: _issue(gifts[n], coordinator))
    year = TaxReceipt.objects.get(number=numbers[0]).year
    assert sorted(numbers) == [TaxReceipt.format_number(year, n) for n in range(1, 9)]
    assert ReceiptLine.objects.filter(live=True).count() == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_gift_issued_twice_at_once_gets_one_receipt(make_meal, coordinator):
    cantine_settings_update(values=RECEIPT_SETTINGS)
    meal = make_meal()
    donor = Member.objects.create(name="Odile", street="3 rue des Roses", postcode="75020", city="Paris")
    gift = door.contribution_record(
        meal=meal, amount=Decimal("50"), method="cheque", kind="donation", giver=donor, by=coordinator
    )
    results = all_at_once(6, lambda n: _issue(gift, coordinator))
    assert sum(result.endswith("-0001") for result in results) == 1
    assert sum("déjà un reçu" in result for result in results) == 5
    assert TaxReceipt.objects.count() == 1
