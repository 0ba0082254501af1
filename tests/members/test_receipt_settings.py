"""The receipt and accounts settings (issue 16) on « Réglages de la cantine », and the donor's postal address."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from meals.models import Contribution, TaxReceipt
from meals.services import door
from meals.services import receipts as service
from members.models import CantineSettings, Member
from tests.members.test_cantine_settings import VALUES, png

SETTINGS_URL = reverse("members:cantine_settings")
RECEIPTS = {
    "legal_name": "Association La Cantine des Lilas",
    "receipt_article": "200",
    "association_object": "Des repas partagés entre voisins.",
    "signatory_name": "Martine Roux",
    "signatory_role": "trésorière",
    "partner_account": "7588",
    "volunteer_hourly_rate": "11,88",
}


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


def test_a_coordinator_sets_the_receipts_signature_and_accounts(coordinator_client, meal, coordinator):
    signature = SimpleUploadedFile("signature.png", png(), content_type="image/png")
    response = coordinator_client.post(SETTINGS_URL, {**VALUES, **RECEIPTS, "signature_upload": signature})
    assert response.status_code == 302
    row = CantineSettings.objects.get()
    assert row.receipts_missing == []
    assert (row.partner_account, row.volunteer_hourly_rate) == ("7588", Decimal("11.88"))
    assert row.signature_image_type == "image/png" and bytes(row.signature_image).startswith(b"\x89PNG")
    donor = Member.objects.create(name="Odile", street="3 rue des Roses", postcode="75020", city="Paris")
    gift = door.contribution_record(
        meal=meal, amount=Decimal("20"), method="cash", kind=Contribution.Kind.DONATION, giver=donor, by=coordinator
    )
    receipt = service.receipt_issue_gift(contribution=gift, by=coordinator)
    assert receipt.association_name == "Association La Cantine des Lilas"
    assert receipt.signature_image_type == "image/png"


def test_without_the_new_fields_the_defaults_stand(coordinator_client):
    assert coordinator_client.post(SETTINGS_URL, VALUES).status_code == 302
    row = CantineSettings.objects.get()
    assert (row.partner_account, row.volunteer_hourly_rate) == ("706", Decimal("0.00"))
    assert "l'article du CGI" in [str(item) for item in row.receipts_missing]


@pytest.mark.parametrize(
    "field, value",
    [("partner_account", "=HYPERLINK(1)"), ("volunteer_hourly_rate", "-3"), ("receipt_article", "978")],
)
def test_bad_accounts_settings_are_refused_in_the_page(coordinator_client, field, value):
    response = coordinator_client.post(SETTINGS_URL, {**VALUES, **RECEIPTS, field: value})
    assert response.status_code == 200
    assert not CantineSettings.objects.exists()


def test_a_signature_that_is_not_png_or_jpeg_is_refused(coordinator_client):
    fake = SimpleUploadedFile("signature.png", b"<svg></svg>", content_type="image/png")
    response = coordinator_client.post(SETTINGS_URL, {**VALUES, **RECEIPTS, "signature_upload": fake})
    assert response.status_code == 200
    assert "PNG ou JPEG" in response.content.decode()


def test_the_member_form_takes_the_postal_address(coordinator_client, guest):
    url = reverse("members:member_edit", args=[guest.pk])
    data = {"name": guest.name, "email": guest.email, "phone": guest.phone, "language": "fr"}
    data |= {"street": "3 rue des Roses", "postcode": "75020", "city": "Paris"}
    assert coordinator_client.post(url, data).status_code == 302
    guest.refresh_from_db()
    assert guest.postal_address == "3 rue des Roses, 75020 Paris"


def test_a_donor_with_receipts_is_not_merged_away(receipt_settings_row, meal, coordinator):
    from members.services import MergeConflict, member_merge

    keep = Member.objects.create(name="Odile D.")
    donor = Member.objects.create(name="Odile Durand", street="3 rue des Roses", postcode="75020", city="Paris")
    gift = door.contribution_record(
        meal=meal, amount=Decimal("20"), method="cash", kind="donation", giver=donor, by=coordinator
    )
    service.receipt_issue_gift(contribution=gift, by=coordinator)
    with pytest.raises(MergeConflict, match="reçus fiscaux"):
        member_merge(keep=keep, drop=donor)
    merged = member_merge(keep=donor, drop=keep)
    assert merged.pk == donor.pk and TaxReceipt.objects.get().member_id == donor.pk


def test_erasing_a_donor_keeps_the_receipts_copy(receipt_settings_row, meal, coordinator):
    from members.services import member_erase

    donor = Member.objects.create(name="Odile Durand", street="3 rue des Roses", postcode="75020", city="Paris")
    gift = door.contribution_record(
        meal=meal, amount=Decimal("20"), method="cash", kind="donation", giver=donor, by=coordinator
    )
    service.receipt_issue_gift(contribution=gift, by=coordinator)
    member_erase(member=donor)
    donor.refresh_from_db()
    assert donor.postal_address == "" and donor.name == ""
    assert TaxReceipt.objects.get().donor_name == "Odile Durand"


@pytest.fixture
def receipt_settings_row(db):
    from members.services import cantine_settings_update
    from tests.meals.test_receipts import RECEIPT_SETTINGS

    return cantine_settings_update(values=RECEIPT_SETTINGS)
