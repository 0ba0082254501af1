"""The demo's hygiene logbook (``seed_demo``): two cold units, a cleaning plan, the last few days' readings
(one out of range, with its action), a delivery and this morning's briefing. Through the services, as the
kitchen would write them."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from hygiene import services
from hygiene.models import CleaningTask, ColdUnit

TASKS = [
    ("Cuisine", "Plans de travail et planches", CleaningTask.Frequency.DAILY),
    ("Cuisine", "Sols", CleaningTask.Frequency.DAILY),
    ("Cuisine", "Intérieur des frigos", CleaningTask.Frequency.WEEKLY),
    ("Salle", "Tables et chaises", CleaningTask.Frequency.DAILY),
]


def seed_hygiene(*, by, team) -> None:
    """``by`` signs the entries (a login), ``team`` (members) attended the briefing."""
    fridge = services.cold_unit_create(name="Frigo de la cuisine", kind=ColdUnit.Kind.FRIDGE)
    freezer = services.cold_unit_create(name="Congélateur", kind=ColdUnit.Kind.FREEZER)
    tasks = [CleaningTask.objects.create(area=area, name=name, frequency=often) for area, name, often in TASKS]
    today = timezone.localdate()
    zone = timezone.get_current_timezone()
    for back in range(3, -1, -1):
        day = today - timedelta(days=back)
        morning = datetime.combine(day, time(9, 30), tzinfo=zone)
        warm = back == 2  # one morning the fridge door stayed ajar
        services.reading_record(
            unit=fridge,
            temperature=Decimal("6.5") if warm else Decimal("3.0"),
            taken_at=morning,
            corrective_action="Porte mal fermée : refermée, produits sensibles vérifiés (3 °C à 11 h)." if warm else "",
            by=by,
        )
        services.reading_record(unit=freezer, temperature=Decimal("-19"), taken_at=morning, by=by)
        services.cleaning_checks_record(tasks=[task for task in tasks if task.frequency == "daily"], day=day, by=by)
    services.delivery_record(
        received_on=today,
        supplier_name="Ferme des Trois Chênes",
        product="Crème fraîche",
        lot="L26-338",
        use_by=today + timedelta(days=12),
        storage="chilled",
        temperature=Decimal("3.5"),
        by=by,
    )
    team = list(team)
    if team:
        services.briefing_record(day=today, given_by=team[0], attendees=team, by=by)
