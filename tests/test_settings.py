"""Settings read from the environment: run in a subprocess with a clean environment."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django, json; django.setup(); from django.conf import settings; "
    "db = settings.DATABASES['default']; "
    "print(json.dumps({'engine': db['ENGINE'], 'name': str(db['NAME']), 'options': db.get('OPTIONS', {}), "
    "'debug': settings.DEBUG, 'ssl': settings.SECURE_SSL_REDIRECT, 'secure_cookie': settings.SESSION_COOKIE_SECURE, "
    "'hsts': settings.SECURE_HSTS_SECONDS, 'lang': settings.LANGUAGE_CODE, 'tz': settings.TIME_ZONE, "
    "'cache': settings.CACHES['default']['BACKEND'], 'rate': settings.BOOKING_RATE_LIMIT}))"
)


def run_settings(**env: str) -> subprocess.CompletedProcess:
    clean = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG", "SYSTEMROOT"}}
    clean.update({"DJANGO_SETTINGS_MODULE": "cantine.settings", "PYTHONPATH": str(ROOT)})
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def probe(**env: str) -> dict:
    result = run_settings(**env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_sqlite_is_the_default_with_wal_immediate_and_a_busy_timeout():
    values = probe(DEBUG="1")
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"].endswith("db.sqlite3")
    assert values["options"]["transaction_mode"] == "IMMEDIATE"
    assert values["options"]["timeout"] >= 5
    assert "journal_mode=WAL" in values["options"]["init_command"]
    assert values["lang"] == "fr"
    assert values["tz"] == "Europe/Paris"
    assert values["cache"] == "django.core.cache.backends.db.DatabaseCache"


def test_a_sqlite_database_url_gets_the_same_wal_immediate_and_busy_timeout():
    # Without them a booking's transaction reads, then writes, and a burst of
    # bookings answers 500 "database is locked" (tests/meals/test_sqlite_burst.py).
    values = probe(DEBUG="1", DATABASE_URL="sqlite:////srv/cantine/cantine.sqlite3")
    assert values["name"] == "/srv/cantine/cantine.sqlite3"
    assert values["options"]["transaction_mode"] == "IMMEDIATE"
    assert values["options"]["timeout"] == 20
    assert "journal_mode=WAL" in values["options"]["init_command"]
    assert probe(DEBUG="1", DATABASE_URL="sqlite:///db.sqlite3?timeout=60")["options"]["timeout"] == 60


def test_database_url_selects_postgresql():
    values = probe(DEBUG="1", DATABASE_URL="postgres://cantine:secret@db.example:5432/cantine")
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "cantine"


def test_debug_off_without_secret_key_refuses_to_start_with_a_clear_message():
    result = run_settings(DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_https_is_on_by_default_in_production():
    values = probe(DEBUG="0", SECRET_KEY="x" * 50, ALLOWED_HOSTS="cantine.example")
    assert values["debug"] is False
    assert values["ssl"] is True
    assert values["secure_cookie"] is True
    assert values["hsts"] >= 31536000


def test_https_off_serves_plain_http():
    values = probe(DEBUG="0", SECRET_KEY="x" * 50, HTTPS="off")
    assert values["ssl"] is False
    assert values["secure_cookie"] is False
    assert values["hsts"] == 0


def test_an_unreadable_boolean_is_refused():
    result = run_settings(DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be on/off" in result.stderr


@pytest.mark.parametrize("rate", ["off", "20/m"])
def test_booking_rate_limit_comes_from_the_environment(rate):
    assert probe(DEBUG="1", BOOKING_RATE_LIMIT=rate)["rate"] == rate


def test_check_deploy_is_clean_with_production_settings():
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    env.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "a-long-production-secret-key-with-enough-entropy-0123456789abcdef",
            "ALLOWED_HOSTS": "cantine.example.org",
            "PYTHONPATH": str(ROOT),
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


SETTINGS_DUMP = (
    "import django, json; django.setup(); from django.conf import settings; "
    "print(json.dumps({name: repr(getattr(settings, name)) for name in dir(settings) if name.isupper()}))"
)


def test_the_test_settings_are_production_s_but_for_what_tests_settings_py_changes():
    """Production's settings do not depend on being imported by a test run; tests/settings.py says what differs."""
    env = {key: value for key, value in os.environ.items() if key in {"PATH", "HOME", "LANG"}}
    env.update({"PYTHONPATH": str(ROOT), "DEBUG": "0", "HTTPS": "off", "SECRET_KEY": "k" * 50})
    dumps = {}
    for module in ("cantine.settings", "tests.settings"):
        result = subprocess.run(
            [sys.executable, "-c", SETTINGS_DUMP],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": module},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        dumps[module] = json.loads(result.stdout.strip().splitlines()[-1])
    production, tests = dumps["cantine.settings"], dumps["tests.settings"]
    differing = {name for name in production.keys() | tests.keys() if production.get(name) != tests.get(name)}
    assert differing == {"PASSWORD_HASHERS", "STORAGES", "WHITENOISE_USE_FINDERS", "SMS_BACKEND", "SETTINGS_MODULE"}
