"""The cost price and the shares of organic, local, bulk and saved food, checked against figures computed by hand."""

from datetime import date
from decimal import Decimal as D

import pytest

from meals import sourcing
from meals.models import Booking, MealSupply, Purchase, PurchaseLine, Supplier
from members.models import CantineSettings


def line(purchase, product, *, kg, eur, gift=None, **labels):
    return PurchaseLine.objects.create(
        purchase=purchase,
        product=product,
        weight_kg=D(kg),
        amount=D(eur),
        is_gift_in_kind=gift is not None,
        valuation=D(gift or "0"),
        **labels,
    )


@pytest.fixture
def october(make_meal):
    """October 2025, over: two meals served, four purchases (one not used for a meal), one meal of November
    with no purchase.

    Settings: local within 150 km; overheads 200 + 0 + 150 + 100 = 450 € a month.

    Suppliers: Ferme du Moulin (producer, 30 km: local), Biocoop (shop, distance unknown),
    Grossiste (wholesaler, 400 km), Épicerie solidaire (anti-waste, 5 km: local).

    Purchases (all in October):
      P1 Ferme:   carrots 10 kg 25 € organic; potatoes 20 kg 30 € organic+bulk; eggs 3 kg 15 €
                  → 70 €, 33 kg
      P2 Grossiste, paid by Karim (to reimburse): rice 5 kg 10 € bulk; oil 2 kg 20 € → 30 €, 7 kg
      P3 Épicerie: bread 4 kg, 0 € paid, a gift in kind valued 12 €, saved → value 12 €, 4 kg
      P4 Biocoop: cheese 1 kg 18 € organic, labelled local (used for no meal)

    Meals: m1 (7 Oct, 20 covers checked in, a no-show of 5 not counted) gets P1 100 % and P2 50 %;
    m2 (14 Oct, 30 covers) gets P2 50 % and P3 100 %.
    The month's covers: 20 + 30 = 50 → overheads 450 / 50 = 9,00 € per cover.

    m1: cost = value = 70 + 15 = 85 €; weight = 33 + 3,5 = 36,5 kg.
        organic 55/85 = 64,7 %; local 70/85 = 82,4 % (all of P1); bulk (30 + 5)/85 = 41,2 %; saved 0;
        goal (any label) (70 + 5)/85 = 88,2 %. By weight: organic 30/36,5 = 82,2 %; local 33/36,5 = 90,4 %;
        bulk 22,5/36,5 = 61,6 %.
        food per cover 85/20 = 4,25 €; cost price 4,25 + 9,00 = 13,25 €.
    m2: cost 5 + 10 = 15 €; value 15 + 12 = 27 €; gifts 12 €; weight 2,5 + 1 + 4 = 7,5 kg.
        organic 0 %; local 12/27 = 44,4 %; bulk 5/27 = 18,5 %; saved 12/27 = 44,4 %; 4 kg saved.
        By weight: local 4/7,5 = 53,3 %; bulk 2,5/7,5 = 33,3 %; saved 53,3 %.
        food per cover 15/30 = 0,50 €; cost price 9,50 €.
    October (P1–P4): cost 118 €; value 130 €; gifts 12 €; weight 45 kg.
        organic (25 + 30 + 18)/130 = 56,2 %; local (70 + 12 + 18)/130 = 76,9 %; bulk 40/130 = 30,8 %;
        saved 12/130 = 9,2 %; goal 110/130 = 84,6 %. By weight: organic 31/45 = 68,9 %;
        local 38/45 = 84,4 %; bulk 25/45 = 55,6 %; saved 4/45 = 8,9 %.
        By kind (value): producer 70 (53,8 %), shop 18 (13,8 %), wholesaler 30 (23,1 %),
        anti-waste 12 (9,2 %, 0 € paid), donor 0. Local producers: 70/130 = 53,8 %.
    """
    CantineSettings.objects.create(
        pk=1, local_radius_km=150, overhead_rent=D("200"), overhead_energy=D("150"), overhead_other=D("100")
    )
    farm = Supplier.objects.create(name="Ferme du Moulin", kind=Supplier.Kind.PRODUCER, distance_km=30)
    shop = Supplier.objects.create(name="Biocoop", kind=Supplier.Kind.SHOP)
    wholesaler = Supplier.objects.create(name="Grossiste", kind=Supplier.Kind.WHOLESALER, distance_km=400)
    grocery = Supplier.objects.create(name="Épicerie solidaire", kind=Supplier.Kind.ANTI_WASTE, distance_km=5)

    p1 = Purchase.objects.create(date=date(2025, 10, 6), supplier=farm)
    line(p1, "Carottes", kg="10", eur="25", organic=True)
    line(p1, "Pommes de terre", kg="20", eur="30", organic=True, bulk=True)
    line(p1, "Œufs", kg="3", eur="15")
    p2 = Purchase.objects.create(
        date=date(2025, 10, 6), supplier=wholesaler, paid_by=Purchase.PaidBy.VOLUNTEER, reimburse_to="Karim"
    )
    line(p2, "Riz", kg="5", eur="10", bulk=True)
    line(p2, "Huile", kg="2", eur="20")
    p3 = Purchase.objects.create(date=date(2025, 10, 13), supplier=grocery)
    line(p3, "Pain", kg="4", eur="0", gift="12", saved=True)
    p4 = Purchase.objects.create(date=date(2025, 10, 20), supplier=shop)
    line(p4, "Fromage", kg="1", eur="18", organic=True, local=True)

    m1 = make_meal(day=date(2025, 10, 7), capacity=40, cost_price="9.00", organic_share=10, local_share=10)
    m2 = make_meal(day=date(2025, 10, 14), capacity=40)
    m3 = make_meal(day=date(2025, 11, 4), capacity=40, cost_price="11.00", organic_share=30, local_share=20)
    for meal, party, came in [(m1, 12, True), (m1, 8, True), (m1, 5, False), (m2, 25, True), (m2, 5, True)]:
        Booking.objects.create(meal=meal, party_size=party, checked_in_at=meal.starts_at if came else None)
    MealSupply.objects.create(meal=m1, purchase=p1)
    MealSupply.objects.create(meal=m1, purchase=p2, share=D("50"))
    MealSupply.objects.create(meal=m2, purchase=p2, share=D("50"))
    MealSupply.objects.create(meal=m2, purchase=p3)
    return {"m1": m1, "m2": m2, "m3": m3}


def test_meal_cost_price_is_food_plus_overheads_per_cover(october):
    m1 = sourcing.meal_cost(october["m1"])
    assert (m1.covers, m1.food_per_cover, m1.overheads_per_cover) == (20, D("4.25"), D("9.00"))
    assert m1.cost_price == D("13.25") and m1.computed
    m2 = sourcing.meal_cost(october["m2"])
    assert (m2.covers, m2.food_per_cover, m2.cost_price) == (30, D("0.50"), D("9.50"))


def test_meal_shares_by_value_and_by_weight(october):
    m1 = sourcing.meal_cost(october["m1"]).shares
    assert (m1.cost, m1.value, m1.gifts, m1.weight_kg) == (D("85.00"), D("85.00"), D("0.00"), D("36.5"))
    assert m1.by_value == {
        "organic": D("64.7"),
        "local": D("82.4"),
        "bulk": D("41.2"),
        "saved": D("0.0"),
        "goal": D("88.2"),
    }
    assert (m1.by_weight["organic"], m1.by_weight["local"], m1.by_weight["bulk"]) == (D("82.2"), D("90.4"), D("61.6"))
    m2 = sourcing.meal_cost(october["m2"])
    shares = m2.shares
    assert (shares.cost, shares.value, shares.gifts, shares.weight_kg) == (D("15.00"), D("27.00"), D("12.00"), D("7.5"))
    assert (shares.by_value["organic"], shares.by_value["local"], shares.by_value["bulk"]) == (
        D("0.0"),
        D("44.4"),
        D("18.5"),
    )
    assert shares.by_value["saved"] == D("44.4") and m2.saved_kg == D("4.0")
    assert (shares.by_weight["local"], shares.by_weight["bulk"], shares.by_weight["saved"]) == (
        D("53.3"),
        D("33.3"),
        D("53.3"),
    )
    # What the meal's page says: whole percents, computed (the typed 10 % of m1 are not used).
    assert (sourcing.meal_cost(october["m1"]).organic_share, m2.local_share) == (65, 44)


def test_meal_without_purchases_keeps_its_typed_figures(october):
    m3 = sourcing.meal_cost(october["m3"])
    assert not m3.computed and not m3.shares.any
    assert (m3.cost_price, m3.organic_share, m3.local_share) == (D("11.00"), 30, 20)


def test_coordinator_override_shows_the_typed_price_with_its_note(october):
    m1 = october["m1"]
    m1.cost_price_overridden, m1.cost_price_note = True, "Repas de fête, offert par la mairie"
    m1.save()
    cost = sourcing.meal_cost(m1)
    assert (cost.cost_price, cost.computed, cost.note) == (D("9.00"), False, "Repas de fête, offert par la mairie")
    assert cost.organic_share == 65  # the shares stay computed


def test_monthly_figures_and_spend_by_supplier_kind(october):
    figures = sourcing.report(2025)
    oct_ = figures["months"][9]["shares"]
    assert (oct_.cost, oct_.value, oct_.gifts, oct_.weight_kg, oct_.saved_kg) == (
        D("118.00"),
        D("130.00"),
        D("12.00"),
        D("45.0"),
        D("4.0"),
    )
    assert oct_.by_value == {
        "organic": D("56.2"),
        "local": D("76.9"),
        "bulk": D("30.8"),
        "saved": D("9.2"),
        "goal": D("84.6"),
    }
    assert oct_.by_weight == {
        "organic": D("68.9"),
        "local": D("84.4"),
        "bulk": D("55.6"),
        "saved": D("8.9"),
        "goal": D("95.6"),  # 43/45: all but the oil (the eggs are local by their farm)
    }
    assert not figures["months"][10]["shares"].any  # November: no purchase
    kinds = {row["kind"]: (row["cost"], row["value"], row["share"]) for row in figures["by_kind"]}
    assert kinds == {
        "producer": (D("70.00"), D("70.00"), D("53.8")),
        "shop": (D("18.00"), D("18.00"), D("13.8")),
        "wholesaler": (D("30.00"), D("30.00"), D("23.1")),
        "anti_waste": (D("0.00"), D("12.00"), D("9.2")),
        "donor": (D("0.00"), D("0.00"), D("0.0")),
    }
    assert figures["local_producers_share"] == D("53.8")
    assert figures["total"].value == D("130.00")


def test_month_covers_count_planned_meals_at_capacity(make_meal):
    """A meal not over yet counts its capacity: 12 seats → 450 / 12 = 37,50 € per cover."""
    CantineSettings.objects.create(pk=1, overhead_rent=D("450"))
    meal = make_meal(capacity=12)
    day = meal.starts_at.date()
    assert sourcing.overheads_per_cover(day, now=meal.starts_at) == D("37.50")
