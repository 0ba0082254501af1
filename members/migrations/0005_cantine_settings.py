"""The cantine's settings: one row a coordinator edits, read by every page.

A write to the row bumps three change counters (migration meals 0005 has the
table, the PostgreSQL trigger function and the reasons): ``cantine`` (the
settings kept in each process), ``meals`` and ``board`` (the pages kept whole
show the footer). Then the coordinators get the permission to edit it.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


COUNTER_TABLE = "cantine_change_counter"
TABLE = "members_cantinesettings"
COUNTERS = ("cantine", "meals", "board")
POSTGRESQL_FIRST_VALUE = "floor(random() * 1e15)::bigint"
SQLITE_FIRST_VALUE = "abs(random() % 1000000000000000)"


def _trigger(counter: str, event: str = "") -> str:
    # The name the test suite looks for (``%_counts_%``) to fire them within a test's transaction.
    return f"{TABLE}_counts_{counter}" + (f"_{event.lower()}" if event else "")


def create_triggers(apps, schema_editor):
    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)  # no placeholders: « % » is SQLite's modulo

    postgresql = schema_editor.connection.vendor == "postgresql"
    first = POSTGRESQL_FIRST_VALUE if postgresql else SQLITE_FIRST_VALUE
    run(f"INSERT INTO {COUNTER_TABLE} (name, value) VALUES ('cantine', {first}) ON CONFLICT (name) DO NOTHING")
    for counter in COUNTERS:
        if postgresql:
            run(
                f"CREATE CONSTRAINT TRIGGER {_trigger(counter)} AFTER INSERT OR UPDATE OR DELETE ON {TABLE} "
                f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION cantine_count_change('{counter}')"
            )
            continue
        bump = (
            f"INSERT INTO {COUNTER_TABLE} (name, value) VALUES ('{counter}', {SQLITE_FIRST_VALUE}) "
            f"ON CONFLICT (name) DO UPDATE SET value = value + 1;"
        )
        for event in ("INSERT", "UPDATE", "DELETE"):
            run(f"CREATE TRIGGER {_trigger(counter, event)} AFTER {event} ON {TABLE} FOR EACH ROW BEGIN {bump} END")


def drop_triggers(apps, schema_editor):
    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)

    for counter in COUNTERS:
        if schema_editor.connection.vendor == "postgresql":
            run(f"DROP TRIGGER IF EXISTS {_trigger(counter)} ON {TABLE}")
        else:
            for event in ("INSERT", "UPDATE", "DELETE"):
                run(f"DROP TRIGGER IF EXISTS {_trigger(counter, event)}")
    run(f"DELETE FROM {COUNTER_TABLE} WHERE name = 'cantine'")


def give_coordinators_the_settings(apps, schema_editor):
    from members.roles import ensure_roles

    ensure_roles(apps=apps, using=schema_editor.connection.alias)


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0004_bounded_values'),
        ('meals', '0009_bounded_values'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CantineSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('name', models.CharField(default='La Cantine', max_length=60, verbose_name='nom de la cantine')),
                ('street', models.CharField(blank=True, help_text='Le numéro et la rue, par exemple 12 rue des Lilas.', max_length=200, verbose_name='adresse')),
                ('postcode', models.CharField(blank=True, max_length=10, verbose_name='code postal')),
                ('city', models.CharField(blank=True, max_length=100, verbose_name='ville')),
                ('directions', models.TextField(blank=True, help_text='Les transports en commun (arrêts, lignes), le vélo, la voiture : ce qui est le plus proche.', verbose_name='comment venir')),
                ('step_free_access', models.TextField(blank=True, help_text='Y a-t-il des marches ? Une rampe, un ascenseur ? Par où entrer en fauteuil ou avec une poussette ?', verbose_name='accès sans marche')),
                ('toilets', models.TextField(blank=True, help_text="Où elles sont, et si l'on y entre en fauteuil.", verbose_name='toilettes')),
                ('phone', models.CharField(blank=True, max_length=30, verbose_name='téléphone')),
                ('email', models.EmailField(blank=True, max_length=254, verbose_name='e-mail')),
                ('opening_days', models.TextField(blank=True, help_text='Par exemple : le mardi et le jeudi, de 9 h 30 à 15 h.', verbose_name="jours d'ouverture")),
                ('first_visit', models.TextField(blank=True, help_text="Quelques phrases pour qui vient pour la première fois : qui l'accueille, comment se passe le repas.", verbose_name='votre première visite')),
                ('price_rule', models.TextField(blank=True, help_text="Par exemple : le repas coûte 9 € à la cantine ; chacun donne ce qu'il peut, même rien.", verbose_name='le prix, avec vos mots')),
                ('map_image', models.BinaryField(blank=True, default=b'', verbose_name='plan')),
                ('map_image_type', models.CharField(blank=True, editable=False, max_length=20)),
                ('map_description', models.CharField(blank=True, help_text="Pour qui ne voit pas l'image, par exemple : la cantine est au fond de la cour, porte verte.", max_length=300, verbose_name='ce que montre le plan')),
                ('map_link', models.URLField(blank=True, help_text='Facultatif : la page de la cantine sur un site de cartes.', verbose_name='lien vers un plan')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='modifié le')),
                ('updated_by', models.ForeignKey(blank=True, editable=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
            ],
            options={
                'verbose_name': 'réglages de la cantine',
                'verbose_name_plural': 'réglages de la cantine',
                'constraints': [models.CheckConstraint(condition=models.Q(('id', 1)), name='cantine_settings_single_row')],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RunPython(give_coordinators_the_settings, migrations.RunPython.noop),
    ]
