"""Hostile input to every form: never a 5xx, and a refused form writes nothing.

The forms are found, not listed: every page each role may open (from the
permission matrix) is parsed, and each ``<form>`` on it (its action, method and
field names) is posted with random and hostile values — long strings, unicode,
markup, SQL fragments, NUL bytes, huge and negative numbers, NaN — by hypothesis.
A new form is fuzzed as soon as a page shows it.

"Refused" means a 4xx, a page showing form errors, or an error message;
then no row of any table may have been added or removed.
"""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib import messages
from django.urls import Resolver404, resolve
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_permission_matrix import MATRIX, build_world, client_for, project_url_names, url_for

# Forms that end the session or change the language: they would only stop the fuzzing.
SKIPPED_ACTIONS = {"logout", "set_language"}

# The first 14 go into every field of every form; hypothesis draws from all of them.
HOSTILE = [
    "",
    "-1",
    "NaN",
    "1e400",
    "99999999999999999999999",
    "１２",
    "<script>alert(1)</script>",
    "'; DROP TABLE meals_booking; --",
    "a\x00b",
    "x" * 5000,
    "𝕮𝖆𝖓𝖙𝖎𝖓𝖊 🍲" * 20,
    "2026-02-30",
    "25:61",
    "0",
    " ",
    "-0,01",
    "Infinity",
    "-99999999999999999999999",
    "5,555",
    "<b>5</b>",
    '"><img src=x onerror=alert(1)>',
    "' OR '1'='1",
    "Robert'); DELETE FROM members_member;--",
    "\x00",
    "é" * 300,
    "2026-13-01",
    "0000-00-00",
    "\u202egnp.exe",
    "../../etc/passwd",
    "%s%s%s%n",
    "True",
    "on",
]

hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=400),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)


class FormFinder(HTMLParser):
    """The forms of a page: action, method, and each field's name and current value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: str | None = None
        self._selected = False

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._form = {
                "action": attributes.get("action", ""),
                "method": attributes.get("method", "get").lower(),
                "fields": {},
            }
            self.forms.append(self._form)
        elif self._form is not None and tag in {"input", "textarea", "select", "button"}:
            name = attributes.get("name")
            if not name or name == "csrfmiddlewaretoken":
                return
            if tag == "input" and attributes.get("type") in {"checkbox", "radio"}:
                if "checked" in attributes:  # what a browser sends: "on" for a box without a value
                    self._form["fields"][name] = attributes.get("value", "on")
                else:
                    self._form["fields"].setdefault(name, "")
            else:
                self._form["fields"][name] = attributes.get("value", "")
            if tag == "select":
                self._select = name
                self._selected = False
                self._form["fields"][name] = None  # the first option, unless another is selected
        elif tag == "option" and self._form is not None and self._select:
            if ("selected" in attributes and not self._selected) or self._form["fields"][self._select] is None:
                self._form["fields"][self._select] = attributes.get("value", "")
                self._selected = "selected" in attributes

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            if self._form is not None and self._select and self._form["fields"][self._select] is None:
                self._form["fields"][self._select] = ""
            self._select = None


def forms_for(role: str, world) -> list[dict]:
    """Every distinct form (by URL name, method and fields) on the pages this role may open."""
    client = client_for(role, world)
    found: dict[tuple, dict] = {}
    for name in project_url_names():
        row = MATRIX.get(name)
        if row is None or row.codes("get")[role] != "200":
            continue
        page_url = url_for(name, role, world)
        response = client.get(page_url)
        if not response.headers.get("Content-Type", "").startswith("text/html"):
            continue
        finder = FormFinder()
        finder.feed(response.content.decode())
        for form in finder.forms:
            action = urlsplit(form["action"]).path or page_url
            try:
                target = resolve(action)
            except Resolver404:
                continue
            if target.url_name in SKIPPED_ACTIONS:
                continue
            key = (target.view_name, form["method"], tuple(sorted(form["fields"])))
            found.setdefault(key, {**form, "action": action, "view": target.view_name})
    return sorted(found.values(), key=lambda form: (form["view"], form["method"]))


# Counts every attempt on purpose, refused or not: that is what a rate limit is.
NOT_DATA = {"meals.RateLimitCounter"}


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"meals", "members", "auth"} and model._meta.label not in NOT_DATA
    }


def post_and_check(client, form: dict, values: dict[str, str]) -> None:
    before = row_counts()
    send = client.post if form["method"] == "post" else client.get
    response = send(form["action"], values)
    assert response.status_code < 500, (form["view"], values, response.status_code)
    # Only the messages this request added (earlier ones wait in the session, unread).
    added = getattr(messages.get_messages(response.wsgi_request), "_queued_messages", [])
    refused = response.status_code >= 400 or any(message.level >= messages.WARNING for message in added)
    if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("text/html"):
        html = response.content.decode()
        refused = refused or any(marker in html for marker in ("is-invalid", "errorlist", "alert-danger"))
    if refused or form["method"] == "get":
        assert row_counts() == before, (form["view"], values, "wrote rows although the form was refused")


@pytest.fixture
def world(db, guest, volunteer, partner_referent, coordinator, partner):
    return build_world(
        guest=guest, volunteer=volunteer, referent=partner_referent, coordinator=coordinator, partner=partner
    )


ROLES = ("anonymous", "guest", "volunteer", "referent", "coordinator")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_each_hostile_value(role, world):
    """Each hostile value in every field of every form at once."""
    forms = forms_for(role, world)
    assert forms or role == "anonymous" or role == "guest"
    client = client_for(role, world)
    client.raise_request_exception = False
    for form in forms:
        for value in HOSTILE[:14]:
            post_and_check(client, form, dict.fromkeys(form["fields"], value))


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_random_values(role, world):
    forms = forms_for(role, world)
    if not forms:
        pytest.skip(f"no form for {role}")
    client = client_for(role, world)
    client.raise_request_exception = False

    @settings(
        max_examples=30,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def fuzz(data):
        form = data.draw(st.sampled_from(forms), label="form")
        values = {
            name: data.draw(st.one_of(st.just(original), hostile_values), label=name)
            for name, original in form["fields"].items()
        }
        post_and_check(client, form, values)

    fuzz()


@pytest.mark.django_db
def test_the_fuzzer_finds_the_main_forms(world):
    anonymous = {form["view"] for form in forms_for("guest", world)}
    coordinator = {form["view"] for form in forms_for("coordinator", world)}
    assert {"meals:book", "meals:cancel_booking"} <= anonymous
    assert "meals:record_contribution" in coordinator or "meals:door" not in MATRIX
