"""The purchases' pages, the meal's sourcing page, the « Approvisionnement » report, and what guests see."""

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meals.idempotency import new_key
from meals.models import Booking, Meal, MealSupply, Purchase, PurchaseLine, Supplier
from members.models import CantineSettings


@pytest.fixture
def coordinator_client(client, coordinator):
    client.force_login(coordinator)
    return client


@pytest.fixture
def farm(db):
    return Supplier.objects.create(name="Ferme du Moulin", kind=Supplier.Kind.PRODUCER, distance_km=30)


def text(response) -> str:
    """The page with French typography's narrow and no-break spaces as plain ones."""
    return response.content.decode().replace("\u202f", " ").replace("\xa0", " ")


def purchase_post(supplier, *, key: str, meal=None, **extra) -> dict:
    """A purchase with three lines, as the phone sends it."""
    data = {
        "form_key": key,
        "date": timezone.localdate().isoformat(),
        "supplier": str(supplier.pk),
        "paid_by": "cantine",
        "reimburse_to": "",
        "meal": str(meal.pk) if meal else "",
        "share": "",
        "note": "",
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "30",
        "lines-0-product": "Carottes",
        "lines-0-weight_kg": "10",
        "lines-0-amount": "25",
        "lines-0-organic": "on",
        "lines-1-product": "Pommes de terre",
        "lines-1-weight_kg": "20",
        "lines-1-amount": "30,00",
        "lines-1-organic": "on",
        "lines-1-bulk": "on",
        "lines-2-product": "Œufs",
        "lines-2-weight_kg": "3",
        "lines-2-amount": "15 €",
    }
    data.update(extra)
    return data


def test_coordinator_records_a_purchase_with_three_lines_for_a_meal(coordinator_client, farm, meal):
    response = coordinator_client.post(reverse("meals:purchase_new"), purchase_post(farm, key=new_key(), meal=meal))
    purchase = Purchase.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("meals:purchase", args=[purchase.pk])
    assert [(line.product, line.weight_kg, line.amount) for line in purchase.lines.all()] == [
        ("Carottes", D("10.000"), D("25.00")),
        ("Pommes de terre", D("20.000"), D("30.00")),
        ("Œufs", D("3.000"), D("15.00")),
    ]
    assert MealSupply.objects.get().share == D("100")
    page = coordinator_client.get(response["Location"])
    assert "Carottes" in page.content.decode()


def test_the_same_purchase_posted_twice_is_recorded_once(coordinator_client, farm):
    data = purchase_post(farm, key=new_key())
    first = coordinator_client.post(reverse("meals:purchase_new"), data)
    again = coordinator_client.post(reverse("meals:purchase_new"), data)
    assert Purchase.objects.count() == 1 and PurchaseLine.objects.count() == 3
    assert first["Location"] == again["Location"]
    coordinator_client.post(reverse("meals:purchase_new"), purchase_post(farm, key=new_key()))
    assert Purchase.objects.count() == 2  # a new form is a new purchase


def test_a_volunteer_who_paid_must_be_named_and_nothing_is_written(coordinator_client, farm):
    data = purchase_post(farm, key=new_key(), paid_by="volunteer")
    response = coordinator_client.post(reverse("meals:purchase_new"), data)
    assert response.status_code == 200
    assert "Dites quel bénévole a payé" in response.content.decode()
    assert not Purchase.objects.exists()


def test_a_line_with_a_bad_amount_is_refused_in_the_page(coordinator_client, farm):
    data = purchase_post(farm, key=new_key(), **{"lines-2-amount": "-4"})
    response = coordinator_client.post(reverse("meals:purchase_new"), data)
    assert response.status_code == 200
    assert "ne peut pas être négatif" in response.content.decode()
    assert not Purchase.objects.exists()


def test_a_purchase_is_never_shared_beyond_100_percent(coordinator_client, farm, make_meal):
    purchase = Purchase.objects.create(date=timezone.localdate(), supplier=farm)
    first, second = make_meal(), make_meal(day=timezone.localdate() + timedelta(days=2))
    url = reverse("meals:purchase", args=[purchase.pk])
    coordinator_client.post(url, {"form_key": new_key(), "meal": first.pk, "share": "60"})
    response = coordinator_client.post(url, {"form_key": new_key(), "meal": second.pk, "share": "50"})
    assert response.status_code == 200
    assert "Il ne reste que 40" in response.content.decode()
    assert list(MealSupply.objects.values_list("meal", "share")) == [(first.pk, D("60.00"))]


def test_guests_see_the_computed_shares_and_cost_price_on_the_meal_page(client, coordinator_client, farm, make_meal):
    """Tomorrow's meal of 10 seats: before it is served, its covers are its seats. No overheads are set.
    Food 70 € / 10 covers = 7 € per cover; organic 55/70 = 78,6 % → 79 %; all local (the farm is 30 km away)."""
    meal = make_meal(organic_share=5, local_share=5, cost_price="9.00")
    before = text(client.get(reverse("meals:meal", args=[meal.pk])))
    assert "5 % bio, 5 % local" in before and "9 €" in before  # typed figures while nothing is linked
    coordinator_client.post(reverse("meals:purchase_new"), purchase_post(farm, key=new_key(), meal=meal))
    page = text(client.get(reverse("meals:meal", args=[meal.pk])))  # never stale after a write
    assert "79 % bio, 100 % local" in page
    assert "Ce repas coûte 7 €" in page


def test_saved_food_is_said_in_kilograms_on_the_meal_page(client, make_meal):
    meal = make_meal()
    grocery = Supplier.objects.create(name="Épicerie solidaire", kind=Supplier.Kind.ANTI_WASTE)
    purchase = Purchase.objects.create(date=timezone.localdate(), supplier=grocery)
    PurchaseLine.objects.create(
        purchase=purchase, product="Pain", weight_kg=D("12"), is_gift_in_kind=True, valuation=D("20"), saved=True
    )
    MealSupply.objects.create(meal=meal, purchase=purchase)
    page = text(client.get(reverse("meals:meal", args=[meal.pk])))
    assert "12 kg sauvés du gaspillage" in page


def test_coordinator_fixes_the_price_by_hand_with_a_note(client, coordinator_client, farm, meal):
    coordinator_client.post(reverse("meals:purchase_new"), purchase_post(farm, key=new_key(), meal=meal))
    url = reverse("meals:meal_sourcing", args=[meal.pk])
    refused = coordinator_client.post(url, {"form_key": new_key(), "cost_price_overridden": "on", "cost_price": "11"})
    assert "Dites pourquoi" in refused.content.decode()
    coordinator_client.post(
        url,
        {
            "form_key": new_key(),
            "cost_price_overridden": "on",
            "cost_price": "11,50",
            "cost_price_note": "Repas de fête",
        },
    )
    meal.refresh_from_db()
    assert (meal.cost_price, meal.cost_price_overridden) == (D("11.50"), True)
    page = text(client.get(reverse("meals:meal", args=[meal.pk])))
    assert "Ce repas coûte 11,50 €" in page and "Repas de fête" in page


def test_supplier_added_once_even_if_posted_twice(coordinator_client):
    data = {"form_key": new_key(), "name": "Biocoop", "kind": "shop", "distance_km": ""}
    coordinator_client.post(reverse("meals:suppliers"), data)
    again = coordinator_client.post(reverse("meals:suppliers"), data)
    assert again.status_code == 302 and Supplier.objects.count() == 1


def test_reimbursing_a_volunteer(coordinator_client, farm):
    purchase = Purchase.objects.create(
        date=timezone.localdate(), supplier=farm, paid_by=Purchase.PaidBy.VOLUNTEER, reimburse_to="Karim"
    )
    assert "Karim" in coordinator_client.get(reverse("meals:purchases")).content.decode()
    coordinator_client.post(reverse("meals:purchase_reimbursed", args=[purchase.pk]), {"form_key": new_key()})
    purchase.refresh_from_db()
    assert purchase.reimbursed_on == timezone.localdate()


def test_receipt_photo_is_kept_and_downloaded_by_coordinators_only(
    coordinator_client, client, volunteer, farm, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    photo = SimpleUploadedFile("ticket.jpg", b"\xff\xd8\xff fake jpeg", content_type="image/jpeg")
    coordinator_client.post(reverse("meals:purchase_new"), purchase_post(farm, key=new_key(), receipt=photo))
    purchase = Purchase.objects.get()
    assert purchase.receipt.name.startswith("receipts/")
    url = reverse("meals:purchase_receipt", args=[purchase.pk])
    response = coordinator_client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == b"\xff\xd8\xff fake jpeg"
    client.force_login(volunteer)
    assert client.get(url).status_code == 403


def _year_of_purchases(months: int, farm) -> None:
    for month in range(1, months + 1):
        meal = Meal.objects.create(
            title="Déjeuner",
            cooking_starts_at=timezone.make_aware(timezone.datetime(2025, month, 10, 9)),
            starts_at=timezone.make_aware(timezone.datetime(2025, month, 10, 12)),
            ends_at=timezone.make_aware(timezone.datetime(2025, month, 10, 14)),
            booking_opens_at=timezone.make_aware(timezone.datetime(2025, month, 1, 9)),
            booking_closes_at=timezone.make_aware(timezone.datetime(2025, month, 10, 10)),
        )
        Booking.objects.create(meal=meal, party_size=20, checked_in_at=meal.starts_at)
        for week in range(4):
            purchase = Purchase.objects.create(date=date(2025, month, 2 + week * 7), supplier=farm)
            for n in range(3):
                PurchaseLine.objects.create(
                    purchase=purchase, product=f"P{n}", weight_kg=D("2"), amount=D("5"), organic=n == 0
                )
            MealSupply.objects.create(meal=meal, purchase=purchase, share=D("100"))


@pytest.mark.parametrize(
    "name", ["meals:purchases", "meals:report_sourcing", "meals:report_sourcing_csv", "meals:suppliers"]
)
def test_query_counts_are_the_same_for_a_month_and_a_year_of_purchases(coordinator_client, farm, name):
    CantineSettings.objects.create(pk=1, overhead_rent=D("300"))
    url = reverse(name) + "?year=2025"
    _year_of_purchases(1, farm)
    coordinator_client.get(url)  # warm the per-process caches (settings, permissions)
    with CaptureQueriesContext(connection) as month:
        assert coordinator_client.get(url).status_code == 200
    _year_of_purchases(12, farm)  # a year more: 48 purchases, 144 lines
    with CaptureQueriesContext(connection) as year:
        assert coordinator_client.get(url).status_code == 200
    assert len(year) == len(month), [q["sql"] for q in year.captured_queries]


def test_meal_sourcing_page_query_count_is_flat(coordinator_client, farm):
    _year_of_purchases(1, farm)
    meal = Meal.objects.get()
    url = reverse("meals:meal_sourcing", args=[meal.pk])
    coordinator_client.get(url)
    with CaptureQueriesContext(connection) as few:
        coordinator_client.get(url)
    for _week in range(8):
        purchase = Purchase.objects.create(date=date(2025, 1, 20), supplier=farm)
        PurchaseLine.objects.create(purchase=purchase, product="X", weight_kg=D("1"), amount=D("1"))
        MealSupply.objects.create(meal=meal, purchase=purchase, share=D("10"))
    with CaptureQueriesContext(connection) as many:
        coordinator_client.get(url)
    assert len(many) == len(few)


def test_sourcing_csv_has_a_row_per_month_and_the_kinds(coordinator_client, farm):
    _year_of_purchases(2, farm)
    response = coordinator_client.get(reverse("meals:report_sourcing_csv") + "?year=2025")
    text = response.content.decode("utf-8-sig")
    lines = text.split("\r\n")
    assert lines[0].startswith("Mois;Dépenses (€)")
    # January: 4 purchases × 3 lines × 5 € = 60 €, 24 kg, 1 line in 3 organic → 33,3 %.
    assert lines[1].split(";")[:6] == ["janvier 2025", "60,00", "0,00", "60,00", "24,0", "33,3"]
    assert any(line.startswith("Producteur;120,00") for line in lines)


def test_sourcing_report_shows_the_goal_chart(coordinator_client, farm):
    _year_of_purchases(1, farm)
    page = coordinator_client.get(reverse("meals:report_sourcing") + "?year=2025").content.decode()
    assert "<svg" in page and "Objectif" in page
