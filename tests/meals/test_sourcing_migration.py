"""Migrations meals 0016 and members 0008 keep the meals' typed cost price and shares, and the change counters."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from cantine.changes import TABLE
from meals import sourcing
from meals.models import Meal, Supplier

BEFORE = [("meals", "0012_outbox"), ("members", "0006_sms_opt_out")]


def _counters() -> dict:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT name, value FROM {TABLE}")  # noqa: S608 - a constant
        return dict(cursor.fetchall())


@pytest.mark.django_db(transaction=True)
def test_the_sourcing_migrations_keep_typed_figures_and_the_meal_triggers():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old_apps = executor.loader.project_state(BEFORE).apps
    OldMeal = old_apps.get_model("meals", "Meal")
    start = timezone.make_aware(datetime(2025, 10, 7, 12, 30))
    pk = OldMeal.objects.create(
        title="Déjeuner",
        cooking_starts_at=start - timedelta(hours=3),
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        booking_opens_at=start - timedelta(days=20),
        booking_closes_at=start - timedelta(hours=2),
        cost_price=Decimal("11.50"),
        organic_share=70,
        local_share=40,
    ).pk

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    meal = Meal.objects.get(pk=pk)
    assert (meal.cost_price, meal.organic_share, meal.local_share) == (Decimal("11.50"), 70, 40)
    assert (meal.cost_price_overridden, meal.cost_price_note) == (False, "")
    cost = sourcing.meal_cost(meal)
    assert (cost.cost_price, cost.organic_share, cost.local_share, cost.computed) == (Decimal("11.50"), 70, 40, False)
    # SQLite rebuilt the meals' table: its triggers are back, and the new tables count too.
    before = _counters()["meals"]
    Meal.objects.filter(pk=pk).update(capacity=41)
    after_meal = _counters()["meals"]
    assert after_meal > before
    Supplier.objects.create(name="Ferme")
    assert _counters()["meals"] > after_meal
