"""Error pages: in the visitor's language, in the site's layout, without a query.

400, 403, 404 and 500 come from Django's handlers (cantine/urls.py), 429 from the
booking rate limit, 503 whenever the database does not answer.
"""

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

PHONE = "01 23 45 67 89"

HEADINGS = {
    400: ("Nous n'avons pas compris cette demande", "We did not understand this request"),
    403: ("Cette page ne vous est pas ouverte", "This page is not open to you"),
    404: ("Cette page n'existe pas", "This page does not exist"),
    500: ("Quelque chose s'est mal passé de notre côté", "Something went wrong on our side"),
    503: ("Nous revenons tout de suite", "We will be right back"),
}

# (how the visitor says which language, the headers or cookie, index in HEADINGS)
LANGUAGES = {
    "fr": ({"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}, {}, 0),
    "en-header": ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.9"}, {}, 1),
    # The language cookie (the site's switch) wins over the browser's languages.
    "en-cookie": ({"HTTP_ACCEPT_LANGUAGE": "fr"}, {"django_language": "en"}, 1),
}


@pytest.fixture(autouse=True)
def _production_error_pages(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.error_urls"
    settings.COORDINATION_PHONE = PHONE


def visitor(language: str, user=None) -> Client:
    headers, cookies, _ = LANGUAGES[language]
    client = Client(raise_request_exception=False, **headers)
    for name, value in cookies.items():
        client.cookies[name] = value
    if user is not None:
        client.force_login(user)
    return client


def heading(status: int, language: str) -> str:
    return HEADINGS[status][LANGUAGES[language][2]]


def assert_site_layout(html: str, language: str) -> None:
    assert f'<html lang="{language[:2]}">' in html
    assert 'href="/static/css/cantine.css"' in html
    assert '<header class="site-header">' in html
    assert '<a class="navbar-brand" href="/">' in html
    assert '<footer class="site-footer container">' in html
    assert '<main id="main"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", [400, 403, 404, 500])
def test_error_page_is_in_the_visitors_language_and_the_site_layout_without_a_query(
    status, language, django_assert_num_queries
):
    client = visitor(language)
    with django_assert_num_queries(0):
        response = client.get(f"/echec/{status}/")
    assert response.status_code == status
    html = response.content.decode()
    assert f"<h1>{heading(status, language)}</h1>" in html
    assert_site_layout(html, language)
    assert response["Content-Language"] == language[:2]


@pytest.mark.django_db
def test_a_server_error_for_a_logged_in_volunteer_issues_no_query_and_gives_the_phone(
    volunteer, django_assert_num_queries
):
    client = visitor("fr", user=volunteer)
    with django_assert_num_queries(0):
        response = client.get("/echec/500/")
    assert response.status_code == 500
    html = response.content.decode()
    assert f'appelez la cantine au <a href="tel:0123456789">{PHONE}</a>.' in html
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_an_unknown_address_gets_the_styled_404_in_english():
    response = visitor("en-header").get("/nulle-part/")
    assert response.status_code == 404
    assert f"<h1>{heading(404, 'en-header')}</h1>" in response.content.decode()
    assert_site_layout(response.content.decode(), "en")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en-cookie"])
def test_a_volunteer_opening_the_door_desk_gets_the_styled_403(volunteer, language):
    response = visitor(language, user=volunteer).get(reverse("meals:door_today"))
    assert response.status_code == 403
    html = response.content.decode()
    assert f"<h1>{heading(403, language)}</h1>" in html
    assert_site_layout(html, language)


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", ["/echec/base-indisponible/", "/echec/connexion-perdue/"])
def test_a_database_that_does_not_answer_gives_the_503_with_the_phone(url, language, django_assert_num_queries):
    client = visitor(language)
    with django_assert_num_queries(0):
        response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert f"<h1>{heading(503, language)}</h1>" in html
    assert f'<a href="tel:0123456789">{PHONE}</a>' in html
    assert_site_layout(html, language)
    if language == "fr":
        assert "Rien de ce que vous avez saisi n'a été enregistré deux fois\u202f: réessayez" in html
    else:
        assert "Nothing you typed was saved twice" in html


@pytest.mark.django_db
def test_the_503_without_a_phone_number_still_says_to_call(settings):
    settings.COORDINATION_PHONE = ""
    html = visitor("fr").get("/echec/base-indisponible/").content.decode()
    assert "Si c'est urgent, appelez la cantine." in html
    assert "tel:" not in html


def fail_on(table: str):
    """A query wrapper: every statement on ``table`` fails as if the server were gone."""
    from django.db import OperationalError

    def wrapper(execute, sql, params, many, context):
        if table in sql:
            raise OperationalError("server closed the connection unexpectedly")
        return execute(sql, params, many, context)

    return wrapper


@pytest.mark.django_db
# The session is read from the cache first (``cached_db``): on the database cache, its table.
@pytest.mark.parametrize("table", ["cantine_cache", "auth_user"])
def test_a_database_outage_while_reading_the_session_or_the_user_gives_the_503(volunteer, table):
    client = visitor("en-header", user=volunteer)
    with connection.execute_wrapper(fail_on(table)):
        response = client.get(reverse("members:home"))
    assert response.status_code == 503
    assert f"<h1>{heading(503, 'en-header')}</h1>" in response.content.decode()


@pytest.mark.django_db
def test_a_database_outage_while_saving_the_session_on_the_way_out_gives_the_503():
    # Not in a view: SessionMiddleware saves after it, so the 500 handler sees the error.
    client = visitor("fr")
    with connection.execute_wrapper(fail_on("django_session")):
        response = client.get("/echec/session/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert f"<h1>{heading(503, 'fr')}</h1>" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["fr", "en-cookie"])
def test_the_booking_rate_limit_answers_429_on_the_error_layout(meal, settings, language):
    settings.BOOKING_RATE_LIMIT = "1/m"
    client = visitor(language)
    url = reverse("meals:book", args=[meal.pk])
    for n in range(2):
        response = client.post(url, {"name": "Rose", "email": f"rose{n}@example.org", "party_size": "1"})
    assert response.status_code == 429
    html = response.content.decode()
    assert ("Un petit instant, s'il vous plaît" if language == "fr" else "Just a moment, please") in html
    assert 'data-error="429"' in html
    assert f'href="{reverse("meals:meal", args=[meal.pk])}"' in html
    assert_site_layout(html, language)


@pytest.mark.django_db
def test_a_form_without_its_csrf_token_gets_the_styled_403_and_nothing_is_written(meal):
    client = Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="fr")
    response = client.post(reverse("meals:book", args=[meal.pk]), {"name": "Rose", "email": "rose@example.org"})
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-error="csrf"' in html
    assert "<h1>Ce formulaire a expiré</h1>" in html
    assert "Rien n'a été enregistré." in html
    assert_site_layout(html, "fr")
    assert not meal.bookings.exists()


PROBE_POSTGRESQL_DOWN = """
import json, django
django.setup()
from django.test import Client
pages = {}
for path in ["/", "/repas/1/", "/mon-espace/"]:
    client = Client(raise_request_exception=False, HTTP_ACCEPT_LANGUAGE="en")
    # A logged-in visitor: reading the session is the first query.
    client.cookies["sessionid"] = "a" * 32
    response = client.get(path)
    pages[path] = [response.status_code, response.get("Retry-After"), response.content.decode()]
print(json.dumps(pages))
"""


def test_every_page_answers_503_in_the_visitors_language_while_postgresql_is_down():
    import json
    import os
    import socket
    import subprocess
    import sys
    from pathlib import Path

    with socket.socket() as sock:  # a port nobody listens on: "connection refused"
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env.update(
        # The test suite's settings (tests/settings.py): production's, with static files served unhashed.
        DJANGO_SETTINGS_MODULE="tests.settings",
        HTTPS="off",
        ALLOWED_HOSTS="testserver",
        DATABASE_URL=f"postgres://cantine:cantine@127.0.0.1:{port}/cantine",
        COORDINATION_PHONE=PHONE,
        LOG_LEVEL="CRITICAL",
    )
    done = subprocess.run(
        [sys.executable, "-c", PROBE_POSTGRESQL_DOWN],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    pages = json.loads(done.stdout.strip().splitlines()[-1])
    for status, retry_after, html in pages.values():
        assert (status, retry_after) == (503, "30")
        assert "<h1>We will be right back</h1>" in html
        assert f'<a href="tel:0123456789">{PHONE}</a>' in html
        assert_site_layout(html, "en")
