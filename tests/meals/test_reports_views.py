"""The report pages: who may see them, the CSV files, the SVG charts, flat query counts."""

import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone

from meals.models import Booking, Contribution, Shift, ShiftSignup
from members.models import Member, PaymentMethod
from tests.meals.test_reports_figures import october  # noqa: F401 (the hand-counted fixture)

SVG = "{http://www.w3.org/2000/svg}"

PAGES = [
    ("meals:reports", {}),
    ("meals:report_contributions", {}),
    ("meals:report_attendance", {}),
    ("meals:report_volunteers", {}),
    ("meals:report_guests", {}),
    ("meals:report_csv", {"kind": "contributions"}),
    ("meals:report_csv", {"kind": "attendance"}),
    ("meals:report_csv", {"kind": "volunteers"}),
]


def url(name: str, kwargs: dict) -> str:
    return reverse(name, kwargs=kwargs)


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_visitor_is_sent_to_login(client, db, name, kwargs):
    response = client.get(url(name, kwargs))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
@pytest.mark.parametrize("who", ["volunteer", "partner_referent", "outsider"])
def test_only_coordinators_see_reports(client, request, name, kwargs, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(url(name, kwargs)).status_code == 403


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_coordinator_sees_every_report(client, coordinator, name, kwargs):
    client.force_login(coordinator)
    assert client.get(url(name, kwargs), {"year": "2025"}).status_code == 200


def test_reports_accept_get_only(client, coordinator):
    client.force_login(coordinator)
    assert client.post(reverse("meals:reports")).status_code == 405


def test_unknown_csv_kind_is_not_found(client, coordinator):
    client.force_login(coordinator)
    assert client.get(reverse("meals:report_csv", kwargs={"kind": "passwords"})).status_code == 404


@pytest.mark.parametrize("query", [{"month": "2026-13"}, {"month": "novembre"}, {"year": "99999"}, {"year": "abc"}])
def test_bad_period_shows_a_message_and_this_month(client, coordinator, query):
    client.force_login(coordinator)
    response = client.get(reverse("meals:reports"), query)
    assert response.status_code == 200
    assert "pas valide" in response.content.decode()
    today = timezone.localdate()
    assert response.context["period"].month == today.month


def test_bad_period_in_a_csv_is_a_bad_request(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("meals:report_csv", kwargs={"kind": "attendance"}), {"month": "2026-00"})
    assert response.status_code == 400


def test_month_page_links_to_previous_and_next_month_and_the_year(client, coordinator):
    client.force_login(coordinator)
    html = client.get(reverse("meals:reports"), {"month": "2026-01"}).content.decode()
    assert "?month=2025-12" in html
    assert "?month=2026-02" in html
    assert "?year=2026" in html


def test_nav_shows_reports_to_coordinators_only(client, coordinator, volunteer):
    client.force_login(volunteer)
    assert reverse("meals:reports") not in client.get(reverse("members:home")).content.decode()
    client.force_login(coordinator)
    assert reverse("meals:reports") in client.get(reverse("members:home")).content.decode()


# --- Charts ------------------------------------------------------------------------


def test_charts_are_valid_svg_with_a_title_and_a_description(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    response = client.get(reverse("meals:reports"), {"month": "2025-10"})
    charts = [response.context[key] for key in ("covers_chart", "contribution_chart", "hours_chart")]
    for markup in charts:
        svg = ET.fromstring(str(markup))
        assert svg.tag == f"{SVG}svg"
        assert svg.get("role") == "img"
        title, desc = svg.find(f"{SVG}title"), svg.find(f"{SVG}desc")
        assert title is not None and title.text
        assert desc is not None and desc.text
        assert svg.get("aria-labelledby") == f"{title.get('id')} {desc.get('id')}"
        assert "style" not in str(markup)
    covers = ET.fromstring(str(charts[0]))
    assert len(covers.findall(f"{SVG}rect")) == 2  # one bar per meal
    assert "12 couverts servis" in covers.find(f"{SVG}desc").text
    html = response.content.decode()
    assert 'style="' not in html
    # Drawn on the server: the only script is the site's phone menu, no chart library.
    assert re.findall(r'<script src="([^"]*)"', html) == [static("js/menu.js")]


def test_empty_period_still_draws_valid_charts(client, coordinator):
    client.force_login(coordinator)
    response = client.get(reverse("meals:reports"), {"month": "2024-02"})
    for key in ("covers_chart", "contribution_chart", "hours_chart"):
        ET.fromstring(str(response.context[key]))


# --- CSV files for a French Excel ------------------------------------------------


def read_csv(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment;")
    raw = response.content
    assert raw.startswith("\ufeff".encode())  # the BOM
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def test_contributions_csv_parses_back_to_the_rows(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    rows = read_csv(client.get(reverse("meals:report_csv", kwargs={"kind": "contributions"}), {"month": "2025-10"}))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Date", "Repas", "Montant"]
    assert len(body) == 10  # 8 counted + 2 voided; never the cancelled meal's
    assert body[0] == [
        "07/10/2025",
        "Déjeuner partagé 12:30",
        "10,00",
        "Espèces",
        "Claire Morel",
        "07/10/2025 12:30",
        "non",
        "",
        "",
    ]
    voided = [row for row in body if row[6] == "oui"]
    assert [(row[2], row[8]) for row in voided] == [("20,00", "Erreur de saisie"), ("7,00", "Doublon")]
    counted = sum(Decimal(row[2].replace(",", ".")) for row in body if row[6] == "non")
    assert counted == Decimal("45.00")


def test_attendance_csv_has_one_row_per_held_meal(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    rows = read_csv(client.get(reverse("meals:report_csv", kwargs={"kind": "attendance"}), {"month": "2025-10"}))
    assert rows[0][:7] == [
        "Date",
        "Repas",
        "Places",
        "Nombre de réservations",
        "Couverts servis (personnes)",
        "Dont personnes sans réservation",
        "Réservations non honorées",
    ]
    assert rows[1:] == [
        ["07/10/2025", "Déjeuner partagé 12:30", "10", "3", "5", "2", "1", "23,50", "4", "9,00", "50", "40"],
        ["14/10/2025", "Déjeuner partagé 12:30", "10", "5", "7", "1", "1", "21,50", "4", "12,00", "80", "60"],
    ]


def test_volunteers_csv_has_hours_per_person_with_decimal_comma(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    rows = read_csv(client.get(reverse("meals:report_csv", kwargs={"kind": "volunteers"}), {"month": "2025-10"}))
    assert rows[0] == [
        "Personne",
        "Créneaux",
        "Heures",
        "Heures : Cuisine",
        "Heures : Mise de table",
        "Heures : Vaisselle",
        "Heures : Accueil",
        "Bénévole",
    ]
    assert rows[1:] == [
        ["Alice Aubert", "1", "2,50", "2,50", "0,00", "0,00", "0,00", "oui"],
        ["Bob Bernard", "1", "1,00", "0,00", "0,00", "1,00", "0,00", "oui"],
        ["Karim Benali", "2", "3,00", "2,50", "0,50", "0,00", "0,00", "oui"],
    ]


def test_erased_volunteer_stays_in_the_hours_without_a_name(client, coordinator, make_meal):
    meal = make_meal(day=date(2025, 3, 4))
    erased = Member.objects.create(name="", erased_at=timezone.now())
    ShiftSignup.objects.create(
        shift=meal.shifts.get(role=Shift.Role.DISHES), member=erased, attended=ShiftSignup.Attendance.CAME
    )
    client.force_login(coordinator)
    rows = read_csv(client.get(reverse("meals:report_csv", kwargs={"kind": "volunteers"}), {"month": "2025-03"}))
    assert rows[1][:3] == [f"Personne effacée n° {erased.pk}", "1", "1,00"]


# --- The rows behind the figures -------------------------------------------------


def test_contributions_list_marks_voided_ones_and_filters_by_method(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    page = client.get(reverse("meals:report_contributions"), {"month": "2025-10"})
    assert len(page.context["page"].object_list) == 10
    assert page.context["totals"]["total"] == Decimal("45.00")
    html = page.content.decode()
    assert html.count("report-voided-row") == 2
    card = client.get(reverse("meals:report_contributions"), {"month": "2025-10", "method": "card"})
    assert card.context["totals"]["total"] == Decimal("17.50")
    assert len(card.context["page"].object_list) == 3  # 2 counted and 1 voided


def test_unknown_method_shows_everything_with_a_message(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    page = client.get(reverse("meals:report_contributions"), {"month": "2025-10", "method": "bitcoin"})
    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 10
    assert "existe pas" in page.content.decode()


def test_attendance_list_has_the_held_meals_only(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    page = client.get(reverse("meals:report_attendance"), {"month": "2025-10"})
    assert [meal.covers for meal in page.context["page"]] == [5, 7]


def test_guests_list_filters_first_timers_and_returning(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    every = client.get(reverse("meals:report_guests"), {"month": "2025-10"})
    first = client.get(reverse("meals:report_guests"), {"month": "2025-10", "show": "first"})
    returning = client.get(reverse("meals:report_guests"), {"month": "2025-10", "show": "returning"})
    assert every.context["page"].paginator.count == 5
    assert first.context["page"].paginator.count == 4
    assert {m.name for m in returning.context["page"]} == {"Alice Aubert", "Bob Bernard"}
    assert "Personne effacée n°" in every.content.decode()


def test_guests_list_shows_the_people_each_partner_brought(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    report = client.get(reverse("meals:reports"), {"month": "2025-10"})
    partner = october["partner"]
    assert f"partner={partner.pk}" in report.content.decode()
    amis = client.get(reverse("meals:report_guests"), {"month": "2025-10", "partner": partner.pk})
    voisins = client.get(reverse("meals:report_guests"), {"month": "2025-10", "partner": october["other_partner"].pk})
    assert [m.name for m in amis.context["page"]] == ["Dan Durand"]
    assert [m.name for m in voisins.context["page"]] == ["Eve Estève"]
    assert voisins.context["page"][0].visits_in_period == 1


def test_volunteers_list_sums_hours_per_person(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    page = client.get(reverse("meals:report_volunteers"), {"month": "2025-10"})
    assert [(row["person"], row["hours"]) for row in page.context["page"]] == [
        ("Alice Aubert", "2,50"),
        ("Bob Bernard", "1,00"),
        ("Karim Benali", "3,00"),
    ]


def test_guests_who_became_helpers_figure_opens_their_rows(client, coordinator, october):  # noqa: F811
    client.force_login(coordinator)
    report = client.get(reverse("meals:reports"), {"month": "2025-10"})
    assert report.context["f"]["guests_who_helped"] == 1
    assert "month=2025-10&amp;show=guests" in report.content.decode()
    rows = client.get(reverse("meals:report_volunteers"), {"month": "2025-10", "show": "guests"})
    # Alice ate on 30 September, then cooked in October; Bob washed up at the very meal he ate (not counted).
    assert [row["person"] for row in rows.context["page"]] == ["Alice Aubert"]
    assert "Convives devenus bénévoles" in rows.content.decode()


# --- Query counts: the same for 3 meals and for a busy year -----------------------


def fill(make_meal, days: list[date], *, guests: int, coordinator) -> None:
    """Meals on ``days`` with checked-in guests, a walk-in, a no-show, contributions and signups."""
    people = Member.objects.bulk_create([Member(name=f"Convive {i}") for i in range(guests)])
    bookings, contributions, signups = [], [], []
    for day in days:
        meal = make_meal(day=day, capacity=guests + 5)
        for index, person in enumerate(people):
            bookings.append(
                Booking(
                    meal=meal,
                    member=person,
                    name=person.name,
                    party_size=1 + index % 2,
                    checked_in_at=None if index == 0 else meal.starts_at,
                )
            )
            contributions.append(
                Contribution(
                    meal=meal,
                    amount=Decimal("5.50"),
                    method=PaymentMethod.CASH,
                    recorded_by=coordinator,
                    recorded_at=meal.starts_at,
                    voided_at=meal.starts_at if index == 1 else None,
                    void_reason="Erreur" if index == 1 else "",
                )
            )
        bookings.append(Booking(meal=meal, party_size=2, is_walk_in=True, checked_in_at=meal.starts_at))
        for shift in meal.shifts.all():
            signups.extend(
                ShiftSignup(shift=shift, member=person, attended=ShiftSignup.Attendance.CAME) for person in people[:2]
            )
    Booking.objects.bulk_create(bookings)
    Contribution.objects.bulk_create(contributions)
    ShiftSignup.objects.bulk_create(signups)


@pytest.fixture
def small_month(make_meal, coordinator):
    fill(make_meal, [date(2024, 3, 5), date(2024, 3, 12), date(2024, 3, 19)], guests=3, coordinator=coordinator)


@pytest.fixture
def busy_year(make_meal, coordinator):
    days = [date(2023, 1, 3) + timedelta(days=7 * week) for week in range(30)]
    fill(make_meal, days, guests=12, coordinator=coordinator)


LIST_PAGES = [
    ("meals:report_contributions", {}),
    ("meals:report_attendance", {}),
    ("meals:report_volunteers", {}),
    ("meals:report_guests", {}),
    ("meals:report_csv", {"kind": "contributions"}),
    ("meals:report_csv", {"kind": "attendance"}),
    ("meals:report_csv", {"kind": "volunteers"}),
]


def count_queries(client, django_assert_num_queries, path: str, query: dict, expected: int) -> None:
    with django_assert_num_queries(expected):
        assert client.get(path, query).status_code == 200


# Session, change counters, user, permissions, the cantine's settings (first request), then 14 figures.
REPORT_QUERIES = 19


def test_report_queries_are_the_same_for_a_small_month_and_a_busy_year(
    client, coordinator, small_month, busy_year, django_assert_num_queries
):
    client.force_login(coordinator)
    path = reverse("meals:reports")
    count_queries(client, django_assert_num_queries, path, {"month": "2024-03"}, REPORT_QUERIES)
    count_queries(client, django_assert_num_queries, path, {"year": "2023"}, REPORT_QUERIES)
    year = client.get(path, {"year": "2023"}).context["f"]
    assert year["meal_count"] == 30
    assert year["contributions_count"] == 30 * 11


@pytest.mark.parametrize(("name", "kwargs"), LIST_PAGES)
def test_lists_and_files_have_flat_query_counts(
    client, coordinator, small_month, busy_year, django_assert_num_queries, name, kwargs
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(coordinator)
    path = reverse(name, kwargs=kwargs)
    client.get(path, {"month": "2024-03"})  # keeps the session and the cantine's settings, as the counts below
    with CaptureQueriesContext(connection) as small:
        client.get(path, {"month": "2024-03"})
    count_queries(client, django_assert_num_queries, path, {"year": "2023"}, len(small.captured_queries))
    count_queries(client, django_assert_num_queries, path, {"year": "2023", "page": "2"}, len(small.captured_queries))


def test_planned_meals_list_has_a_flat_query_count(client, coordinator, make_meal, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fill(make_meal, [date(2099, 3, 3), date(2099, 3, 10), date(2099, 3, 17)], guests=3, coordinator=coordinator)
    fill(
        make_meal,
        [date(2098, 1, 6) + timedelta(days=7 * week) for week in range(30)],
        guests=8,
        coordinator=coordinator,
    )
    client.force_login(coordinator)
    path = reverse("meals:report_attendance")
    client.get(path)  # keeps the session and the cantine's settings, as the count below
    with CaptureQueriesContext(connection) as small:
        few = client.get(path, {"month": "2099-03", "show": "planned"})
    assert len(few.context["page"].object_list) == 3
    count_queries(client, django_assert_num_queries, path, {"year": "2098", "show": "planned"}, len(small))
    many = client.get(path, {"year": "2098", "show": "planned"})
    assert many.context["page"].paginator.count == 30
    assert many.context["page"][0].booked_people == 8 + 4  # 1 + 2 + 1 + 2 … for 8 guests
