"""Drop the change counters and their triggers (meals 0005, members 0005).

Kept pages and the cantine's settings now follow generations in Django's
cache, changed when the models are saved or deleted (meals/cache.py): no
trigger, no counter table. The default cache's table (migration 0002) stays:
it holds the generations, the kept fragments and the sessions.

The migrations in between that put back the SQLite triggers after a table
rebuild (meals 0009 and 0012, members 0006, 0007 and 0008) run before it.
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
        # Last of all: the migrations before it still put back SQLite's triggers after a table rebuild.
        ("meals", "0014_sourcing"),
        ("members", "0008_overheads"),
    ]

    operations = [migrations.RunPython(drop, create)]
