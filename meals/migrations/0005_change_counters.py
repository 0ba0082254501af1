"""Change counters: numbers the database changes whenever rows a cache depends on change.

``board`` counts the writes the shift board shows, ``meals`` those the list
of the next meals shows (seats, held seats, hands needed, menus), ``accounts``
the writes that change who someone is or what they may do (cantine/changes.py says who
reads them). Triggers, not application code, keep them: every write counts,
whether it comes from a service, the admin, a bulk update or a fix in psql.

- PostgreSQL: constraint triggers deferred to COMMIT. The counter rows are
  taken last, when the transaction holds every other lock it will need, and
  after one advisory lock (so that two commits never take the two counters in
  opposite orders): writers cannot deadlock on them. A reader sees the new
  number exactly when it sees the committed rows. The triggers of one statement (at commit: all of
  the transaction's) bump a counter once: a transaction-local setting
  remembers the statement that did.
- SQLite: plain triggers; SQLite lets one writer at a time, so no deadlock.

A counter's first value is random: if its row is ever lost (a test flush
truncates it), a new one cannot meet a cache entry made under an old number.
The table is not a model on purpose: nothing but the triggers writes it.
"""

from django.db import migrations

TABLE = "cantine_change_counter"

# counter: [(table, columns whose change counts; None: any insert, update or delete)]
COUNTERS = {
    "board": [
        ("meals_shift", None),
        ("meals_shiftsignup", None),
        ("meals_meal", ("title", "starts_at", "status")),
        ("members_member", ("name", "user_id")),
    ],
    "meals": [
        ("meals_meal", None),
        ("meals_shift", None),
        ("meals_seatblock", None),
        ("meals_booking", None),
    ],
    "accounts": [
        ("auth_user", None),
        ("auth_user_groups", None),
        ("auth_user_user_permissions", None),
        ("auth_group_permissions", None),
        ("auth_permission", None),
        ("django_content_type", None),
    ],
}

# Any fixed number; other users of advisory locks on the same database must not pick it.
ADVISORY_LOCK = 5_101_962_026

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION cantine_count_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    flag text := 'cantine.changed_' || TG_ARGV[0];
BEGIN
    IF current_setting(flag, true) IS DISTINCT FROM statement_timestamp()::text THEN
        PERFORM set_config(flag, statement_timestamp()::text, true);
        -- One lock before any counter row: two commits that bump both counters in
        -- opposite orders would otherwise wait for each other's row.
        PERFORM pg_advisory_xact_lock({ADVISORY_LOCK});
        INSERT INTO {TABLE} (name, value) VALUES (TG_ARGV[0], floor(random() * 1e15)::bigint)
        ON CONFLICT (name) DO UPDATE SET value = {TABLE}.value + 1;
    END IF;
    RETURN NULL;
END
$$;
"""

POSTGRESQL_FIRST_VALUE = "floor(random() * 1e15)::bigint"
SQLITE_FIRST_VALUE = "abs(random() % 1000000000000000)"


def _changed(columns, distinct: str) -> str:
    return " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in columns)


def trigger_name(counter: str, table: str, event: str = "") -> str:
    return f"{table}_counts_{counter}" + (f"_{event.lower()}" if event else "")


def create(apps, schema_editor):
    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)  # no placeholders: « % » is SQLite's modulo

    vendor = schema_editor.connection.vendor
    if vendor not in ("postgresql", "sqlite"):
        raise NotImplementedError(f"The change counters have no triggers for {vendor}.")
    run(f"CREATE TABLE {TABLE} (name varchar(32) PRIMARY KEY, value bigint NOT NULL)")
    if vendor == "postgresql":
        run(POSTGRESQL_FUNCTION)
    for counter, watched in COUNTERS.items():
        first = POSTGRESQL_FIRST_VALUE if vendor == "postgresql" else SQLITE_FIRST_VALUE
        run(f"INSERT INTO {TABLE} (name, value) VALUES ('{counter}', {first})")
        for table, columns in watched:
            if vendor == "postgresql":
                events = "INSERT OR UPDATE OR DELETE" if columns is None else "UPDATE"
                when = f"WHEN ({_changed(columns, 'IS DISTINCT FROM')})" if columns else ""
                run(
                    f"CREATE CONSTRAINT TRIGGER {trigger_name(counter, table)} AFTER {events} ON {table} "
                    f"DEFERRABLE INITIALLY DEFERRED FOR EACH ROW {when} "
                    f"EXECUTE FUNCTION cantine_count_change('{counter}')"
                )
                continue
            bump = (
                f"INSERT INTO {TABLE} (name, value) VALUES ('{counter}', {SQLITE_FIRST_VALUE}) "
                f"ON CONFLICT (name) DO UPDATE SET value = value + 1;"
            )
            for event in ("INSERT", "UPDATE", "DELETE") if columns is None else ("UPDATE",):
                when = f"WHEN {_changed(columns, 'IS NOT')}" if columns else ""
                run(
                    f"CREATE TRIGGER {trigger_name(counter, table, event)} AFTER {event} ON {table} "
                    f"FOR EACH ROW {when} BEGIN {bump} END"
                )


def drop(apps, schema_editor):
    def run(sql: str) -> None:
        schema_editor.execute(sql, params=None)

    vendor = schema_editor.connection.vendor
    for counter, watched in COUNTERS.items():
        for table, _columns in watched:
            if vendor == "postgresql":
                run(f"DROP TRIGGER IF EXISTS {trigger_name(counter, table)} ON {table}")
            else:
                for event in ("INSERT", "UPDATE", "DELETE"):
                    run(f"DROP TRIGGER IF EXISTS {trigger_name(counter, table, event)}")
    if vendor == "postgresql":
        run("DROP FUNCTION IF EXISTS cantine_count_change()")
    run(f"DROP TABLE IF EXISTS {TABLE}")


class Migration(migrations.Migration):
    dependencies = [
        ("meals", "0004_shift_template"),
        ("members", "0002_roles"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create, drop)]
