"""Migrations meals 0014 and members 0008 keep the meals' typed cost price and shares; purchases refresh kept pages."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from meals import cache, sourcing
from meals.models import Meal, Supplier

BEFORE = [("meals", "0012_outbox"), ("members", "0006_sms_opt_out")]


@pytest.mark.django_db(transaction=True)
def test_the_sourcing_migrations_keep_typed_figures_and_purchases_refresh_the_meal_pages():
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
    # A new supplier (like any purchase row) forgets the meals' generation: kept meal pages are rebuilt.
    cache.kept_value("probe", kinds=("meals",), build=lambda: 1)  # a reader starts the generation
    assert cache.generation("meals") is not None
    Supplier.objects.create(name="Ferme")
    assert cache.generation("meals") is None
