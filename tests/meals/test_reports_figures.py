"""Every figure of the reports against values worked out by hand on a small, known fixture.

October 2025 (all in the past):

- M0, 30 September: alice comes (her first visit); bob cooks (no meal).
- M1, 7 October, cost 9 €, organic 50 %, local 40 %: alice ×2, bob ×1 checked in; a walk-in ×2;
  dan (partner's person) booked and did not come; gina on the waiting list.
  Shifts: alice and karim cook (2 h 30), bob washes up (1 h).
- M2, 14 October, cost 12 €, organic 80 %, local 60 %: bob, chloe (erased since), dan, eve ×3
  (booked by the other partner) checked in; a walk-in ×1; frank booked and did not come;
  hugo cancelled. Shift: karim sets the table (30 min).
- M3, 21 October, cancelled: a checked-in booking, a contribution and a signup that never count.
- M4, 4 November: frank comes for the first time (after the period).

Covers: M1 2+1+2 = 5, M2 1+1+1+3+1 = 7 → 12, of which 3 walk-ins; 6 per meal.
Bookings (confirmed, not walk-ins): M1 alice, bob, dan; M2 bob, chloe, dan, eve, frank → 8.
No-shows: dan at M1, frank at M2 → 2, 25 %.
Guests: alice, bob, chloe, dan, eve → 5; first time in October: bob, chloe, dan, eve → 4;
came at least twice by the end of October: alice (M0, M1), bob (M1, M2) → 2.
Partners: « Les Amis du Quartier » (dan): 2 bookings, 1 cover, 1 person;
« Voisins Solidaires » (eve): 1 booking, 3 covers, 1 person.
Shifts: 4 signups by 3 people, marked as come; cooking 2 × 2,5 h = 5 h, table 0,5 h, dishes 1 h → 6,5 h;
dan signed up to set the table at M1 and did not come (not counted); eve signed up to wash up
at M2 and nobody marked her yet (« à pointer »: 1 signup, 1 h, not counted);
slots: 2 meals × (10 + 3 + 4) = 34. Guests who later helped: alice (came on 30 September,
cooked on 7 October) → 1; bob washed up at the very meal he ate, which does not count.
Contributions: M1 10 + 8 + 5,50 + 0 = 23,50; M2 12 + 3 + 0 + 6,50 = 21,50 → 45,00 in 8;
cash 24,50 (5), card 17,50 (2), voucher 3,00 (1); voided: 20 + 7 = 27,00 in 2.
Per cover 45 / 12 = 3,75; cost 5 × 9 + 7 × 12 = 129 → 10,75 per cover; coverage 45 / 129 = 34,9 %.
Organic (5 × 50 + 7 × 80) / 12 = 67,5 %; local (5 × 40 + 7 × 60) / 12 = 51,7 %.
"""

import re
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Contribution, Meal, Shift, ShiftSignup
from meals.reports import Period, compute, meals_with_figures, period_from_query, volunteer_hours
from members.models import Member, Partner, PaymentMethod

PARIS = ZoneInfo("Europe/Paris")
OCTOBER = Period(2025, 10)


def at(day: date, hour: int = 12, minute: int = 30) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=PARIS)


@pytest.fixture
def october(db, make_meal, volunteer, coordinator):
    partner = Partner.objects.create(name="Les Amis du Quartier")
    other_partner = Partner.objects.create(name="Voisins Solidaires")
    alice = Member.objects.create(name="Alice Aubert")
    bob = Member.objects.create(name="Bob Bernard")
    chloe = Member.objects.create(name="", erased_at=timezone.now())  # erased: her name is gone
    dan = Member.objects.create(name="Dan Durand", partner=partner)
    eve = Member.objects.create(name="Eve Estève")
    frank = Member.objects.create(name="Frank Faure")
    gina = Member.objects.create(name="Gina Giraud")
    hugo = Member.objects.create(name="Hugo Hamel")
    karim = volunteer.member

    m0 = make_meal(day=date(2025, 9, 30))
    m1 = make_meal(day=date(2025, 10, 7), cost_price="9.00", organic_share=50, local_share=40)
    m2 = make_meal(day=date(2025, 10, 14), cost_price="12.00", organic_share=80, local_share=60)
    m3 = make_meal(day=date(2025, 10, 21), status=Meal.Status.CANCELLED, cancelled_at=timezone.now())
    m4 = make_meal(day=date(2025, 11, 4))

    def booking(meal, member=None, *, party=1, came=True, status=Booking.Status.CONFIRMED, **fields):
        return Booking.objects.create(
            meal=meal,
            member=member,
            name=member.name if member else "",
            party_size=party,
            status=status,
            checked_in_at=meal.starts_at if came else None,
            **fields,
        )

    booking(m0, alice)
    booking(m1, alice, party=2)
    booking(m1, bob)
    booking(m1, is_walk_in=True, party=2)
    booking(m1, dan, came=False)
    booking(m1, gina, came=False, status=Booking.Status.WAITLISTED)
    booking(m2, bob)
    booking(m2, chloe)
    booking(m2, dan)
    booking(m2, eve, party=3, partner=other_partner)
    booking(m2, is_walk_in=True)
    booking(m2, frank, came=False)
    booking(m2, hugo, party=2, came=False, status=Booking.Status.CANCELLED)
    booking(m3, hugo)
    booking(m4, frank)

    def signup(meal, role, member, attended=ShiftSignup.Attendance.CAME):
        ShiftSignup.objects.create(shift=Shift.objects.get(meal=meal, role=role), member=member, attended=attended)

    signup(m0, Shift.Role.COOKING, bob)
    signup(m1, Shift.Role.COOKING, alice)
    signup(m1, Shift.Role.COOKING, karim)
    signup(m1, Shift.Role.DISHES, bob)
    signup(m1, Shift.Role.TABLE, dan, attended=ShiftSignup.Attendance.ABSENT)
    signup(m2, Shift.Role.TABLE, karim)
    signup(m2, Shift.Role.DISHES, eve, attended=ShiftSignup.Attendance.UNKNOWN)
    signup(m3, Shift.Role.COOKING, karim)

    cash, card, voucher = PaymentMethod.CASH, PaymentMethod.CARD, PaymentMethod.VOUCHER

    def give(meal, amount, method, *, voided: str = ""):
        return Contribution.objects.create(
            meal=meal,
            amount=Decimal(amount),
            method=method,
            recorded_at=meal.starts_at,
            recorded_by=coordinator,
            voided_at=meal.starts_at if voided else None,
            voided_by=coordinator if voided else None,
            void_reason=voided,
        )

    give(m1, "10.00", cash)
    give(m1, "8.00", cash)
    give(m1, "5.50", card)
    give(m1, "0.00", cash)
    give(m1, "20.00", cash, voided="Erreur de saisie")
    give(m2, "12.00", card)
    give(m2, "3.00", voucher)
    give(m2, "0.00", cash)
    give(m2, "6.50", cash)
    give(m2, "7.00", card, voided="Doublon")
    give(m3, "9.00", cash)
    return {"m1": m1, "m2": m2, "partner": partner, "other_partner": other_partner}


def test_meals_and_covers_match_the_hand_count(october):
    f = compute(OCTOBER)
    assert f["meal_count"] == 2
    assert f["covers"] == 12
    assert f["walk_in_covers"] == 3
    assert f["covers_per_meal"] == Decimal("6.0")


def test_bookings_and_no_shows_match_the_hand_count(october):
    f = compute(OCTOBER)
    assert f["bookings"] == 8
    assert f["past_bookings"] == 8
    assert f["no_shows"] == 2
    assert f["no_show_rate"] == Decimal("25.0")


def test_guests_first_timers_and_returning_match_the_hand_count(october):
    f = compute(OCTOBER)
    assert f["unique_guests"] == 5
    assert f["first_time_guests"] == 4
    assert f["returning_guests"] == 2


def test_guests_brought_by_each_partner(october):
    rows = {row["via_partner_name"]: row for row in compute(OCTOBER)["partners"]}
    assert set(rows) == {"Les Amis du Quartier", "Voisins Solidaires"}
    assert (rows["Les Amis du Quartier"]["bookings"], rows["Les Amis du Quartier"]["covers"]) == (2, 1)
    assert rows["Les Amis du Quartier"]["people"] == 1
    assert (rows["Voisins Solidaires"]["bookings"], rows["Voisins Solidaires"]["covers"]) == (1, 3)
    assert rows["Voisins Solidaires"]["people"] == 1


def test_shifts_and_volunteer_hours_by_role(october):
    f = compute(OCTOBER)
    assert f["shift_signups"] == 4
    assert f["volunteers"] == 3
    assert f["volunteer_hours"] == Decimal("6.5")
    assert f["shift_slots"] == 34
    roles = {row["role"]: (row["slots"], row["signups"], row["hours"]) for row in f["roles"]}
    assert roles == {
        "cooking": (20, 2, Decimal("5.0")),
        "table": (6, 1, Decimal("0.5")),
        "dishes": (8, 1, Decimal("1.0")),
    }


def test_hours_count_attendance_and_unmarked_signups_are_shown_apart(october):
    f = compute(OCTOBER)
    # dan did not come (0,5 h), eve is still to mark (1 h): neither is worked time.
    assert (f["shift_signups"], f["volunteer_hours"]) == (4, Decimal("6.5"))
    assert (f["signups_to_mark"], f["hours_to_mark"]) == (1, Decimal("1.0"))
    assert "Dan" not in {row["member__name"].split(" ")[0] for row in volunteer_hours(OCTOBER)}


def test_guest_who_came_before_helping_counts_once(october):
    assert compute(OCTOBER)["guests_who_helped"] == 1


def test_contributions_leave_voided_ones_apart(october):
    f = compute(OCTOBER)
    assert f["contributions_total"] == Decimal("45.00")
    assert f["contributions_count"] == 8
    assert f["voided_total"] == Decimal("27.00")
    assert f["voided_count"] == 2
    assert {row.void_reason for row in f["voided"]} == {"Erreur de saisie", "Doublon"}
    by_method = {row["method"]: (row["total"], row["count"]) for row in f["by_method"]}
    assert by_method == {
        "cash": (Decimal("24.50"), 5),
        "card": (Decimal("17.50"), 2),
        "voucher": (Decimal("3.00"), 1),
    }


def test_contributions_against_the_cost_price(october):
    f = compute(OCTOBER)
    assert f["average_per_cover"] == Decimal("3.75")
    assert f["cost_of_covers"] == Decimal("129.00")
    assert f["cost_per_cover"] == Decimal("10.75")
    assert f["coverage"] == Decimal("34.9")


def test_organic_and_local_shares_are_weighted_by_covers(october):
    f = compute(OCTOBER)
    assert f["organic_share"] == Decimal("67.5")
    assert f["local_share"] == Decimal("51.7")


def test_each_meal_has_its_own_figures(october):
    meals = {meal.pk: meal for meal in meals_with_figures(OCTOBER)}
    m1, m2 = meals[october["m1"].pk], meals[october["m2"].pk]
    assert len(meals) == 2
    assert (m1.covers, m1.walk_in_covers, m1.bookings_count, m1.no_shows) == (5, 2, 3, 1)
    assert (m2.covers, m2.walk_in_covers, m2.bookings_count, m2.no_shows) == (7, 1, 5, 1)
    assert (m1.contributions_total, m1.contributions_count) == (Decimal("23.50"), 4)
    assert (m2.contributions_total, m2.contributions_count) == (Decimal("21.50"), 4)


def test_month_rows_are_meals_with_contribution_per_cover(october):
    rows = compute(OCTOBER)["rows"]
    assert [(row["label"], row["covers"], row["per_cover"], row["cost_price"]) for row in rows] == [
        ("7", 5, Decimal("4.70"), Decimal("9.00")),
        ("14", 7, Decimal("3.07"), Decimal("12.00")),
    ]


def test_year_rows_are_months_with_covers_weighted_cost(october):
    rows = {row["title"]: row for row in compute(Period(2025))["rows"]}
    assert list(rows) == ["septembre 2025", "octobre 2025", "novembre 2025"]
    october_row = rows["octobre 2025"]
    assert (october_row["meals"], october_row["covers"], october_row["walk_in_covers"]) == (2, 12, 3)
    assert (october_row["bookings"], october_row["no_shows"]) == (8, 2)
    assert (october_row["contributions"], october_row["contribution_count"]) == (Decimal("45.00"), 8)
    assert october_row["per_cover"] == Decimal("3.75")
    assert october_row["cost_price"] == Decimal("10.75")
    assert rows["novembre 2025"]["covers"] == 1


def test_the_year_adds_the_next_month_and_the_first_visit_of_frank(october):
    f = compute(Period(2025))
    assert f["meal_count"] == 4  # M0, M1, M2, M4; never the cancelled M3
    assert f["covers"] == 1 + 12 + 1
    assert f["unique_guests"] == 6  # frank came in November
    assert f["first_time_guests"] == 6
    assert f["no_shows"] == 2


def test_an_empty_month_has_zeros_and_no_ratios(db):
    f = compute(Period(2024, 2))
    assert (f["meal_count"], f["covers"], f["bookings"], f["contributions_total"]) == (0, 0, 0, Decimal("0"))
    assert f["no_show_rate"] is None
    assert f["coverage"] is None
    assert f["organic_share"] is None


def test_the_page_shows_the_hand_counted_figures(client, coordinator, october):
    client.force_login(coordinator)
    response = client.get(reverse("meals:reports"), {"month": "2025-10"})
    assert response.status_code == 200
    figures = response.context["f"]
    assert figures["covers"] == 12
    html = response.content.decode()
    assert "45,00\u202f€" in html
    assert "34,9 %" in html
    assert "Voisins Solidaires" in html
    assert "Erreur de saisie" in html


def test_period_from_query_reads_a_month_a_year_or_defaults_to_this_month():
    assert period_from_query({"month": "2026-02"}) == Period(2026, 2)
    assert period_from_query({"year": "2026"}) == Period(2026)
    assert period_from_query({}, today=date(2026, 11, 23)) == Period(2026, 11)
    assert Period(2026, 1).previous == Period(2025, 12)
    assert Period(2026, 12).next == Period(2027, 1)
    assert Period(2026, 12).end == datetime(2027, 1, 1, tzinfo=PARIS)


# --- The current period: only what has happened counts ---------------------------------
#
# 3 December 2025, 16:00 in Paris. D1 (1 December) and D3 (3 December, over at 14:30; its
# washing-up at 14:45) have happened; F1 (10 December) and F2 (17 December) are planned.
#
# - D1: ana ×2 and a walk-in ×1 checked in; basile booked and did not come. 10 € + 5 €.
#   Karim cooks (2 h 30), Léa washes up (1 h).
# - D3: ana ×1, céline ×1 (she ticked « vaisselle » when booking) and dora ×3 (a partner's)
#   checked in. 8 €. Karim cooks (2 h 30); céline washes up (1 h), through her booking.
# - F1: basile ×2, dora ×1, eve ×4 booked, someone ×2 on the waiting list; 20 € recorded
#   in advance. Karim cooks, Léa sets the table.
# - F2: ana ×1, céline ×1 (she ticked « vaisselle » again).
#
# Served: 2 meals; covers 3 + 5 = 8 (1 walk-in); bookings 2 + 3 = 5; no-shows 1 (20 %);
# guests ana, céline, dora = 3; contributions 23 € in 3.
# Planned: 2 meals, 5 bookings for 2 + 1 + 4 + 1 + 1 = 9 people.
# Shifts over: 4 sign-ups, 2,5 + 1 + 2,5 + 1 = 7 h, by 3 people: 2 volunteers (karim, léa)
# and 1 guest who lent a hand (céline).

DECEMBER = Period(2025, 12)
DEC_3_AFTERNOON = datetime(2025, 12, 3, 16, 0, tzinfo=PARIS)


@pytest.fixture
def december(db, make_meal, volunteer, coordinator):
    partner = Partner.objects.create(name="Les Amis du Quartier")
    ana = Member.objects.create(name="Ana Arnaud")
    basile = Member.objects.create(name="Basile Blanc")
    celine = Member.objects.create(name="Céline Caron")
    dora = Member.objects.create(name="Dora Dumas", partner=partner)
    eve = Member.objects.create(name="Eve Estève")
    lea = Member.objects.create(name="Léa Lemoine")
    karim = volunteer.member

    d1 = make_meal(day=date(2025, 12, 1))
    d3 = make_meal(day=date(2025, 12, 3))
    f1 = make_meal(day=date(2025, 12, 10))
    f2 = make_meal(day=date(2025, 12, 17))

    def booking(meal, member=None, *, party=1, came=False, status=Booking.Status.CONFIRMED, **fields):
        return Booking.objects.create(
            meal=meal,
            member=member,
            name=member.name if member else "",
            party_size=party,
            status=status,
            checked_in_at=meal.starts_at if came else None,
            **fields,
        )

    def signup(meal, role, member, booking=None):
        ShiftSignup.objects.create(
            shift=Shift.objects.get(meal=meal, role=role),
            member=member,
            booking=booking,
            attended=ShiftSignup.Attendance.CAME,  # marked by the coordinator (issue 18: attendance counts)
        )

    booking(d1, ana, party=2, came=True)
    booking(d1, is_walk_in=True, came=True)
    booking(d1, basile)
    booking(d3, ana, came=True)
    helping = booking(d3, celine, came=True, help_with=Shift.Role.DISHES)
    booking(d3, dora, party=3, came=True)
    booking(f1, basile, party=2)
    booking(f1, dora)
    booking(f1, eve, party=4)
    booking(f1, party=2, status=Booking.Status.WAITLISTED)
    booking(f2, ana)
    helping_later = booking(f2, celine, help_with=Shift.Role.DISHES)

    signup(d1, Shift.Role.COOKING, karim)
    signup(d1, Shift.Role.DISHES, lea)
    signup(d3, Shift.Role.COOKING, karim)
    signup(d3, Shift.Role.DISHES, celine, booking=helping)
    signup(f1, Shift.Role.COOKING, karim)
    signup(f1, Shift.Role.TABLE, lea)
    signup(f2, Shift.Role.DISHES, celine, booking=helping_later)

    for meal, amount in [(d1, "10.00"), (d1, "5.00"), (d3, "8.00"), (f1, "20.00")]:
        Contribution.objects.create(
            meal=meal,
            amount=Decimal(amount),
            method=PaymentMethod.CASH,
            recorded_at=meal.starts_at,
            recorded_by=coordinator,
        )
    return {"d1": d1, "d3": d3, "f1": f1, "f2": f2, "partner": partner}


def test_the_current_month_counts_the_meals_that_have_happened(december):
    f = compute(DECEMBER, now=DEC_3_AFTERNOON)
    assert f["meal_count"] == 2
    assert (f["covers"], f["walk_in_covers"]) == (8, 1)
    assert f["bookings"] == 5
    assert (f["no_shows"], f["no_show_rate"]) == (1, Decimal("20.0"))
    assert f["unique_guests"] == 3
    assert (f["contributions_total"], f["contributions_count"]) == (Decimal("23.00"), 3)
    assert [row["label"] for row in f["rows"]] == ["1", "3"]


def test_the_current_month_shows_what_is_planned_apart(december):
    f = compute(DECEMBER, now=DEC_3_AFTERNOON)
    assert (f["planned_meals"], f["planned_bookings"], f["planned_people"]) == (2, 5, 9)


def test_a_meal_in_progress_is_not_served_yet(december):
    lunch = datetime(2025, 12, 3, 13, 0, tzinfo=PARIS)
    f = compute(DECEMBER, now=lunch)
    assert (f["meal_count"], f["covers"], f["bookings"], f["unique_guests"]) == (1, 3, 2, 1)
    assert (f["planned_meals"], f["planned_bookings"]) == (3, 8)
    assert f["contributions_total"] == Decimal("15.00")


def test_hours_count_the_shifts_that_are_over_and_guests_who_helped_are_not_volunteers(december):
    f = compute(DECEMBER, now=DEC_3_AFTERNOON)
    assert f["shift_signups"] == 4
    assert f["volunteer_hours"] == Decimal("7.0")
    assert (f["helpers"], f["volunteers"], f["helping_guests"]) == (3, 2, 1)
    roles = {row["role"]: (row["slots"], row["signups"], row["hours"]) for row in f["roles"]}
    assert roles == {
        "cooking": (20, 2, Decimal("5.0")),
        "table": (6, 0, Decimal("0.0")),
        "dishes": (8, 2, Decimal("2.0")),
    }


def test_a_month_still_to_come_has_nothing_served_and_everything_planned(december):
    f = compute(DECEMBER, now=datetime(2025, 11, 20, tzinfo=PARIS))
    assert (f["meal_count"], f["covers"], f["bookings"], f["shift_signups"]) == (0, 0, 0, 0)
    assert f["contributions_total"] == Decimal("0")
    assert (f["planned_meals"], f["planned_bookings"], f["planned_people"]) == (4, 2 + 3 + 3 + 2, 3 + 5 + 7 + 2)


def test_a_past_month_plans_nothing(october):
    f = compute(OCTOBER)
    assert (f["planned_meals"], f["planned_bookings"], f["planned_people"]) == (0, 0, 0)
    assert (f["helpers"], f["volunteers"], f["helping_guests"]) == (3, 3, 0)


@pytest.fixture
def on_december_3(clock, client, coordinator, december):
    now, move = clock
    move(DEC_3_AFTERNOON - now)
    client.force_login(coordinator)
    return client


def test_the_report_page_labels_planned_figures_apart(on_december_3):
    response = on_december_3.get(reverse("meals:reports"), {"month": "2025-12"})
    f = response.context["f"]
    assert (f["meal_count"], f["bookings"], f["planned_meals"]) == (2, 5, 2)
    html = response.content.decode()
    assert "prévus" in html
    assert "Convives qui ont donné un coup de main" in html


def test_every_served_figure_is_the_sum_of_its_rows(on_december_3):
    query = {"month": "2025-12"}
    f = on_december_3.get(reverse("meals:reports"), query).context["f"]
    meals = list(on_december_3.get(reverse("meals:report_attendance"), query).context["page"])
    assert len(meals) == f["meal_count"]
    assert sum(m.covers for m in meals) == f["covers"]
    assert sum(m.walk_in_covers for m in meals) == f["walk_in_covers"]
    assert sum(m.bookings_count for m in meals) == f["bookings"]
    assert sum(m.no_shows for m in meals) == f["no_shows"]
    assert sum(m.contributions_total for m in meals) == f["contributions_total"]
    given = on_december_3.get(reverse("meals:report_contributions"), query).context
    assert given["page"].paginator.count == f["contributions_count"]
    assert given["totals"]["total"] == f["contributions_total"]
    guests = on_december_3.get(reverse("meals:report_guests"), query).context["page"]
    assert guests.paginator.count == f["unique_guests"]
    partner = on_december_3.get(reverse("meals:report_guests"), {**query, "partner": f["partners"][0]["via_partner"]})
    assert partner.context["page"].paginator.count == f["partners"][0]["people"]


def test_every_planned_figure_is_the_sum_of_its_rows(on_december_3):
    query = {"month": "2025-12"}
    f = on_december_3.get(reverse("meals:reports"), query).context["f"]
    planned = on_december_3.get(reverse("meals:report_attendance"), {**query, "show": "planned"})
    meals = list(planned.context["page"])
    assert len(meals) == f["planned_meals"] == 2
    assert sum(m.bookings_count for m in meals) == f["planned_bookings"]
    assert sum(m.booked_people for m in meals) == f["planned_people"]
    assert "prévus" in planned.content.decode()


def test_every_volunteering_figure_is_the_sum_of_its_rows(on_december_3):
    query = {"month": "2025-12"}
    f = on_december_3.get(reverse("meals:reports"), query).context["f"]

    def rows(**extra):
        return list(on_december_3.get(reverse("meals:report_volunteers"), {**query, **extra}).context["page"])

    everyone = rows()
    assert len(everyone) == f["helpers"]
    assert sum(Decimal(row["hours"].replace(",", ".")) for row in everyone) == f["volunteer_hours"]
    assert sum(row["signups"] for row in everyone) == f["shift_signups"]
    assert [row["person"] for row in rows(show="volunteers")] == ["Karim Benali", "Léa Lemoine"]
    assert [row["person"] for row in rows(show="helping")] == ["Céline Caron"]
    assert len(rows(show="volunteers")) == f["volunteers"]
    assert len(rows(show="helping")) == f["helping_guests"]


def test_the_attendance_file_has_the_served_meals_only(on_december_3):
    response = on_december_3.get(reverse("meals:report_csv", kwargs={"kind": "attendance"}), {"month": "2025-12"})
    lines = response.content.decode("utf-8-sig").strip().splitlines()
    assert [line.split(";")[0] for line in lines[1:]] == ["01/12/2025", "03/12/2025"]


def test_count_columns_say_whether_they_count_bookings_or_people(on_december_3):
    html = on_december_3.get(reverse("meals:report_attendance"), {"month": "2025-12"}).content.decode()
    headings = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r'<th scope="col" class="num">(.*?)</th>', html)]
    counts = [h for h in headings if h not in {"Places", "Participations", "Prix de revient", "Bio", "Local"}]
    assert counts and all("réservation" in h.lower() or "personne" in h.lower() for h in counts), counts
    report = on_december_3.get(reverse("meals:reports"), {"month": "2025-12"}).content.decode()
    assert "<dt>Réservations</dt>" not in report and ">Réservations</th>" not in report
    assert ">Absents<" not in report and ">Absents<" not in html
