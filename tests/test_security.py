"""Security headers and settings, CSRF on every URL, and no inline script or style.

The HTTPS settings are read from the environment when the settings module is
imported, so they are checked in a fresh Python process started with
``HTTPS=on`` (as in production), not by overriding settings in this one.
"""

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from tests.test_permission_matrix import MATRIX, ROLES, build_world, client_for, project_url_names, url_for

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def world(db, guest, volunteer, partner_referent, coordinator, partner):
    return build_world(
        guest=guest, volunteer=volunteer, referent=partner_referent, coordinator=coordinator, partner=partner
    )


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.mark.django_db
def test_pages_send_a_strict_content_security_policy(client, meal):
    for url in (reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk]), reverse("login")):
        directives = csp_directives(client.get(url))
        assert directives["default-src"] == ["'self'"]
        for name in ("script-src", "style-src"):
            assert directives[name] == ["'self'"], (url, name, directives[name])
        assert directives["frame-ancestors"] == ["'none'"]
        assert directives["object-src"] == ["'none'"]
        assert directives["base-uri"] == ["'none'"]
        assert directives["form-action"] == ["'self'"]


@pytest.mark.django_db
def test_pages_forbid_framing_sniffing_and_leaking_the_referrer(client, meal):
    response = client.get(reverse("meals:meal", args=[meal.pk]))
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"


HTTPS_PROBE = """
import json, django
django.setup()
from django.conf import settings
from django.core.management import call_command
call_command("migrate", verbosity=0)
from django.test import Client
from tests.conftest import make_user
make_user("claire@example.org")
client = Client()
plain = client.get("/")
page = client.get("/comptes/login/", secure=True)
login = client.post(
    "/comptes/login/",
    {"username": "claire@example.org", "password": "correct-horse-battery"},
    secure=True,
)
cookies = {
    name: {"secure": bool(m["secure"]), "httponly": bool(m["httponly"]), "samesite": m["samesite"]}
    for name, m in client.cookies.items()
}
print(json.dumps({
    "plain_status": plain.status_code,
    "plain_location": plain.headers.get("Location", ""),
    "hsts": page.headers.get("Strict-Transport-Security", ""),
    "login_status": login.status_code,
    "cookies": cookies,
}))
"""


def clean_environment() -> dict[str, str]:
    """This process's environment without what the suite set for itself (the browser tests
    set DJANGO_ALLOW_ASYNC_UNSAFE) or what would point the child at another database."""
    dropped = {"DATABASE_URL", "HTTPS", "BEHIND_PROXY", "DEBUG", "ALLOWED_HOSTS", "SECRET_KEY"}
    return {key: value for key, value in os.environ.items() if key not in dropped and not key.startswith("DJANGO_")}


def run_with_env(code: str, tmp_path, **env) -> subprocess.CompletedProcess:
    environment = clean_environment()
    environment.update(
        {
            "DJANGO_SETTINGS_MODULE": "cantine.settings",
            "SQLITE_PATH": str(tmp_path / "https.sqlite3"),
            "SECRET_KEY": "a-long-random-secret-key-for-the-security-test-0123456789abcdef",
            "PYTHONWARNINGS": "ignore",
            **env,
        }
    )
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )


def test_https_on_makes_cookies_secure_and_sends_hsts(tmp_path):
    # The test settings keep the fast password hasher and unhashed static names, and production's HTTPS.
    result = run_with_env(
        HTTPS_PROBE,
        tmp_path,
        DJANGO_SETTINGS_MODULE="tests.settings",
        DEBUG="0",
        HTTPS="on",
        ALLOWED_HOSTS="testserver",
    )
    assert result.returncode == 0, result.stderr[-3000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])

    assert seen["plain_status"] == 301 and seen["plain_location"].startswith("https://")
    assert "max-age=31536000" in seen["hsts"] and "includeSubDomains" in seen["hsts"]
    assert seen["login_status"] == 302
    assert {"sessionid", "csrftoken"} <= set(seen["cookies"])
    for name in ("sessionid", "csrftoken"):
        assert seen["cookies"][name]["secure"], name
        assert seen["cookies"][name]["httponly"], name
        assert seen["cookies"][name]["samesite"] == "Lax", name


def test_deploy_checks_pass_with_production_settings(tmp_path):
    environment = clean_environment()
    environment.update(
        {
            "DEBUG": "0",
            "SECRET_KEY": "k7#Lq9!vX2$mP4@wZ8^nR1&tY6*bH3(jD5)gF0_sA-eC+uW=oI~",
            "ALLOWED_HOSTS": "cantine.example.org",
            "SQLITE_PATH": str(tmp_path / "deploy.sqlite3"),
            "PYTHONWARNINGS": "ignore",
        }
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


# Called by a machine, not a browser: the SMS provider's webhook, behind the secret in its URL (SMS_INBOUND_TOKEN).
CSRF_EXEMPT = {"meals:sms_inbound"}


@pytest.mark.django_db
def test_every_url_refuses_a_post_without_csrf_token(world):
    """CSRF is checked before any view: a POST without the token is a 403 everywhere (but ``CSRF_EXEMPT``)."""
    accepted = []
    for role in ("anonymous", "coordinator"):
        client = Client(enforce_csrf_checks=True, raise_request_exception=False)
        if role == "coordinator":
            client.force_login(world.coordinator)
        for name in project_url_names():
            if name not in MATRIX or name in CSRF_EXEMPT:
                continue
            response = client.post(url_for(name, role, world), {"name": "x", "amount": "5"})
            if response.status_code != 403 or b'data-error="csrf"' not in response.content:
                accepted.append(f"{name} as {role}: {response.status_code}")
    assert not accepted, "POST without CSRF token not refused:\n" + "\n".join(accepted)


@pytest.mark.django_db
def test_a_post_with_the_csrf_token_gets_through(meal):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("meals:meal", args=[meal.pk]))
    token = client.cookies["csrftoken"].value
    response = client.post(
        reverse("meals:book", args=[meal.pk]),
        {"name": "Odette", "email": "odette@example.org", "party_size": "1", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302


class InlineCodeFinder(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, styles, handlers."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script":
            if not attributes.get("src"):
                self.problems.append("<script> without src")
            self._in_script = True
        if tag == "style":
            self.problems.append("<style> element")
        for name, value in attrs:
            if name == "style":
                self.problems.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name in {"href", "src", "action"} and (value or "").strip().lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append("inline script content")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_no_page_has_inline_script_or_style_and_each_sends_the_csp(role, world):
    client = client_for(role, world)
    found = []
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200":
            continue
        response = client.get(url_for(name, role, world))
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        finder = InlineCodeFinder()
        finder.feed(response.content.decode())
        found.extend(f"{name} as {role}: {problem}" for problem in finder.problems)
        if csp_directives(response).get("script-src") != ["'self'"] or response.headers["X-Frame-Options"] != "DENY":
            found.append(f"{name} as {role}: without the strict CSP or X-Frame-Options")
    assert not found, "\n".join(found)


# --- Issue 13, finding 7: a kept page holds nothing of the request that built it ----------


@pytest.mark.django_db
def test_a_kept_page_does_not_show_the_first_visitors_query_string_to_the_next(meal):
    for url in (reverse("meals:upcoming"), reverse("meals:meal", args=[meal.pk])):
        first = Client().get(url + "?utm=attacker-was-here")
        assert first.status_code == 200
        later = Client().get(url)
        assert later.status_code == 200
        assert "attacker-was-here" not in later.content.decode(), url
