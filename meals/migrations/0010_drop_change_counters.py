"""Drop the change counters and their triggers (meals 0005, members 0005).

Kept pages and the cantine's settings now follow generations in Django's
cache, changed when the models are saved or deleted (meals/cache.py): no
trigger, no counter table. The default cache's table (migration 0002) stays:
it holds the generations, the kept fragments and the sessions.

It comes before every later migration, so none of them has to put back the
triggers SQLite loses when it rebuilds a table to add a column.
"""

from importlib import import_module

from django.db import migrations

counters = import_module("meals.migrations.0005_change_counters")
settings_triggers = import_module("members.migrations.0005_cantine_settings")


def drop(apps, schema_editor):
    settings_triggers.drop_triggers(apps, schema_editor)
    counters.drop(apps, schema_editor)


def create(apps, schema_editor):
    # Backwards, the counters come back as meals 0005 and members 0005 made them.
    counters.create(apps, schema_editor)
    settings_triggers.create_triggers(apps, schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("meals", "0009_bounded_values"),
        ("members", "0005_cantine_settings"),
    ]

    operations = [migrations.RunPython(drop, create)]
