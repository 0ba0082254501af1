"""Migration meals 0013 (issue 16): contributions recorded before it are meal contributions, with no giver."""

from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("meals", "0012_outbox"), ("members", "0006_sms_opt_out")]
AFTER = [("meals", "0013_money_kinds"), ("members", "0007_receipt_settings")]


@pytest.mark.django_db(transaction=True)
def test_existing_contributions_become_meal_contributions(make_meal):
    meal = make_meal()
    executor = MigrationExecutor(connection)
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        Old = old.get_model("meals", "Contribution")
        Old.objects.create(meal_id=meal.pk, amount=Decimal("5.50"), method="cash")
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(AFTER)
    finally:
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(executor.loader.graph.leaf_nodes())
    from meals.models import Contribution

    row = Contribution.objects.get()
    assert (row.kind, row.giver_id, row.amount) == ("meal", None, Decimal("5.50"))
