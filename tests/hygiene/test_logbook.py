"""The hygiene logbook (issue 18): limits and corrective actions, cooling's rule, corrections, never deleted."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from hygiene import services
from hygiene.models import (
    Briefing,
    CleaningCheck,
    CleaningTask,
    ColdUnit,
    Cooling,
    Delivery,
    NeverDeleted,
    TemperatureReading,
)
from meals.idempotency import new_key
from members.models import Member

pytestmark = pytest.mark.django_db


@pytest.fixture
def fridge():
    return services.cold_unit_create(name="Frigo de la cuisine", kind=ColdUnit.Kind.FRIDGE)


@pytest.fixture
def freezer():
    return services.cold_unit_create(name="Congélateur", kind=ColdUnit.Kind.FREEZER)


@pytest.fixture
def kitchen(client, volunteer):
    client.force_login(volunteer)
    return client


def _now():
    return timezone.localtime().replace(second=0, microsecond=0)


def _reading_post(unit, temperature: str, action: str = "", **extra) -> dict:
    return {
        "unit": unit.pk,
        "temperature": temperature,
        "taken_at": _now().strftime("%Y-%m-%dT%H:%M"),
        "corrective_action": action,
        **extra,
    }


# Temperatures ---------------------------------------------------------------------------------


def test_the_logbook_refuses_an_out_of_range_temperature_without_a_corrective_action(kitchen, fridge):
    response = kitchen.post(reverse("hygiene:record_reading"), _reading_post(fridge, "7,5"))

    assert response.status_code == 400
    page = response.content.decode()
    assert "hors des limites de « Frigo de la cuisine »" in page
    assert "action corrective" in page
    assert TemperatureReading.objects.count() == 0


def test_the_service_refuses_an_out_of_range_temperature_without_a_corrective_action(fridge, volunteer):
    with pytest.raises(services.ActionRequired):
        services.reading_record(unit=fridge, temperature=Decimal("7.5"), taken_at=timezone.now(), by=volunteer)
    assert TemperatureReading.objects.count() == 0


def test_the_database_refuses_an_out_of_range_reading_without_an_action(fridge, volunteer):
    with pytest.raises(IntegrityError), transaction.atomic():
        TemperatureReading.objects.create(
            unit=fridge, temperature=Decimal("9"), taken_at=timezone.now(), min_c=0, max_c=4, recorded_by=volunteer
        )


def test_the_message_is_in_english_for_an_english_visitor(fridge, volunteer):
    with translation.override("en"), pytest.raises(services.ActionRequired) as refused:
        services.reading_record(unit=fridge, temperature=Decimal("7.5"), taken_at=timezone.now(), by=volunteer)
    assert "outside the limits" in str(refused.value)


def test_an_in_range_temperature_is_recorded_and_signed(kitchen, fridge, volunteer):
    response = kitchen.post(reverse("hygiene:record_reading"), _reading_post(fridge, "3,5"))

    assert response.status_code == 302
    reading = TemperatureReading.objects.get()
    assert reading.temperature == Decimal("3.5")
    assert (reading.min_c, reading.max_c) == (Decimal("0"), Decimal("4"))
    assert reading.recorded_by == volunteer
    assert not reading.out_of_range
    page = kitchen.get(reverse("hygiene:today")).content.decode()
    assert "signé Karim Benali" in page


def test_an_out_of_range_temperature_with_its_action_is_recorded_and_highlighted(kitchen, fridge):
    response = kitchen.post(
        reverse("hygiene:record_reading"), _reading_post(fridge, "6", "Porte mal fermée : refermée, produits vérifiés")
    )

    assert response.status_code == 302
    assert TemperatureReading.objects.get().out_of_range
    page = kitchen.get(reverse("hygiene:today")).content.decode()
    assert "Hors limites" in page and "⚠" in page


@pytest.mark.parametrize(
    ("temperature", "needs_action"),
    [("-18", False), ("-25", False), ("-17,5", True), ("-15", True), ("2", True)],
)
def test_a_freezer_holds_minus_18_or_colder(freezer, volunteer, temperature, needs_action):
    value = Decimal(temperature.replace(",", "."))
    assert freezer.min_c is None and freezer.max_c == Decimal("-18")
    if needs_action:
        with pytest.raises(services.ActionRequired):
            services.reading_record(unit=freezer, temperature=value, taken_at=timezone.now(), by=volunteer)
        assert not TemperatureReading.objects.exists()
    else:
        services.reading_record(unit=freezer, temperature=value, taken_at=timezone.now(), by=volunteer)
        assert TemperatureReading.objects.count() == 1


def test_a_fridge_may_have_its_own_limits(volunteer):
    cellar = services.cold_unit_create(name="Chambre froide", kind="fridge", min_c=Decimal("2"), max_c=Decimal("6"))
    services.reading_record(unit=cellar, temperature=Decimal("5.5"), taken_at=timezone.now(), by=volunteer)
    with pytest.raises(services.ActionRequired):
        services.reading_record(unit=cellar, temperature=Decimal("1"), taken_at=timezone.now(), by=volunteer)


@pytest.mark.parametrize("moment", ["2099-06-01T08:00", "2101-01-01T08:00", "0001-01-01T00:00"])
def test_a_reading_far_from_today_is_refused(kitchen, fridge, moment):
    response = kitchen.post(reverse("hygiene:record_reading"), _reading_post(fridge, "3", taken_at=moment))

    assert response.status_code == 400
    assert TemperatureReading.objects.count() == 0


@pytest.mark.parametrize("typed", ["abc", "1e3", "999", "3,55", "NaN"])
def test_a_temperature_that_is_not_one_is_refused(kitchen, fridge, typed):
    response = kitchen.post(reverse("hygiene:record_reading"), _reading_post(fridge, typed))

    assert response.status_code == 400
    assert TemperatureReading.objects.count() == 0


def test_a_double_tap_records_one_reading(kitchen, fridge):
    values = _reading_post(fridge, "3", form_key=new_key())
    kitchen.post(reverse("hygiene:record_reading"), values)
    kitchen.post(reverse("hygiene:record_reading"), values)

    assert TemperatureReading.objects.count() == 1


# Cooling -------------------------------------------------------------------------------------


def _cooling(volunteer, *, start_c="70", end_c="8", minutes=90, action=""):
    ended = timezone.now()
    return services.cooling_record(
        dish="Blanquette",
        started_at=ended - timedelta(minutes=minutes),
        start_c=Decimal(start_c),
        ended_at=ended,
        end_c=Decimal(end_c),
        corrective_action=action,
        by=volunteer,
    )


def test_a_cooling_from_63_to_below_10_within_two_hours_keeps_the_rule(volunteer):
    cooling = _cooling(volunteer, start_c="63", end_c="9.9", minutes=120)
    assert not cooling.out_of_rule


@pytest.mark.parametrize(
    ("start_c", "end_c", "minutes"), [("70", "8", 121), ("60", "8", 60), ("70", "10", 60), ("70", "12", 150)]
)
def test_a_cooling_that_misses_the_rule_needs_an_action(volunteer, start_c, end_c, minutes):
    with pytest.raises(services.ActionRequired):
        _cooling(volunteer, start_c=start_c, end_c=end_c, minutes=minutes)
    assert not Cooling.objects.exists()
    cooling = _cooling(volunteer, start_c=start_c, end_c=end_c, minutes=minutes, action="Plat jeté")
    assert cooling.out_of_rule


def test_a_cooling_that_ends_before_it_starts_is_refused(volunteer):
    with pytest.raises(services.BadTimes):
        _cooling(volunteer, minutes=-5)


def test_the_cooling_form_shows_the_rule_s_message(kitchen):
    ended = _now()
    response = kitchen.post(
        reverse("hygiene:record_cooling"),
        {
            "dish": "Soupe",
            "started_at": (ended - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "start_c": "75",
            "ended_at": ended.strftime("%Y-%m-%dT%H:%M"),
            "end_c": "8",
        },
    )
    assert response.status_code == 400
    assert "Refroidissement hors de la règle" in response.content.decode()
    assert not Cooling.objects.exists()


# Deliveries ----------------------------------------------------------------------------------


def test_a_chilled_delivery_needs_its_temperature_and_a_warm_one_an_action(volunteer):
    common = {"received_on": timezone.localdate(), "supplier_name": "Ferme", "product": "Yaourts", "by": volunteer}
    with pytest.raises(services.HygieneError):
        services.delivery_record(storage="chilled", **common)
    with pytest.raises(services.ActionRequired):
        services.delivery_record(storage="chilled", temperature=Decimal("7"), **common)
    with pytest.raises(services.ActionRequired):
        services.delivery_record(storage="ambient", accepted=False, **common)
    assert not Delivery.objects.exists()
    refused = services.delivery_record(
        storage="chilled", temperature=Decimal("7"), accepted=False, corrective_action="Refusée : 7 °C", **common
    )
    assert refused.limit_c == Decimal("4") and refused.out_of_rule


def test_a_delivery_may_name_its_purchase_line(kitchen, coordinator):
    from meals.models import Purchase, PurchaseLine, Supplier

    supplier = Supplier.objects.create(name="Ferme des Trois Chênes")
    purchase = Purchase.objects.create(date=timezone.localdate(), supplier=supplier, created_by=coordinator)
    line = PurchaseLine.objects.create(purchase=purchase, product="Crème", amount="5.00")
    response = kitchen.post(
        reverse("hygiene:record_delivery"),
        {
            "received_on": timezone.localdate().isoformat(),
            "supplier": supplier.pk,
            "product": "Crème fraîche",
            "lot": "L2612",
            "use_by": (timezone.localdate() + timedelta(days=10)).isoformat(),
            "storage": "chilled",
            "temperature": "3",
            "purchase_line": line.pk,
        },
    )
    assert response.status_code == 302
    delivery = Delivery.objects.get()
    assert (delivery.supplier, delivery.purchase_line, delivery.accepted) == (supplier, line, True)


# Cleaning and briefing --------------------------------------------------------------------------


def test_a_task_ticked_twice_on_a_day_stays_one_line(volunteer):
    task = CleaningTask.objects.create(area="Cuisine", name="Plans de travail")
    today = timezone.localdate()
    services.cleaning_checks_record(tasks=[task], day=today, by=volunteer)
    services.cleaning_checks_record(tasks=[task], day=today, by=volunteer)
    assert CleaningCheck.objects.count() == 1


def test_a_briefing_records_who_attended(volunteer, coordinator):
    cook = Member.objects.get(user=volunteer)
    chef = Member.objects.get(user=coordinator)
    briefing = services.briefing_record(day=timezone.localdate(), given_by=chef, attendees=[cook, chef], by=coordinator)
    assert set(briefing.attendees.all()) == {cook, chef}
    assert list(cook.briefings_attended.all()) == [briefing]


def test_attending_the_briefing_meets_the_hygiene_prerequisite_and_nothing_else(newcomer, coordinator):
    from meals.readiness import met_by

    cook = Member.objects.get(user=newcomer)
    chef = Member.objects.get(user=coordinator)
    assert "hygiene" not in met_by(cook)
    services.briefing_record(day=timezone.localdate(), given_by=chef, attendees=[cook], by=coordinator)
    assert met_by(cook) == {"hygiene"}  # not the charter, not the trial shift
    met = cook.prerequisites.get(kind="hygiene")
    assert met.recorded_by == coordinator and "Briefing d'hygiène du" in met.note


def test_the_briefing_form_lists_the_kitchen_team(kitchen, volunteer, coordinator):
    cook = Member.objects.get(user=volunteer)
    response = kitchen.post(
        reverse("hygiene:record_briefing"),
        {"day": timezone.localdate().isoformat(), "given_by": cook.pk, "attendees": [cook.pk]},
    )
    assert response.status_code == 302
    assert Briefing.objects.get().given_by == cook


# Never deleted, corrected with a reason ---------------------------------------------------------


def test_an_entry_is_never_deleted(fridge, volunteer):
    reading = services.reading_record(unit=fridge, temperature=Decimal("3"), taken_at=timezone.now(), by=volunteer)
    with pytest.raises(NeverDeleted):
        reading.delete()
    with pytest.raises(NeverDeleted):
        TemperatureReading.objects.all().delete()
    assert TemperatureReading.objects.count() == 1


def test_the_admin_offers_no_delete_nor_edit_of_an_entry(admin_client, fridge, volunteer):
    reading = services.reading_record(unit=fridge, temperature=Decimal("3"), taken_at=timezone.now(), by=volunteer)
    delete = reverse("admin:hygiene_temperaturereading_delete", args=[reading.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert TemperatureReading.objects.count() == 1


def test_a_correction_keeps_both_lines_and_the_month_shows_both(kitchen, fridge, volunteer):
    wrong = services.reading_record(unit=fridge, temperature=Decimal("2"), taken_at=timezone.now(), by=volunteer)
    url = reverse("hygiene:correct", args=["releve", wrong.pk])
    assert kitchen.get(url).status_code == 200

    response = kitchen.post(url, _reading_post(fridge, "3,5", correction_reason="Lu sur le mauvais thermomètre"))

    assert response.status_code == 302
    assert TemperatureReading.objects.count() == 2
    fixed = TemperatureReading.objects.get(corrects=wrong)
    assert fixed.temperature == Decimal("3.5") and fixed.correction_reason == "Lu sur le mauvais thermomètre"
    today = timezone.localdate()
    page = kitchen.get(reverse("hygiene:month", args=[today.year, today.month])).content.decode()
    assert "2\u00a0°C" in page and "3,5\u00a0°C" in page
    assert page.count('class="entry-is-corrected"') == 1
    assert "Lu sur le mauvais thermomètre" in page


def test_a_correction_needs_a_reason_and_happens_once(kitchen, fridge, volunteer):
    wrong = services.reading_record(unit=fridge, temperature=Decimal("2"), taken_at=timezone.now(), by=volunteer)
    url = reverse("hygiene:correct", args=["releve", wrong.pk])

    assert kitchen.post(url, _reading_post(fridge, "3")).status_code == 400
    assert TemperatureReading.objects.count() == 1
    kitchen.post(url, _reading_post(fridge, "3", correction_reason="Erreur de frappe"))
    with pytest.raises(services.AlreadyCorrected):
        services.reading_record(
            unit=fridge,
            temperature=Decimal("1"),
            taken_at=timezone.now(),
            by=volunteer,
            corrects=wrong,
            reason="Encore",
        )
    assert TemperatureReading.objects.count() == 2


def test_each_kind_of_entry_can_be_corrected(kitchen, fridge, volunteer, coordinator):
    today = timezone.localdate()
    cook = Member.objects.get(user=volunteer)
    task = CleaningTask.objects.create(area="Salle", name="Tables")
    [check] = services.cleaning_checks_record(tasks=[task], day=today, by=volunteer)
    briefing = services.briefing_record(day=today, given_by=cook, attendees=[cook], by=volunteer)
    delivery = services.delivery_record(
        received_on=today,
        supplier_name="Ferme",
        product="Lait",
        storage="chilled",
        temperature=Decimal("3"),
        by=volunteer,
    )
    cooling = _cooling(volunteer)
    for kind, entry in [
        ("nettoyage", check),
        ("consignes", briefing),
        ("livraison", delivery),
        ("refroidissement", cooling),
    ]:
        url = reverse("hygiene:correct", args=[kind, entry.pk])
        form = kitchen.get(url)
        assert form.status_code == 200, kind
        values = {
            **{k: v for k, v in form.context["form"].initial.items() if v is not None},
            "correction_reason": "Oubli",
        }
        if kind == "refroidissement":
            values.update(
                started_at=values["started_at"].strftime("%Y-%m-%dT%H:%M"),
                ended_at=values["ended_at"].strftime("%Y-%m-%dT%H:%M"),
            )
        response = kitchen.post(url, values)
        assert response.status_code == 302, (kind, response.content.decode()[:3000])
        assert type(entry).objects.filter(corrects=entry).exists(), kind


# The month's logbook ----------------------------------------------------------------------------


def _fill_days(volunteer, fridge, task, count: int, first: date) -> None:
    cook = Member.objects.get(user=volunteer)
    for n in range(count):
        day = first + timedelta(days=n)
        moment = timezone.make_aware(timezone.datetime.combine(day, timezone.datetime.min.time())) + timedelta(hours=9)
        services.reading_record(unit=fridge, temperature=Decimal("3"), taken_at=moment, by=volunteer)
        services.cleaning_checks_record(tasks=[task], day=day, by=volunteer)
        services.briefing_record(day=day, given_by=cook, attendees=[cook], by=volunteer)
        services.delivery_record(
            received_on=day,
            supplier_name="Ferme",
            product="Lait",
            storage="chilled",
            temperature=Decimal("2"),
            by=volunteer,
        )
        services.cooling_record(
            dish="Soupe",
            started_at=moment,
            start_c=Decimal("70"),
            ended_at=moment + timedelta(minutes=80),
            end_c=Decimal("8"),
            by=volunteer,
        )


def test_the_month_s_queries_do_not_grow_with_its_entries(client, coordinator, volunteer, fridge):
    task = CleaningTask.objects.create(area="Cuisine", name="Sols")
    client.force_login(coordinator)
    _fill_days(volunteer, fridge, task, 1, date(2026, 3, 1))
    _fill_days(volunteer, fridge, task, 30, date(2026, 4, 1))
    one, thirty = reverse("hygiene:month", args=[2026, 3]), reverse("hygiene:month", args=[2026, 4])
    client.get(one)  # the session, the cantine's settings: read once
    with CaptureQueriesContext(connection) as few:
        assert client.get(one).status_code == 200
    with CaptureQueriesContext(connection) as many:
        response = client.get(thirty)
    assert response.status_code == 200
    assert response.content.decode().count("Karim Benali") >= 30 * 5
    assert len(many.captured_queries) == len(few.captured_queries)


@pytest.mark.parametrize(("year", "month"), [(1999, 12), (2101, 1), (2026, 13), (2026, 0), (10**20, 1)])
def test_a_month_out_of_bounds_is_not_found(kitchen, year, month):
    assert kitchen.get(f"/hygiene/{year}/{month}/").status_code == 404


def test_partner_referents_and_visitors_never_see_the_logbook(partner_referent):
    today = timezone.localdate()
    month = reverse("hygiene:month", args=[today.year, today.month])
    referent = Client()
    referent.force_login(partner_referent)
    assert referent.get(reverse("hygiene:today")).status_code == 403
    assert referent.get(month).status_code == 403
    assert Client().get(month).status_code == 302


@pytest.mark.parametrize("value", ["99999999999999999999999", "-1", "abc", "²"])
def test_a_ticked_box_that_is_no_row_is_refused_without_an_error(kitchen, volunteer, value):
    cook = Member.objects.get(user=volunteer)
    response = kitchen.post(
        reverse("hygiene:record_briefing"),
        {"day": timezone.localdate().isoformat(), "given_by": cook.pk, "attendees": [value]},
    )
    assert response.status_code == 400
    assert not Briefing.objects.exists()


def test_merging_two_records_of_one_person_keeps_their_briefings(volunteer, coordinator):
    from members.services import member_merge

    chef = Member.objects.get(user=coordinator)
    twin = Member.objects.create(name="Karim B.", phone="0611223344")
    cook = Member.objects.get(user=volunteer)
    both = services.briefing_record(day=timezone.localdate(), given_by=twin, attendees=[twin, cook], by=coordinator)
    alone = services.briefing_record(day=timezone.localdate(), given_by=chef, attendees=[twin], by=coordinator)

    member_merge(keep=cook, drop=twin)

    assert Briefing.objects.get(pk=both.pk).given_by == cook
    assert list(Briefing.objects.get(pk=both.pk).attendees.all()) == [cook]
    assert list(Briefing.objects.get(pk=alone.pk).attendees.all()) == [cook]


def test_a_unit_out_of_service_leaves_the_kitchens_form_and_a_double_tap_keeps_it_out(
    client, coordinator, fridge, freezer
):
    client.force_login(coordinator)
    url = reverse("hygiene:unit_toggle", args=[fridge.pk])
    tap = {"active": "0", "form_key": new_key()}
    assert client.post(url, tap).status_code == 302
    fridge.refresh_from_db()
    assert not fridge.active
    assert client.post(url, tap).status_code == 302  # the same tap again: set, not flipped
    fridge.refresh_from_db()
    assert not fridge.active
    today = client.get(reverse("hygiene:today")).content.decode()
    assert f'name="unit" value="{freezer.pk}"' in today and f'name="unit" value="{fridge.pk}"' not in today
    assert "hors service" in client.get(reverse("hygiene:units")).content.decode()
    # A task paused the same way; back with « Reprendre ».
    task = CleaningTask.objects.create(area="Cuisine", name="Plan de travail", frequency="daily")
    toggle = reverse("hygiene:task_toggle", args=[task.pk])
    client.post(toggle, {"active": "0", "form_key": new_key()})
    task.refresh_from_db()
    assert not task.active
    client.post(toggle, {"active": "1", "form_key": new_key()})
    task.refresh_from_db()
    assert task.active


def test_a_members_data_export_lists_the_briefings_they_gave_or_attended(client, volunteer, coordinator):
    cook = Member.objects.get(user=volunteer)
    chef = Member.objects.get(user=coordinator)
    day = timezone.localdate()
    services.briefing_record(day=day - timedelta(days=1), given_by=chef, attendees=[cook], by=coordinator)
    services.briefing_record(day=day, given_by=cook, attendees=[cook, chef], by=coordinator)
    client.force_login(coordinator)
    data = client.get(reverse("members:member_export", args=[cook.pk])).json()
    assert data["hygiene_briefings"] == [
        {"day": (day - timedelta(days=1)).isoformat(), "gave_it": False},
        {"day": day.isoformat(), "gave_it": True},
    ]
