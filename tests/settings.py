"""The test suite's settings: production's (cantine/settings.py), read with a test environment.

Only what a test run needs differs, and only here: a fixed secret key, plain
HTTP (the test client speaks it), a fast password hasher (the suite creates
many users) and static files served from their folders (no collectstatic).
Tests that check production's own settings run ``cantine.settings`` in a
subprocess (tests/test_settings.py, tests/test_security.py).
"""

import os

os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-never-used-to-serve-0123456789")
os.environ.setdefault("HTTPS", "off")

from cantine.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
# The worker's SMS are kept in meals.sms.outbox, like Django's mail.outbox.
SMS_BACKEND = "meals.sms.LocmemBackend"
