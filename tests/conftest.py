"""Shared cast and helpers for the whole suite.

The cast: ``guest`` (no account), ``volunteer`` (ready for every role), ``newcomer`` (a volunteer
who met no prerequisite yet), ``partner_referent`` (of
``partner``), ``other_referent`` (of ``other_partner``), ``coordinator`` and
``outsider`` (logged-in, no role). ``meal`` is tomorrow's lunch, open for
booking, with its default shifts; ``make_meal`` makes more.
"""

import os
import threading
from contextlib import contextmanager
from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from meals.cache import bump
from meals.models import Meal
from meals.services.shifts import shifts_create_default
from members.models import Member, Partner, Prerequisite, cantine_settings
from members.roles import COORDINATOR, PARTNER, VOLUNTEER

PARIS = ZoneInfo("Europe/Paris")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Outside CI a missing database or browser skips; in CI it fails."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: not skipped)")
    pytest.skip(reason)


def pytest_collection_modifyitems(items):
    """Browser and HTML-checker tests start Chromium or Java: they are ``slow`` too (``-m 'not slow'`` skips them)."""
    for item in items:
        if item.get_closest_marker("browser") or item.get_closest_marker("vnu"):
            item.add_marker(pytest.mark.slow)


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        skip_or_fail("needs PostgreSQL: set DATABASE_URL=postgres://…")


def all_at_once(count: int, action, *, prepare=None, timeout: float = 30) -> list:
    """Run ``action(n)`` for n in range(count) from threads released together.

    With ``prepare``, each thread first runs ``prepare(n)`` on its own (fetch a
    form, log in), and once all are ready they run ``action(prepared)`` together.
    Returns each result, or the repr of what it raised (for the assertions to
    show). Each thread closes its own database connection.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def worker(n: int) -> None:
        try:
            ready = prepare(n) if prepare else n
            barrier.wait(timeout=timeout)
            results[n] = action(ready)
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertions
            barrier.abort()  # the others stop waiting for this one
            results[n] = repr(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.fixture(scope="session", autouse=True)
def _end_stray_postgres_sessions(django_db_setup, django_db_blocker):
    """Let the test database be dropped even if a thread of a test left its connection open.

    Torn down before ``django_db_setup`` (which drops the database); PostgreSQL refuses
    to drop a database that another session still uses.
    """
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )


@pytest.fixture(autouse=True)
def _commits_as_in_production(request, monkeypatch):
    """An empty cache, and on-commit callbacks run when the code under test commits.

    A ``django_db`` test runs inside a transaction rolled back at its end: Django
    keeps every ``transaction.on_commit()`` callback until then, and drops it, so
    the kept pages' generations (meals/cache.py) would never change. Here, as in
    production, a callback runs when the code's outermost ``atomic()`` block
    commits, or at once when it is asked for outside any block of the code (as in
    autocommit); a block that rolls back drops its callbacks, as Django does.
    Tests with ``transaction=True`` commit for real and need none of this.
    """
    if request.node.get_closest_marker("django_db") is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("_django_db_helper")
    cache.clear()
    if not connection.in_atomic_block:
        return
    database = transaction.get_connection()  # the wrapper itself, not the ``connection`` proxy
    tests_own = len(database.savepoint_ids)
    on_commit, exit_block = database.on_commit, transaction.Atomic.__exit__

    def call(func, robust: bool) -> None:
        try:
            func()
        except Exception:
            if not robust:
                raise

    def on_commit_at_once_outside_the_code_s_blocks(func, robust=False):
        if len(database.savepoint_ids) == tests_own:
            call(func, robust)
        else:
            on_commit(func, robust)

    def exit_and_run_callbacks_if_outermost(block, exc_type, exc_value, traceback):
        result = exit_block(block, exc_type, exc_value, traceback)
        if (
            transaction.get_connection(block.using) is database
            and exc_type is None
            and database.in_atomic_block
            and len(database.savepoint_ids) == tests_own
            and not database.needs_rollback
        ):
            due, database.run_on_commit = database.run_on_commit, []
            for _savepoints, func, robust in due:
                call(func, robust)
        return result

    monkeypatch.setattr(database, "on_commit", on_commit_at_once_outside_the_code_s_blocks)
    monkeypatch.setattr(transaction.Atomic, "__exit__", exit_and_run_callbacks_if_outermost)


class DeliveredMail(list):
    """``django.core.mail.outbox`` as a person's mailbox shows it once the outbox's worker ran.

    Services queue their mails (meals/outbox.py); reading this list first runs
    the worker in the test's own transaction (``meals.outbox.send_queued``),
    so a test sees exactly the mails that would have left. Tests of the queue
    itself read ``Message`` rows, or use ``raw_mail_outbox``.
    """

    flushing = False

    def _flush(self) -> None:
        if DeliveredMail.flushing or not _database_open():
            return
        DeliveredMail.flushing = True
        try:
            from meals.outbox import send_queued

            send_queued()
        finally:
            DeliveredMail.flushing = False

    def __getitem__(self, index):
        self._flush()
        return super().__getitem__(index)

    def __len__(self) -> int:
        self._flush()
        return super().__len__()

    def __iter__(self):
        self._flush()
        return super().__iter__()

    def __eq__(self, other) -> bool:
        self._flush()
        return super().__eq__(other)

    def clear(self) -> None:
        """Forget what left so far (the mails queued until now included), as a test's « from here on »."""
        self._flush()
        super().clear()

    __hash__ = None


def _database_open() -> bool:
    try:
        connection.ensure_connection()
    except Exception:  # noqa: BLE001 - no database in this test: nothing can be queued either
        return False
    return True


@pytest.fixture(autouse=True)
def _mail_outbox_after_the_worker(request, settings):
    """Every test reads the mails that left; SMS too (``meals.sms.outbox``) start empty."""
    from django.core import mail

    from meals import sms

    sms.outbox.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    uses_db = request.node.get_closest_marker("django_db") is not None or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db and "raw_mail_outbox" not in request.fixturenames:
        mail.outbox = DeliveredMail()
    yield


@pytest.fixture
def raw_mail_outbox():
    """The mails the locmem backend got so far, without running the worker."""
    from django.core import mail

    mail.outbox = []
    return mail.outbox


@pytest.fixture
def send_queued():
    """Run the outbox's worker now (what ``manage.py send_queued_messages --batch`` does); returns how many ran."""
    from meals.outbox import send_queued as run

    return run


@pytest.fixture
def django_assert_num_queries(django_assert_num_queries):
    """pytest-django's, counted as the first request after a write to the meals or shifts.

    A page's count includes building what it keeps; the cantine's settings, which
    change a few times a year, are read once before (``cantine_settings()``).
    """

    @contextmanager
    def cold(*args, **kwargs):
        cantine_settings()
        bump("meals", "board")
        with django_assert_num_queries(*args, **kwargs) as context:
            yield context

    return cold


def admin_edit(instance, **changes) -> None:
    """Change fields of ``instance`` through the Django admin's change form, as a superuser would."""
    from django.test import Client
    from django.urls import reverse

    from tests.test_fuzz_forms import FormFinder

    boss = get_user_model().objects.filter(is_superuser=True).first() or get_user_model().objects.create_superuser(
        "admin-edit", "admin-edit@example.org", "x"
    )
    client = Client()
    client.force_login(boss)
    meta = instance._meta
    url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[instance.pk])
    finder = FormFinder()
    finder.feed(client.get(url).content.decode())
    fields = max(finder.forms, key=lambda form: len(form["fields"]))["fields"]
    fields = {name: value for name, value in fields.items() if not name.startswith("_")}
    response = client.post(url, {**fields, **{name: str(value) for name, value in changes.items()}, "_save": "1"})
    assert response.status_code == 302, response.content.decode()[:3000]


def make_user(email: str, *, group: str | None = None, name: str = "Test User", ready: bool | None = None):
    """A login with its member. Volunteers and coordinators are ``ready`` by default (issue 18): they
    read the hygiene rules, signed the charter and did a trial shift; ``ready=False`` makes a newcomer."""
    first, _, last = name.partition(" ")
    user = get_user_model().objects.create_user(
        username=email, email=email, password="correct-horse-battery", first_name=first, last_name=last
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    member = Member.objects.create(user=user, name=name, email=email)
    if ready if ready is not None else group in (VOLUNTEER, COORDINATOR):
        Prerequisite.objects.bulk_create([Prerequisite(member=member, kind=kind) for kind in Prerequisite.Kind.values])
    return user


@pytest.fixture
def password() -> str:
    return "correct-horse-battery"


@pytest.fixture
def guest(db) -> Member:
    return Member.objects.create(name="Jeanne Martin", email="jeanne@example.org", phone="06 12 34 56 78")


@pytest.fixture
def volunteer(db):
    return make_user("karim@example.org", group=VOLUNTEER, name="Karim Benali")


@pytest.fixture
def newcomer(db):
    """A volunteer who just signed up: no charter, no hygiene rules, no trial shift yet."""
    return make_user("lea@example.org", group=VOLUNTEER, name="Léa Nouvelle", ready=False)


@pytest.fixture
def coordinator(db):
    return make_user("claire@example.org", group=COORDINATOR, name="Claire Morel")


@pytest.fixture
def outsider(db):
    return make_user("nobody@example.org", name="Paul Personne")


@pytest.fixture
def partner(db) -> Partner:
    return Partner.objects.create(name="Les Amis du Quartier", contact_name="Sophie")


@pytest.fixture
def other_partner(db) -> Partner:
    return Partner.objects.create(name="Voisins Solidaires", contact_name="Marc")


@pytest.fixture
def partner_referent(db, partner):
    user = make_user("sophie@example.org", group=PARTNER, name="Sophie Garnier")
    partner.referents.add(user)
    return user


@pytest.fixture
def other_referent(db, other_partner):
    user = make_user("marc@example.org", group=PARTNER, name="Marc Leroy")
    other_partner.referents.add(user)
    return user


def create_meal(*, day=None, capacity: int = 10, cost_price: str = "9.00", shifts: bool = True, **fields) -> Meal:
    """A lunch at 12:30 Paris time on ``day`` (default: tomorrow), open for booking."""
    day = day or timezone.localdate() + timedelta(days=1)
    values = {
        "title": "Déjeuner partagé",
        "cooking_starts_at": datetime.combine(day, time(9, 30), tzinfo=PARIS),
        "starts_at": datetime.combine(day, time(12, 30), tzinfo=PARIS),
        "ends_at": datetime.combine(day, time(14, 30), tzinfo=PARIS),
        "starter": "Velouté de potimarron",
        "main": "Hachis parmentier",
        "dessert": "Pommes au four",
        "allergens": ["milk", "celery"],
        "capacity": capacity,
        "booking_opens_at": datetime.combine(day - timedelta(days=30), time(9, 0), tzinfo=PARIS),
        "booking_closes_at": datetime.combine(day, time(10, 0), tzinfo=PARIS),
        "cost_price": Decimal(cost_price),
    }
    values.update(fields)
    meal = Meal.objects.create(**values)
    if shifts:
        shifts_create_default(meal=meal)
    return meal


@pytest.fixture
def clock(monkeypatch):
    """(now, move): ``move(by)`` moves the clock the code reads by ``by``, without touching the data."""
    real_now = timezone.now()

    def move(by: timedelta) -> None:
        monkeypatch.setattr(timezone, "now", lambda: real_now + by)

    return real_now, move


@pytest.fixture
def make_meal(db):
    return create_meal


@pytest.fixture
def meal(db) -> Meal:
    return create_meal()


@pytest.fixture
def meal_soon(db) -> Meal:
    """A meal whose cooking shift starts in five hours, whatever the time of day the suite runs."""
    meal = create_meal()
    delta = timezone.now() + timedelta(hours=5) - meal.cooking_starts_at
    fields = ("cooking_starts_at", "starts_at", "ends_at", "booking_opens_at", "booking_closes_at")
    Meal.objects.filter(pk=meal.pk).update(**{field: F(field) + delta for field in fields})
    meal.shifts.update(starts_at=F("starts_at") + delta, ends_at=F("ends_at") + delta)
    meal.refresh_from_db()
    return meal
